import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { markAlbumsFetched, upsertArtists, upsertTracks } from "../catalogue/upsert";
import type { Config } from "../config/env";
import type { Database, RunStatus, RunTrigger } from "../db/schema";
import { finishRun, startRun, type RunOutcome } from "../enrichment/runs";
import {
  anyPendingTrackWork,
  applyResults,
  artistsToFetch,
  claimItems,
  eligibleUsers,
  hasValidConnection,
  pendingItems,
  refreshBacklog,
  releaseClaims,
  requeueStale,
  resolveFromCatalogue,
  saveLookups,
  tracksNeedingDetail,
  type ItemResult,
  type LookupRow,
  type PendingItem,
} from "../enrichment/work";
import { ConnectionUnavailable, getAccessToken } from "./connection";
import { BATCH_ARTISTS, BATCH_TRACKS, filteredQuery, getAlbumTracks, getArtist, getArtists, getTrack, getTracks, searchTracks } from "./fetch";
import { bestMatch } from "./match";
import { rateState, rememberBatchEndpoints, type RateBudgetOptions } from "./rate-budget";
import type { SpotifyAlbum, SpotifyArtist, SpotifyTrack } from "./schemas";
import { CallFailed, emptyStats, Forbidden, isItemError, NotFound, RateLimited, Unauthorized, WebApi, type CallStats } from "./web-api";

export interface EnrichContext {
  db: Kysely<Database>;
  config: Config;
  /** The key that decrypts stored Spotify tokens. */
  tokenKey: Buffer;
  workerId?: string;
  sleep?: (ms: number) => Promise<void>;
  /** The worker is shutting down: stop starting calls, save, hand the rest back. */
  shouldStop?: () => boolean;
}

export interface EnrichOptions {
  /** Only this user; otherwise every eligible user in turn, least recently served first. */
  userId?: string;
  /** Unique items per run (per user). Default ENRICH_BATCH_SIZE (50). */
  batchSize?: number;
  /** Stop spending calls after this many (the work stays pending). */
  maxCalls?: number;
  /** Stop starting calls after this long. */
  maxMs?: number;
  /** The longest a run waits for the rate budget before it hands the rest back. */
  maxWaitMs?: number;
  trigger?: RunTrigger;
  jobId?: string | null;
  /** Album-level fetching; default ENRICH_ALBUM_FETCH. */
  albumFetch?: boolean;
  onProgress?: (p: { userId: string; done: number; total: number }) => void;
}

export interface EnrichStats {
  runId: string;
  userId: string;
  status: RunStatus;
  /** Unique items worked on with calls. */
  processed: number;
  enriched: number;
  notFound: number;
  failed: number;
  listensUpdated: number;
  listensFromCatalogue: number;
  artistsFetched: number;
  /** Album-fetched tracks whose full object (ISRC) was fetched, at the lowest priority. */
  tracksDetailed: number;
  apiCalls: number;
  callsByEndpoint: Record<string, number>;
  rateLimited: Record<string, number>;
  /** Unique items still pending for this user. */
  remaining: number;
  /** Set when a rate limit or the quota ended the run: when it may go on. */
  resumeAt: Date | null;
  error: string | null;
}

/** An album's worth of listened ids is fetched as the album (2 calls) from this many up. */
const ALBUM_GROUP_MIN = 3;
/** Results are written every this many items, not only at the end of a batch. */
const SAVE_EVERY = 20;

export function budgetOptions(config: Config): RateBudgetOptions {
  return {
    clientId: config.SPOTIFY_CLIENT_ID ?? "unconfigured",
    perMinute: config.SPOTIFY_CALLS_PER_MINUTE,
    burst: config.SPOTIFY_CALL_BURST,
    perDay: config.SPOTIFY_DAILY_BUDGET,
  };
}

/** Why the run stopped early; items not reached stay pending. */
class StopRun extends Error {
  constructor(
    readonly status: RunStatus,
    message: string,
    readonly resumeAt: Date | null = null,
  ) {
    super(message);
  }
}

const total = (rec: Record<string, number>) => Object.values(rec).reduce((a, b) => a + b, 0);

