import { getAlbumTracks, getTrack, getTracks, BATCH_TRACKS } from "../spotify/fetch";
import { rateBudgetOptions, rateState, rememberBatchEndpoints } from "../spotify/rate-budget";
import { CallFailed, Forbidden, isItemError } from "../spotify/web-api";
import type { PendingItem } from "./backlog";
import type { RunScope } from "./run-scope";

/** An album's worth of listened ids is fetched as the album (2 calls) from this many up. */
const ALBUM_GROUP_MIN = 3;

/**
 * Phase 2, by id, for items whose export named the track: the batch endpoint where the app has it
 * (found out once and remembered per app), else one call per id — or one album's worth at once
 * where several listened tracks share an album.
 */
export async function resolveById(scope: RunScope, items: PendingItem[], albumFetch: boolean): Promise<void> {
  const rest = await viaBatchEndpoint(scope, items);
  for (const group of albumGroups(rest, albumFetch)) {
    const left = group.length >= ALBUM_GROUP_MIN ? await viaAlbum(scope, group) : group;
    for (const item of left) {
      scope.checkCanCall();
      await scope.perItem(item, async () => {
        const t = await getTrack(scope.api, item.trackId!);
        scope.results.tracks.push(t);
        scope.results.matched(item, t.id);
      });
      await scope.advance();
    }
  }
}

/** Fetches through `GET /tracks?ids=` while the app has it; returns the items left to fetch one by one. */
async function viaBatchEndpoint(scope: RunScope, items: PendingItem[]): Promise<PendingItem[]> {
  const { db, config } = scope.ctx;
  const clientId = rateBudgetOptions(config).clientId;
  let batch = (await rateState(db, clientId)).batchEndpoints;
  if (batch === "unavailable" || items.length <= 1) return items;
  const rest: PendingItem[] = [];
  for (let i = 0; i < items.length; i += BATCH_TRACKS) {
    const chunk = items.slice(i, i + BATCH_TRACKS);
    if (batch === "unavailable") {
      rest.push(...chunk);
      continue;
    }
    scope.checkCanCall();
    try {
      const tracks = await getTracks(scope.api, chunk.map((c) => c.trackId!));
      if (batch === "unknown") await rememberBatchEndpoints(db, clientId, (batch = "available"));
      chunk.forEach((item, k) => {
        const t = tracks[k];
        if (t) {
          scope.results.tracks.push(t);
          scope.results.matched(item, t.id);
        } else scope.results.notFound(item, `Spotify has no track ${item.trackId}.`);
      });
    } catch (err) {
      if (!(err instanceof Forbidden)) {
        if (err instanceof CallFailed) chunk.forEach((item) => scope.results.failed(item, err.message));
        else throw err;
      } else {
        // Development-mode apps lost the batch endpoints: remembered, so nobody asks again.
        await rememberBatchEndpoints(db, clientId, (batch = "unavailable"));
        rest.push(...chunk);
      }
    }
    await scope.advance(chunk.length);
  }
  return rest;
}

/** Items grouped by artist + album name when album fetching is on; otherwise one group each. */
function albumGroups(items: PendingItem[], albumFetch: boolean): PendingItem[][] {
  const groups = new Map<string, PendingItem[]>();
  for (const item of items) {
    const key = albumFetch && item.albumName && item.artistName ? `${item.artistName.toLowerCase()}\u0000${item.albumName.toLowerCase()}` : `single:${item.item}`;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return [...groups.values()];
}

/**
 * One track of the group tells the album's id; the album's track list then settles every listened
 * track on it. Returns the items it did not settle (same album name, another release).
 */
async function viaAlbum(scope: RunScope, group: PendingItem[]): Promise<PendingItem[]> {
  scope.checkCanCall();
  const first = group[0]!;
  let albumId: string | null = null;
  await scope.perItem(first, async () => {
    const t = await getTrack(scope.api, first.trackId!);
    scope.results.tracks.push(t);
    scope.results.matched(first, t.id);
    albumId = t.album.id;
  });
  let left = group.slice(1);
  let settled = 1;
  if (albumId && scope.mayCall()) {
    try {
      const { album, tracks } = await getAlbumTracks(scope.api, albumId);
      scope.results.albumTracks.push(...tracks);
      scope.results.albums.push(album);
      const onAlbum = new Set(tracks.map((t) => t.id));
      for (const item of left) if (onAlbum.has(item.trackId!)) scope.results.matched(item, item.trackId!, "fetched with its album");
      settled += left.filter((i) => onAlbum.has(i.trackId!)).length;
      left = left.filter((i) => !onAlbum.has(i.trackId!));
    } catch (err) {
      if (!isItemError(err)) throw err;
    }
  }
  await scope.advance(settled);
  return left;
}
