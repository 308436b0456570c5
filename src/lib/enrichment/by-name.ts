import { filteredQuery, looseQuery, searchTracks } from "../spotify/fetch";
import type { PendingItem } from "./backlog";
import type { SpotifyTrack } from "../spotify/schemas";
import { bestMatch, strippedTitle, type Candidate } from "./match";
import type { RunScope } from "./run-scope";

/**
 * Names longer than this (in characters) are not searched. Spotify's longest titles (whole
 * movements of works) run to a few hundred characters; a name of thousands is a damaged or made-up
 * entry, and a search for it would spend a call on certain failure. The import caps names at this
 * length too, but older data and other paths reach enrichment uncapped.
 */
export const MAX_NAME_CHARS = 1000;

const chars = (s: string) => [...s].length;

/**
 * Phase 3, by name, for items the export named only in words: a filtered search, its results
 * scored (match.ts). Only when nothing in it matched, one more search: the title with its
 * decorations and featured artists stripped ("Song (feat. X) - Remastered" → "Song"), or, when there
 * is nothing to strip and the first found nothing at all, the looser plain-words search. Matches and
 * misses both teach the shared lookup cache, with the reason a match was chosen.
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
    const longest = Math.max(chars(artist), chars(title));
    if (longest > MAX_NAME_CHARS) {
      scope.results.failed(item, `The export's names are too long to look up (${longest.toLocaleString("en-US")} characters, over the ${MAX_NAME_CHARS.toLocaleString("en-US")} Liner searches for): not searched.`);
      await scope.advance();
      continue;
    }
    await scope.perItem(item, async () => {
      const hints = { minDurationMs: item.maxMsPlayed };
      let found = await searchTracks(scope.api, filteredQuery(artist, title));
      let match = bestMatch(artist, title, found.map(candidate), undefined, hints);
      if (!match && scope.mayCall()) {
        const stripped = strippedTitle(title);
        const second = stripped && stripped !== title.trim() ? filteredQuery(artist, stripped) : found.length === 0 ? looseQuery(artist, title) : null;
        if (second) {
          const more = await searchTracks(scope.api, second);
          const seen = new Set(found.map((t) => t.id));
          found = [...found, ...more.filter((t) => !seen.has(t.id))];
          match = bestMatch(artist, title, found.map(candidate), undefined, hints);
        }
      }
      if (!match) {
        const reason = found.length === 0 ? "Spotify's search found nothing for these names." : `No search result matched closely enough (best: "${found[0]!.name}" by ${found[0]!.artists.map((a) => a.name).join(", ")}).`;
        scope.results.notFound(item, reason);
        return;
      }
      const track = found.find((t) => t.id === match.candidate.id)!;
      scope.results.tracks.push(track);
      scope.results.matched(item, track.id, match.reason);
      scope.results.lookups.push({ lookupKey: item.lookupKey!, artistName: artist, trackName: title, status: "matched", trackId: track.id, confidence: match.confidence, reason: match.reason });
    });
    await scope.advance();
  }
}

/** A search result as the matcher reads it: names, duration, its album's type and date, the ISRC. */
function candidate(t: SpotifyTrack): Candidate {
  return {
    id: t.id,
    name: t.name,
    artists: t.artists.map((a) => a.name),
    durationMs: t.duration_ms,
    albumType: t.album.album_type,
    releaseDate: t.album.release_date,
    isrc: t.external_ids?.isrc,
  };
}
