import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { loadConfig, type Config } from "../../src/lib/config/env";
import { lookupKey } from "../../src/lib/imports/normalise";
import { saveAuthorization } from "../../src/lib/spotify/connection";
import type { EnrichContext } from "../../src/lib/enrichment/enrich-listens";
import type { SpotifySimulator } from "../spotify-sim";
import { simulatorEnv, simulatorTokens } from "./spotify";
import type { TestDatabase } from "./test-database";

export interface SeedListen {
  trackId?: string | null;
  artist: string | null;
  track: string | null;
  album?: string | null;
  playedAt?: Date;
  msPlayed?: number;
}

/** Config for enrichment tests: generous own limits unless a test sets them. */
export function enrichConfig(sim: SpotifySimulator, env: Record<string, string> = {}): Config {
  return loadConfig({
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    SPOTIFY_CALLS_PER_MINUTE: "10000",
    SPOTIFY_CALL_BURST: "1000",
    SPOTIFY_DAILY_BUDGET: "1000000",
    ENRICH_ALBUM_FETCH: "false",
    ...simulatorEnv(sim),
    ...env,
  });
}

/** Backoffs shortened so fault tests take milliseconds; budget waits as well, capped. */
export const fastSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 10)));

export function enrichContext(t: TestDatabase, config: Config, workerId = "test"): EnrichContext {
  return { db: t.db, config, tokenKey: Buffer.from(config.TOKEN_ENCRYPTION_KEY!, "base64"), workerId, sleep: fastSleep };
}

/** A person with a valid Spotify connection (real simulator tokens). */
export async function connectedUser(t: TestDatabase, sim: SpotifySimulator, config: Config, spotifyId: string): Promise<string> {
  const u = await t.db.insertInto("users").values({ spotify_id: spotifyId }).returning("id").executeTakeFirstOrThrow();
  await saveAuthorization(t.db, Buffer.from(config.TOKEN_ENCRYPTION_KEY!, "base64"), u.id, await simulatorTokens(sim, spotifyId));
  return u.id;
}

let seq = 0;
/** Pending track listens, as the importer stores them. */
export async function addListens(t: TestDatabase, userId: string, listens: SeedListen[]): Promise<void> {
  if (listens.length === 0) return;
  const rows = listens.map((l) => ({
    user_id: userId,
    played_at: l.playedAt ?? new Date(Date.UTC(2024, 0, 1) + ++seq * 60_000),
    // A minute: shorter than any generated track (the longest play bounds a match's duration).
    ms_played: l.msPlayed ?? 60_000,
    kind: "track" as const,
    track_name: l.track,
    artist_name: l.artist,
    album_name: l.album ?? null,
    source_track_id: l.trackId ?? null,
    source_uri: l.trackId ? `spotify:track:${l.trackId}` : null,
    lookup_key: lookupKey(l.artist, l.track),
    dedupe_key: randomBytes(16),
  }));
  for (let i = 0; i < rows.length; i += 5000) await t.db.insertInto("listens").values(rows.slice(i, i + 5000)).execute();
}

export async function statusCounts(t: TestDatabase, userId: string): Promise<Record<string, number>> {
  const { rows } = await sql<{ s: string; n: number }>`select enrichment_status as s, count(*)::int as n from listens where user_id = ${userId} group by 1`.execute(t.db);
  return Object.fromEntries(rows.map((r) => [r.s, r.n]));
}

/** Calls the simulator answered per endpoint, whatever the status. */
export function callsByEndpoint(sim: SpotifySimulator): Record<string, number> {
  return Object.fromEntries(Object.entries(sim.stats().byEndpoint).map(([e, s]) => [e, Object.values(s).reduce((a, b) => a + b, 0)]));
}

/**
 * Points this process (routes, tasks, `liner` children) at the test database and the simulator,
 * with generous own limits; returns the environment for child processes.
 */
export function useEnrichEnv(t: TestDatabase, sim: SpotifySimulator, config: Config, extra: Record<string, string> = {}): Record<string, string> {
  const env = {
    DATABASE_URL: t.url,
    APP_URL: "http://127.0.0.1:3000",
    TOKEN_ENCRYPTION_KEY: config.TOKEN_ENCRYPTION_KEY!,
    SPOTIFY_CALLS_PER_MINUTE: "10000",
    SPOTIFY_CALL_BURST: "1000",
    SPOTIFY_DAILY_BUDGET: "1000000",
    ENRICH_ALBUM_FETCH: "false",
    LOG_LEVEL: "warn",
    ...simulatorEnv(sim),
    ...extra,
  };
  Object.assign(process.env, env);
  return env;
}