/**
 * Enriches listens, the way the guide's `enrichListens(100)` does, at the fewest calls: the shared
 * catalogue and lookup cache first (free), then Spotify by id or by search for what is missing, then
 * artists, written back set-based. Returns one stats object per user run.
 */
export async function enrichListens(ctx: EnrichContext, opts: EnrichOptions = {}): Promise<EnrichStats[]> {
  const users = opts.userId ? [opts.userId] : await eligibleUsers(ctx.db);
  const out: EnrichStats[] = [];
  const started = Date.now();
  let callsLeft = opts.maxCalls ?? Infinity;
  for (const userId of users) {
    const maxMs = opts.maxMs === undefined ? undefined : Math.max(0, opts.maxMs - (Date.now() - started));
    const stats = await enrichUser(ctx, userId, { ...opts, maxCalls: callsLeft, maxMs });
    out.push(stats);
    callsLeft -= stats.apiCalls;
    // A limit holds every user back alike: the others wait for the next run.
    if (stats.status === "rate_limited" || stats.status === "quota_paused" || callsLeft <= 0) break;
    if (opts.maxMs !== undefined && Date.now() - started >= opts.maxMs) break;
  }
  return out;
}

async function enrichUser(ctx: EnrichContext, userId: string, opts: EnrichOptions): Promise<EnrichStats> {
  const { db, config } = ctx;
  const batchSize = opts.batchSize ?? config.ENRICH_BATCH_SIZE;
  const runId = await startRun(db, { trigger: opts.trigger ?? "cli", userId, jobId: opts.jobId, workerId: ctx.workerId });
  const owner = `${ctx.workerId ?? "run"}:${runId}:${randomUUID().slice(0, 8)}`;
  const callStats: CallStats = emptyStats();
  const outcome: RunOutcome = {
    status: "succeeded",
    itemsAttempted: 0,
    itemsMatched: 0,
    itemsNotFound: 0,
    itemsFailed: 0,
    listensUpdated: 0,
    listensFromCatalogue: 0,
    artistsFetched: 0,
    apiCalls: {},
    rateLimited: {},
    waitMs: 0,
    resumeAt: null,
    error: null,
  };
  let tracksDetailed = 0;
  const finish = async (): Promise<EnrichStats> => {
    outcome.apiCalls = callStats.calls;
    outcome.apiStatuses = callStats.statuses;
    outcome.rateLimited = callStats.rateLimited;
    outcome.waitMs = Math.round(callStats.waitMs);
    await releaseClaims(db, owner).catch(() => undefined);
    await finishRun(db, runId, outcome);
    return {
      runId,
      userId,
      status: outcome.status,
      processed: outcome.itemsAttempted,
      enriched: outcome.itemsMatched,
      notFound: outcome.itemsNotFound,
      failed: outcome.itemsFailed,
      listensUpdated: outcome.listensUpdated,
      listensFromCatalogue: outcome.listensFromCatalogue,
      artistsFetched: outcome.artistsFetched,
      tracksDetailed,
      apiCalls: total(callStats.calls),
      callsByEndpoint: callStats.calls,
      rateLimited: callStats.rateLimited,
      remaining: await refreshBacklog(db, userId),
      resumeAt: outcome.resumeAt,
      error: outcome.error,
    };
  };

  // The guide's privacy rule: nobody without a valid Spotify connection is enriched.
  if (!(await hasValidConnection(db, userId))) {
    outcome.status = "skipped";
    outcome.error = "No valid Spotify connection: the person must (re)connect Spotify.";
    return finish();
  }
  if (!config.SPOTIFY_CLIENT_ID || !config.SPOTIFY_CLIENT_SECRET) {
    outcome.status = "failed";
    outcome.error = "Spotify is not configured: set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET.";
    return finish();
  }

  try {
    await requeueStale(db, userId, config.ENRICH_RECHECK_DAYS);
    outcome.listensFromCatalogue += await resolveFromCatalogue(db, userId, config.ENRICH_RECHECK_DAYS);

    const deadline = opts.maxMs === undefined ? Infinity : Date.now() + opts.maxMs;
    const maxCalls = opts.maxCalls ?? Infinity;
    const api = new WebApi({
      db,
      baseUrl: config.SPOTIFY_API_BASE_URL,
      budget: budgetOptions(config),
      token: (rejected) => getAccessToken(db, config, ctx.tokenKey, userId, { rejected }),
      maxWaitMs: opts.maxWaitMs ?? 60_000,
      stats: callStats,
      sleep: ctx.sleep,
    });
    const mayCall = () => total(callStats.calls) < maxCalls && Date.now() < deadline && !ctx.shouldStop?.();

    const candidates = await pendingItems(db, userId, batchSize);
    const mine = await claimItems(db, owner, candidates.map((c) => c.item));
    const items = candidates.filter((c) => mine.has(c.item));
    const work = new BatchWork();
    try {
      await resolveItems(ctx, api, items, work, mayCall, opts, async (done) => {
        opts.onProgress?.({ userId, done, total: items.length });
        if (work.results.length >= SAVE_EVERY) await work.save(db, userId, outcome);
      });
    } finally {
      // Whatever was fetched is kept, even when a limit stopped the batch half-way.
      await work.save(db, userId, outcome);
    }
    outcome.listensFromCatalogue += await resolveFromCatalogue(db, userId, config.ENRICH_RECHECK_DAYS);

    // Lower priority: artist pages, then ISRCs of album-fetched tracks, once the tracks are done.
    if (items.length < batchSize && candidates.length === items.length && mayCall()) {
      outcome.artistsFetched = await fetchArtists(ctx, api, userId, owner, batchSize, mayCall);
      // ISRCs of album-fetched tracks only when nobody's tracks are waiting any more.
      if (mayCall() && !(await anyPendingTrackWork(db))) tracksDetailed = await fetchTrackDetails(db, api, userId, owner, batchSize - outcome.artistsFetched, mayCall);
    }
    if (outcome.itemsFailed > 0) outcome.status = "partial";
  } catch (err) {
    if (err instanceof StopRun) {
      outcome.status = err.status;
      outcome.error = err.message;
      outcome.resumeAt = err.resumeAt;
    } else if (err instanceof RateLimited) {
      outcome.status = err.reason === "rate" ? "rate_limited" : "quota_paused";
      outcome.error = err.message;
      outcome.resumeAt = err.until;
    } else if (err instanceof ConnectionUnavailable || err instanceof Unauthorized) {
      outcome.status = "failed";
      outcome.error = err.message;
    } else {
      outcome.status = "failed";
      outcome.error = (err as Error).message;
    }
  }
  return finish();
}

