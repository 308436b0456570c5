import { filteredQuery, searchTracks } from "../spotify/fetch";
import type { PendingItem } from "./backlog";
import { bestMatch } from "./match";
import type { RunScope } from "./run-scope";

/**
 * Phase 3, by name, for items the export named only in words: a filtered search, its results
 * scored (match.ts); one more, looser search only when the first found nothing at all. Matches
 * and misses both teach the shared lookup cache.
 */
export async function resolveByName(scope: RunScope, items: PendingItem[]): Promise<void> {
  for (const item of items) {
    scope.checkCanCall();
    if (!item.artistName || !item.trackName) {
      scope.results.notFound(item, "The export names no artist or track to search for.");
      continue;
    }
    const artist = item.artistName;
    const title = item.trackName;
    await scope.perItem(item, async () => {
      let found = await searchTracks(scope.api, filteredQuery(artist, title));
      if (found.length === 0 && scope.mayCall()) found = await searchTracks(scope.api, `${title.replace(/"/g, " ")} ${artist.replace(/"/g, " ")}`);
      const match = bestMatch(
        artist,
        title,
        found.map((t) => ({ id: t.id, name: t.name, artists: t.artists.map((a) => a.name), durationMs: t.duration_ms })),
      );
      if (!match) {
        const reason = found.length === 0 ? "Spotify's search found nothing for these names." : `No search result matched closely enough (best: "${found[0]!.name}" by ${found[0]!.artists.map((a) => a.name).join(", ")}).`;
        scope.results.notFound(item, reason);
        return;
      }
      const track = found.find((t) => t.id === match.candidate.id)!;
      scope.results.tracks.push(track);
      scope.results.matched(item, track.id, `matched by name (${Math.round(match.confidence * 100)}%)`);
      scope.results.lookups.push({ lookupKey: item.lookupKey!, artistName: artist, trackName: title, status: "matched", trackId: track.id, confidence: match.confidence, reason: "search" });
    });
    await scope.advance();
  }
}