/** What a batch found, written at the end in a few set-based statements. */
class BatchWork {
  tracks: SpotifyTrack[] = [];
  albumTracks: SpotifyTrack[] = [];
  albums: SpotifyAlbum[] = [];
  lookups: LookupRow[] = [];
  results: ItemResult[] = [];

  matched(item: PendingItem, trackId: string, reason: string | null = null) {
    this.results.push({ item: item.item, status: "enriched", trackId, reason });
  }
  notFound(item: PendingItem, reason: string) {
    this.results.push({ item: item.item, status: "not_found", trackId: null, reason });
    const key = item.trackId ? `id:${item.trackId}` : item.lookupKey;
    if (key) this.lookups.push({ lookupKey: key, artistName: item.artistName ?? "", trackName: item.trackName ?? "", status: "not_found", trackId: null, confidence: null, reason });
  }
  failed(item: PendingItem, reason: string) {
    this.results.push({ item: item.item, status: "failed", trackId: null, reason });
  }

  /** Writes what was found so far and starts over: a killed worker loses at most one slice of calls. */
  async save(db: Kysely<Database>, userId: string, outcome: RunOutcome) {
    const { tracks, albumTracks, albums, lookups, results } = this;
    this.tracks = [];
    this.albumTracks = [];
    this.albums = [];
    this.lookups = [];
    this.results = [];
    await upsertTracks(db, dedupe(tracks));
    await upsertTracks(db, dedupe(albumTracks), { fromAlbum: true });
    await markAlbumsFetched(db, albums);
    await saveLookups(db, [...new Map(lookups.map((l) => [l.lookupKey, l])).values()]);
    outcome.listensUpdated += await applyResults(db, userId, results);
    outcome.itemsAttempted += results.length;
    for (const r of results) {
      if (r.status === "enriched") outcome.itemsMatched++;
      else if (r.status === "not_found") outcome.itemsNotFound++;
      else outcome.itemsFailed++;
    }
  }
}

const dedupe = (tracks: SpotifyTrack[]) => [...new Map(tracks.map((t) => [t.id, t])).values()];

/** Per-item outcomes of a call: not found and failed are the item's; limits stop the batch. */
async function perItem(item: PendingItem, work: BatchWork, call: () => Promise<void>) {
  try {
    await call();
  } catch (err) {
    if (err instanceof NotFound) work.notFound(item, err.message);
    else if (err instanceof CallFailed || err instanceof Forbidden) work.failed(item, err.message);
    else throw err;
  }
}

async function resolveItems(
  ctx: EnrichContext,
  api: WebApi,
  items: PendingItem[],
  work: BatchWork,
  mayCall: () => boolean,
  opts: EnrichOptions,
  progress: (done: number) => Promise<void>,
) {
  const { db, config } = ctx;
  const byId = items.filter((i) => i.trackId !== null);
  const byName = items.filter((i) => i.trackId === null);
  let done = 0;
  const stop = () => {
    if (ctx.shouldStop?.()) throw new StopRun("partial", "The worker is stopping: the rest of the batch was handed back.");
    if (!mayCall()) throw new StopRun("partial", "The run's call or time budget is spent; the rest stays pending.");
  };

  // 1. By id: the batch endpoint where the app has it (found out once, remembered).
  const clientId = budgetOptions(config).clientId;
  let batch = (await rateState(db, clientId)).batchEndpoints;
  let rest = byId;
  if (batch !== "unavailable" && byId.length > 1) {
    rest = [];
    for (let i = 0; i < byId.length; i += BATCH_TRACKS) {
      const chunk = byId.slice(i, i + BATCH_TRACKS);
      if (batch === "unavailable") {
        rest.push(...chunk);
        continue;
      }
      stop();
      try {
        const tracks = await getTracks(api, chunk.map((c) => c.trackId!));
        if (batch === "unknown") await rememberBatchEndpoints(db, clientId, (batch = "available"));
        chunk.forEach((item, k) => {
          const t = tracks[k];
          if (t) {
            work.tracks.push(t);
            work.matched(item, t.id);
          } else work.notFound(item, `Spotify has no track ${item.trackId}.`);
        });
      } catch (err) {
        if (!(err instanceof Forbidden)) {
          if (err instanceof CallFailed) chunk.forEach((item) => work.failed(item, err.message));
          else throw err;
        } else {
          await rememberBatchEndpoints(db, clientId, (batch = "unavailable"));
          rest.push(...chunk);
        }
      }
      done += chunk.length;
      await progress(done);
    }
  }

  // Without batches: one call per id, or an album's worth at once where several share an album.
  const albumFetch = opts.albumFetch ?? config.ENRICH_ALBUM_FETCH;
  const groups = new Map<string, PendingItem[]>();
  for (const item of rest) {
    const key = albumFetch && item.albumName && item.artistName ? `${item.artistName.toLowerCase()}\u0000${item.albumName.toLowerCase()}` : `single:${item.item}`;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  for (const group of groups.values()) {
    let left = group;
    if (group.length >= ALBUM_GROUP_MIN) {
      stop();
      const first = group[0]!;
      let albumId: string | null = null;
      await perItem(first, work, async () => {
        const t = await getTrack(api, first.trackId!);
        work.tracks.push(t);
        work.matched(first, t.id);
        albumId = t.album.id;
      });
      left = group.slice(1);
      done++;
      if (albumId && mayCall()) {
        try {
          const { album, tracks } = await getAlbumTracks(api, albumId);
          work.albumTracks.push(...tracks);
          work.albums.push(album);
          const onAlbum = new Set(tracks.map((t) => t.id));
          for (const item of left) if (onAlbum.has(item.trackId!)) work.matched(item, item.trackId!, "fetched with its album");
          done += left.filter((i) => onAlbum.has(i.trackId!)).length;
          // Same album name, another release: fetched one by one below.
          left = left.filter((i) => !onAlbum.has(i.trackId!));
        } catch (err) {
          if (!isItemError(err)) throw err;
        }
      }
      await progress(done);
    }
    for (const item of left) {
      stop();
      await perItem(item, work, async () => {
        const t = await getTrack(api, item.trackId!);
        work.tracks.push(t);
        work.matched(item, t.id);
      });
      await progress(++done);
    }
  }

  // 2. By name: a filtered search, scored; one more try only when it found nothing at all.
  for (const item of byName) {
    stop();
    if (!item.artistName || !item.trackName) {
      work.notFound(item, "The export names no artist or track to search for.");
      continue;
    }
    const artist = item.artistName;
    const title = item.trackName;
    await perItem(item, work, async () => {
      let results = await searchTracks(api, filteredQuery(artist, title));
      if (results.length === 0 && mayCall()) results = await searchTracks(api, `${title.replace(/"/g, " ")} ${artist.replace(/"/g, " ")}`);
      const match = bestMatch(
        artist,
        title,
        results.map((t) => ({ id: t.id, name: t.name, artists: t.artists.map((a) => a.name), durationMs: t.duration_ms })),
      );
      if (!match) {
        const reason = results.length === 0 ? "Spotify's search found nothing for these names." : `No search result matched closely enough (best: "${results[0]!.name}" by ${results[0]!.artists.map((a) => a.name).join(", ")}).`;
        work.notFound(item, reason);
        return;
      }
      const track = results.find((t) => t.id === match.candidate.id)!;
      work.tracks.push(track);
      work.matched(item, track.id, `matched by name (${Math.round(match.confidence * 100)}%)`);
      work.lookups.push({ lookupKey: item.lookupKey!, artistName: artist, trackName: title, status: "matched", trackId: track.id, confidence: match.confidence, reason: "search" });
    });
    await progress(++done);
  }
}

/** Low-priority fetches: an item that fails is left for another day; limits still stop the run. */
async function bestEffort<T>(call: () => Promise<T>): Promise<T[]> {
  try {
    return [await call()];
  } catch (err) {
    if (isItemError(err)) return [];
    throw err;
  }
}

async function fetchArtists(ctx: EnrichContext, api: WebApi, userId: string, owner: string, limit: number, mayCall: () => boolean): Promise<number> {
  const { db, config } = ctx;
  const ids = await artistsToFetch(db, userId, limit);
  const mine = await claimItems(db, owner, ids.map((id) => `a:${id}`));
  const todo = ids.filter((id) => mine.has(`a:${id}`));
  const got: SpotifyArtist[] = [];
  const clientId = budgetOptions(config).clientId;
  const batch = (await rateState(db, clientId)).batchEndpoints;
  try {
    if (batch === "available") {
      for (let i = 0; i < todo.length && mayCall(); i += BATCH_ARTISTS) {
        got.push(...(await getArtists(api, todo.slice(i, i + BATCH_ARTISTS))).filter((a): a is SpotifyArtist => a !== null));
      }
    } else {
      for (const id of todo) {
        if (!mayCall()) break;
        got.push(...(await bestEffort(() => getArtist(api, id))));
      }
    }
  } finally {
    await upsertArtists(db, got);
  }
  return got.length;
}

async function fetchTrackDetails(db: Kysely<Database>, api: WebApi, userId: string, owner: string, limit: number, mayCall: () => boolean): Promise<number> {
  if (limit <= 0) return 0;
  const ids = await tracksNeedingDetail(db, userId, limit);
  const mine = await claimItems(db, owner, ids.map((id) => `d:${id}`));
  const got: SpotifyTrack[] = [];
  try {
    for (const id of ids.filter((x) => mine.has(`d:${x}`))) {
      if (!mayCall()) break;
      got.push(...(await bestEffort(() => getTrack(api, id))));
    }
  } finally {
    await upsertTracks(db, got);
  }
  return got.length;
}
