/**
 * `npm run bench:enrich`: how many Spotify calls enrichment spends, against the simulator's
 * development profile (no batch endpoints) with a scaled clock. A generated history — 100,000
 * listens over 10,000 unique tracks (7,000 named by id as an Extended Streaming History does,
 * 3,000 by artist and title only), plus a second person sharing half of those tracks — is enriched
 * phase by phase so each figure is measured on its own. Matching quality is scored on the
 * simulator's truth labels and on real names (a real Extended Streaming History's artist + title
 * pairs, with remaster/live/karaoke twins added) — the latter only when the builders' workshop folder
 * ../shared is beside the repository, since real people's exports are not kept in it; without it
 * those figures are left out and the output says so. The guide's approach (one search and one artist
 * call per listen, 350 ms apart) is computed on the same data, and its precision measured on a
 * sample. Matching is scored at two levels: the exact track id, and the same recording (ISRC), with
 * the matches that landed on a compilation when the original existed counted apart. A day-by-day
 * run shows the share of listens enriched after each day's budget (SPOTIFY_DAILY_BUDGET, default
 * 1,000 calls) for a skewed history, most-played first beside oldest first. Prints a table and
 * writes bench/results/enrich.json.
 *
 * BENCH_SCALE=0.1 runs a tenth of the sizes, for a quick look.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import { loadConfig, type Config } from "../src/lib/config/env";
import { loadEnvFileOrExit } from "../src/lib/config/env-file";
import { closeDb, createDb, createPool } from "../src/lib/db/pool";
import type { Database } from "../src/lib/db/schema";
import { lookupKey } from "../src/lib/imports/normalise";
import { saveAuthorization } from "../src/lib/spotify/connection";
import type { BacklogOrder } from "../src/lib/enrichment/backlog";
import { enrichListens, type EnrichContext } from "../src/lib/enrichment/enrich-listens";
import { catalogueFromExtendedHistory, generateCatalogue, startSpotifySimulator, type Catalogue, type SimTrack, type SpotifySimulator } from "../test/spotify-sim";
import { Rng } from "../test/spotify-sim/random";
import { openBenchServer, printTable, type BenchServer } from "./support/database";

// Before anything reads the environment: the same .env file `liner` reads (the environment wins).
loadEnvFileOrExit();

const root = path.resolve(import.meta.dirname, "..");
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const UNIQUE = Math.round(10_000 * SCALE);
const LISTENS = Math.round(100_000 * SCALE);
const ID_SHARE = 0.7;
const TIME_SCALE = 50;
const SIM_WINDOW = 100;
/** Real names for the matching figures: a real export in the workshop folder beside the repository. */
const REAL_NAMES_FILE = path.resolve(root, "../shared/fixtures/spotify-exports/extended/candidlyred/endsong.json");

interface Listen {
  trackId: string | null;
  artist: string;
  track: string;
  album: string;
  /** How long it played: never more than the track lasts. */
  msPlayed?: number;
}

function simEnv(sim: SpotifySimulator, extra: Record<string, string> = {}): Config {
  // Our own rate stays under the simulator's (100 calls per scaled 30 s): 85 % of it, plus a burst of 10.
  const perMinute = Math.floor(((SIM_WINDOW * 60) / 30) * TIME_SCALE * 0.85);
  return loadConfig({
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    SPOTIFY_CLIENT_ID: sim.clientId,
    SPOTIFY_CLIENT_SECRET: sim.clientSecret,
    SPOTIFY_ACCOUNTS_BASE_URL: sim.accountsBaseUrl,
    SPOTIFY_API_BASE_URL: sim.apiBaseUrl,
    SPOTIFY_CALLS_PER_MINUTE: String(Math.min(10_000, perMinute)),
    SPOTIFY_CALL_BURST: "10",
    SPOTIFY_DAILY_BUDGET: "1000000",
    ...extra,
  });
}

async function connectedUser(db: Kysely<Database>, sim: SpotifySimulator, config: Config, spotifyId: string): Promise<string> {
  const u = await db.insertInto("users").values({ spotify_id: spotifyId }).returning("id").executeTakeFirstOrThrow();
  // A direct PKCE grant from the simulator, as sign-in would store it.
  const { simulatorTokens } = await import("../test/support/spotify");
  await saveAuthorization(db, Buffer.from(config.TOKEN_ENCRYPTION_KEY!, "base64"), u.id, await simulatorTokens(sim, spotifyId));
  return u.id;
}

async function insertListens(db: Kysely<Database>, userId: string, listens: Listen[]): Promise<void> {
  let minute = Date.UTC(2020, 0, 1) / 60_000;
  const rows = listens.map((l) => ({
    user_id: userId,
    played_at: new Date(++minute * 60_000),
    ms_played: l.msPlayed ?? 30_000,
    kind: "track" as const,
    track_name: l.track,
    artist_name: l.artist,
    album_name: l.album,
    source_track_id: l.trackId,
    source_uri: l.trackId ? `spotify:track:${l.trackId}` : null,
    lookup_key: lookupKey(l.artist, l.track),
    dedupe_key: randomBytes(16),
  }));
  for (let i = 0; i < rows.length; i += 5000) await db.insertInto("listens").values(rows.slice(i, i + 5000)).execute();
}

/** Enriches one person until nothing is left, waiting out any rate limit. */
async function drain(ctx: EnrichContext, userId: string, opts: { isrcBackfill?: boolean } = {}): Promise<{ runs: number }> {
  let runs = 0;
  for (;;) {
    const [s] = await enrichListens(ctx, { userId, batchSize: 500, maxWaitMs: 60_000, trigger: "cli", ...opts });
    runs++;
    if (!s) break;
    if ((s.status === "rate_limited" || s.status === "quota_paused") && s.resumeAt) {
      await new Promise((r) => setTimeout(r, Math.max(0, s.resumeAt!.getTime() - Date.now()) + 20));
      continue;
    }
    if (s.status === "failed") throw new Error(`enrichment failed: ${s.error}`);
    if (s.remaining === 0 && s.processed === 0 && !s.deferred && s.artistsFetched === 0 && s.tracksDetailed === 0) break;
  }
  return { runs };
}

const callsOf = (sim: SpotifySimulator) => sim.stats().calls;
const endpointCalls = (sim: SpotifySimulator, names: string[]) =>
  names.reduce((n, e) => n + Object.values(sim.stats().byEndpoint[e] ?? {}).reduce((a, b) => a + b, 0), 0);

/**
 * What a pair of names should match: the exact track ids (the original; two originals with the
 * very same artist and title are both right), and the ISRCs of the same recording.
 */
interface Truth {
  exact: Set<string>;
  isrcs: Set<string>;
}

/**
 * Precision and recall of name matches, at the exact-track and the same-recording level, and the
 * matches that landed on a compilation's copy when the original was there.
 */
async function score(db: Kysely<Database>, userId: string, truth: Map<string, Truth>) {
  const { rows } = await sql<{ lookup_key: string; spotify_track_id: string | null; isrc: string | null; album_type: string | null }>`
    select distinct l.lookup_key, l.spotify_track_id, t.isrc, a.album_type
      from listens l left join tracks t on t.id = l.spotify_track_id left join albums a on a.id = t.album_id
     where l.user_id = ${userId} and l.source_track_id is null`.execute(db);
  let matched = 0;
  let exact = 0;
  let recording = 0;
  let compilationPicks = 0;
  let total = 0;
  for (const r of rows) {
    const ok = truth.get(r.lookup_key);
    if (!ok) continue;
    total++;
    if (!r.spotify_track_id) continue;
    matched++;
    if (ok.exact.has(r.spotify_track_id)) exact++;
    if (ok.exact.has(r.spotify_track_id) || (r.isrc !== null && ok.isrcs.has(r.isrc))) recording++;
    if (!ok.exact.has(r.spotify_track_id) && r.album_type === "compilation" && r.isrc !== null && ok.isrcs.has(r.isrc)) compilationPicks++;
  }
  return {
    total,
    matched,
    correct: exact,
    recording,
    compilationPicks,
    precision: matched ? exact / matched : 1,
    recall: total ? exact / total : 0,
    precisionRecording: matched ? recording / matched : 1,
    recallRecording: total ? recording / total : 0,
  };
}

/** The export's name of a track: the name it had before Spotify renamed it, if it was. */
const exportName = (t: SimTrack) => t.exportName ?? t.name;

function truthFor(cat: Catalogue, tracks: SimTrack[]): Map<string, Truth> {
  // Two originals with the very same artist and (export) title are both right answers.
  const byKey = new Map<string, SimTrack[]>();
  for (const t of cat.tracks.values()) {
    if (t.variant !== "original") continue;
    const key = lookupKey(cat.artists.get(t.artistIds[0]!)!.name, exportName(t))!;
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key)!.push(t);
  }
  const out = new Map<string, Truth>();
  for (const t of tracks) {
    const key = lookupKey(cat.artists.get(t.artistIds[0]!)!.name, exportName(t))!;
    const same = byKey.get(key) ?? [t];
    out.set(key, { exact: new Set(same.map((x) => x.id)), isrcs: new Set(same.map((x) => x.isrc)) });
  }
  return out;
}

/** The guide's matcher: the first result of one search per listen. Precision on a sample. */
async function guidePrecision(sim: SpotifySimulator, cat: Catalogue, sample: SimTrack[]): Promise<number> {
  const tok = await fetch(`${sim.accountsBaseUrl}/api/token`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString("base64")}` },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
  });
  const { access_token } = (await tok.json()) as { access_token: string };
  const truth = truthFor(cat, sample);
  let matched = 0;
  let correct = 0;
  for (const t of sample) {
    const artist = cat.artists.get(t.artistIds[0]!)!.name;
    const q = encodeURIComponent(`${exportName(t)} ${artist}`);
    const res = await fetch(`${sim.apiBaseUrl}/search?type=track&limit=1&q=${q}`, { headers: { authorization: `Bearer ${access_token}` } });
    if (res.status === 429) {
      await new Promise((r) => setTimeout(r, Number(res.headers.get("retry-after") ?? 1) * 1000));
      continue;
    }
    const body = (await res.json()) as { tracks: { items: { id: string }[] } };
    const first = body.tracks.items[0];
    if (!first) continue;
    matched++;
    if (truth.get(lookupKey(artist, exportName(t))!)!.exact.has(first.id)) correct++;
  }
  return matched ? correct / matched : 1;
}

/**
 * Matching quality on a real Extended Streaming History's artist + title pairs: a catalogue of its
 * tracks under their real ids (with remaster/live/karaoke twins), every pair searched by name.
 */
async function realNamesQuality(server: BenchServer, file: string) {
  const entries = JSON.parse(readFileSync(file, "utf8")) as Array<Record<string, string | number | null>>;
  const realCat = catalogueFromExtendedHistory(entries, { variants: true });
  const realTruth = new Map<string, Truth>();
  const realListens: Listen[] = [];
  for (const e of entries) {
    const uri = e.spotify_track_uri as string | null;
    const artist = e.master_metadata_album_artist_name as string | null;
    const track = e.master_metadata_track_name as string | null;
    if (!uri || !artist || !track) continue;
    const key = lookupKey(artist, track)!;
    if (!realTruth.has(key)) {
      realTruth.set(key, { exact: new Set(), isrcs: new Set() });
      realListens.push({ trackId: null, artist, track, album: String(e.master_metadata_album_album_name ?? ""), msPlayed: 0 });
    }
    const id = uri.split(":")[2]!;
    realTruth.get(key)!.exact.add(id);
    const isrc = realCat.tracks.get(id)?.isrc;
    if (isrc) realTruth.get(key)!.isrcs.add(isrc);
  }
  const sim = await startSpotifySimulator({ catalogue: realCat, profile: "development", limits: { windowCalls: 100_000, dailyCalls: 1_000_000_000 } });
  const url = await server.freshDatabase("liner_bench_enrich_real");
  const pool = createPool(url, 4);
  const db = createDb(pool);
  try {
    const config = simEnv(sim);
    const real = await connectedUser(db, sim, config, "real");
    await insertListens(db, real, realListens);
    await drain({ db, config, tokenKey: Buffer.from(config.TOKEN_ENCRYPTION_KEY!, "base64"), workerId: "bench" }, real);
    return await score(db, real, realTruth);
  } finally {
    await closeDb(db, pool);
    await sim.close();
  }
}

/**
 * Enriches a copy of `history` day by day, each day `perDay` calls, in `order`; returns the share
 * of listens enriched after each day, until all are (or 40 days).
 */
async function listensEnrichedByDay(server: BenchServer, cat: Catalogue, history: Listen[], order: BacklogOrder, perDay: number): Promise<number[]> {
  const sim = await startSpotifySimulator({ catalogue: cat, profile: "development", timeScale: TIME_SCALE, limits: { windowCalls: SIM_WINDOW, dailyCalls: 1_000_000_000 }, accounts: { accessTokenSeconds: 100 * 365 * 86_400 } });
  const url = await server.freshDatabase(`liner_bench_enrich_days_${order}`);
  const pool = createPool(url, 4);
  const db = createDb(pool);
  try {
    const config = simEnv(sim);
    const ctx: EnrichContext = { db, config, tokenKey: Buffer.from(config.TOKEN_ENCRYPTION_KEY!, "base64"), workerId: "bench" };
    const dee = await connectedUser(db, sim, config, "dee");
    await insertListens(db, dee, history);
    const shares: number[] = [];
    for (let day = 0; day < 40; day++) {
      let spent = 0;
      while (spent < perDay) {
        const [s] = await enrichListens(ctx, { userId: dee, batchSize: 500, maxCalls: perDay - spent, maxWaitMs: 60_000, order, trigger: "cli" });
        if (!s) break;
        spent += s.apiCalls;
        if ((s.status === "rate_limited" || s.status === "quota_paused") && s.resumeAt) {
          await new Promise((r) => setTimeout(r, Math.max(0, s.resumeAt!.getTime() - Date.now()) + 20));
          continue;
        }
        if (s.status === "failed") throw new Error(`enrichment failed: ${s.error}`);
        if (s.remaining === 0 && s.processed === 0 && !s.deferred && s.artistsFetched === 0) break;
      }
      const { rows } = await sql<{ n: number }>`select count(*) filter (where enrichment_status <> 'pending')::int as n from listens where user_id = ${dee}`.execute(db);
      shares.push(round(rows[0]!.n / history.length));
      if (rows[0]!.n === history.length) break;
    }
    return shares;
  } finally {
    await closeDb(db, pool);
    await sim.close();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const server = await openBenchServer();
  const rng = new Rng("bench-enrich");
  try {
    // ── The generated world ──────────────────────────────────────────────────────────────────
    process.stderr.write("generating the catalogue and the history…\n");
    const cat = generateCatalogue({ seed: "bench", artists: Math.max(20, Math.round(2000 * SCALE)), albumsPerArtist: [1, 2], tracksPerAlbum: [5, 11] });
    const albums = [...cat.albums.values()].filter((a) => a.albumType !== "compilation");
    const listened: SimTrack[] = [];
    for (const a of albums) {
      for (const id of a.trackIds) {
        const t = cat.tracks.get(id)!;
        if (t.variant === "original" && rng.chance(0.75)) listened.push(t);
      }
      if (listened.length >= UNIQUE) break;
    }
    listened.length = Math.min(listened.length, UNIQUE);
    const idKnown = new Set(listened.filter(() => rng.chance(ID_SHARE)).map((t) => t.id));
    // Plays: most to the end, some cut short; never longer than the track.
    const plays = new Rng("bench-plays");
    const asListen = (t: SimTrack, withId: boolean): Listen => ({
      trackId: withId ? t.id : null,
      artist: cat.artists.get(t.artistIds[0]!)!.name,
      track: exportName(t),
      album: cat.albums.get(t.albumId)!.name,
      msPlayed: plays.chance(0.7) ? t.durationMs - plays.int(0, 1500) : plays.int(1000, t.durationMs),
    });
    // Every track at least once, the rest skewed towards favourites as real histories are: play
    // counts by rank fall as 1 / rank^0.9, so the top 10 % of tracks hold about 60 % of listens.
    const draws = listened.map(() => rng.next() ** 3);
    const rankOf = new Map([...draws.keys()].sort((a, b) => draws[b]! - draws[a]!).map((i, r) => [i, r + 1]));
    const weights = listened.map((_, i) => 1 / rankOf.get(i)! ** 0.9);
    const sumW = weights.reduce((a, b) => a + b, 0);
    const aListens: Listen[] = listened.map((t) => asListen(t, idKnown.has(t.id)));
    for (const [i, t] of listened.entries()) {
      const extra = Math.round(((LISTENS - listened.length) * weights[i]!) / sumW);
      for (let k = 0; k < extra; k++) aListens.push(asListen(t, idKnown.has(t.id)));
    }
    const shared = listened.filter((_, i) => i % 2 === 0);
    const bListens = shared.flatMap((t) => [asListen(t, false), asListen(t, false)]);
    const uniqueArtists = new Set(listened.flatMap((t) => t.artistIds)).size;
    const uniqueAlbums = new Set(listened.map((t) => t.albumId)).size;

    const sim = await startSpotifySimulator({
      catalogue: cat,
      profile: "development",
      timeScale: TIME_SCALE,
      limits: { windowCalls: SIM_WINDOW, dailyCalls: 1_000_000_000 },
      accounts: { accessTokenSeconds: 100 * 365 * 86_400, refreshTokenSeconds: 1000 * 365 * 86_400 },
    });
    const url = await server.freshDatabase("liner_bench_enrich");
    const pool = createPool(url, 4);
    const db = createDb(pool);
    const config = simEnv(sim);
    const ctx: EnrichContext = { db, config, tokenKey: Buffer.from(config.TOKEN_ENCRYPTION_KEY!, "base64"), workerId: "bench" };

    const ann = await connectedUser(db, sim, config, "ann");
    const bob = await connectedUser(db, sim, config, "bob");
    // Someone whose tracks wait the whole time, so the ISRC backfill (lowest priority) is measured apart.
    const sentinel = await connectedUser(db, sim, config, "sentinel");
    await insertListens(db, sentinel, [{ trackId: null, artist: "Sentinel", track: "Waits", album: "-" }]);

    // ── Phase 1: id-known tracks ─────────────────────────────────────────────────────────────
    process.stderr.write(`phase 1: ${idKnown.size} id-known tracks…\n`);
    await insertListens(db, ann, aListens.filter((l) => l.trackId !== null));
    sim.resetStats();
    let t0 = Date.now();
    await drain(ctx, ann);
    const idSeconds = (Date.now() - t0) / 1000;
    const idCalls = endpointCalls(sim, ["tracks", "tracks/{id}", "albums/{id}", "albums/{id}/tracks"]);
    const artistCalls1 = endpointCalls(sim, ["artists/{id}", "artists"]);
    const phase1Total = callsOf(sim);
    let windowLimited = sim.stats().rateLimited.rate;

    // ── Phase 2: tracks known by name only ───────────────────────────────────────────────────
    const searchedCount = listened.length - idKnown.size;
    process.stderr.write(`phase 2: ${searchedCount} tracks by name…\n`);
    await insertListens(db, ann, aListens.filter((l) => l.trackId === null));
    sim.resetStats();
    t0 = Date.now();
    await drain(ctx, ann);
    const searchSeconds = (Date.now() - t0) / 1000;
    const searchCalls = endpointCalls(sim, ["search"]);
    const artistCalls2 = endpointCalls(sim, ["artists/{id}", "artists"]);
    const phase2Total = callsOf(sim);
    windowLimited += sim.stats().rateLimited.rate;
    const simQuality = await score(db, ann, truthFor(cat, listened.filter((t) => !idKnown.has(t.id))));

    // ── Phase 3: a second person sharing half of those tracks ────────────────────────────────
    process.stderr.write(`phase 3: a second person with ${shared.length} shared tracks…\n`);
    await insertListens(db, bob, bListens);
    sim.resetStats();
    await drain(ctx, bob);
    const secondUserCalls = callsOf(sim);
    const bobDone = await sql<{ n: number }>`select count(*)::int as n from listens where user_id = ${bob} and enrichment_status = 'enriched'`.execute(db);

    // ── Phase 4: ISRCs of album-fetched tracks, once nothing else waits ──────────────────────
    // Off by default (nothing reads a catalogue track's ISRC): what a default run spends, then what
    // the backfill would cost when asked for.
    await db.deleteFrom("listens").where("user_id", "=", sentinel).execute();
    sim.resetStats();
    await drain(ctx, ann);
    const isrcCalls = callsOf(sim);
    windowLimited += sim.stats().rateLimited.rate;
    sim.resetStats();
    await drain(ctx, ann, { isrcBackfill: true });
    const isrcCallsIfAsked = callsOf(sim);
    windowLimited += sim.stats().rateLimited.rate;

    const counts = await sql<{ s: string; n: number }>`select enrichment_status as s, count(*)::int as n from listens where user_id = ${ann} group by 1`.execute(db);
    await closeDb(db, pool);
    await sim.close();

    // ── Album fetching off, on the id-known tracks, for comparison ───────────────────────────
    process.stderr.write("album fetching off, for comparison…\n");
    const sim2 = await startSpotifySimulator({ catalogue: cat, profile: "development", timeScale: TIME_SCALE, limits: { windowCalls: SIM_WINDOW, dailyCalls: 1_000_000_000 }, accounts: { accessTokenSeconds: 100 * 365 * 86_400 } });
    const url2 = await server.freshDatabase("liner_bench_enrich_noalbum");
    const pool2 = createPool(url2, 4);
    const db2 = createDb(pool2);
    const config2 = simEnv(sim2, { ENRICH_ALBUM_FETCH: "false" });
    const ann2 = await connectedUser(db2, sim2, config2, "ann");
    const waiter = await connectedUser(db2, sim2, config2, "sentinel");
    await insertListens(db2, waiter, [{ trackId: null, artist: "Sentinel", track: "Waits", album: "-" }]);
    await insertListens(db2, ann2, aListens.filter((l) => l.trackId !== null));
    sim2.resetStats();
    await drain({ db: db2, config: config2, tokenKey: Buffer.from(config2.TOKEN_ENCRYPTION_KEY!, "base64"), workerId: "bench" }, ann2);
    const idCallsNoAlbum = endpointCalls(sim2, ["tracks", "tracks/{id}", "albums/{id}", "albums/{id}/tracks"]);
    const guideSample = listened.filter((t) => !idKnown.has(t.id)).slice(0, Math.min(300, searchedCount));
    const guidePrec = await guidePrecision(sim2, cat, guideSample);
    await closeDb(db2, pool2);
    await sim2.close();

    // ── Day by day: the share of listens enriched after each day's budget ───────────────────
    // Ann's skewed history laid out in time as people listen: each track found at some moment, its
    // plays spread from then on; one day's budget of calls a "day" (scaled with BENCH_SCALE).
    const perDay = Math.max(100, Math.round(Number(process.env.SPOTIFY_DAILY_BUDGET ?? 1000) * Math.min(1, SCALE)));
    const timeline = new Rng("bench-days");
    const found = new Map<string, number>();
    const history = aListens
      .map((l) => {
        const key = `${l.artist}\u0000${l.track}`;
        if (!found.has(key)) found.set(key, timeline.next());
        const d = found.get(key)!;
        return { l, at: d + (1 - d) * timeline.next() };
      })
      .sort((a, b) => a.at - b.at)
      .map((x) => x.l);
    process.stderr.write(`day by day at ${perDay} calls a day: most-played first…\n`);
    const byDayMostPlayed = await listensEnrichedByDay(server, cat, history, "most_played", perDay);
    process.stderr.write("day by day: oldest first…\n");
    const byDayOldest = await listensEnrichedByDay(server, cat, history, "oldest", perDay);

    // ── Real names: a real Extended Streaming History's artist + title pairs ─────────────────
    // A real person's export, in the workshop folder ../shared beside the repository (never in it):
    // measured when it is there, left out — and said so — when it is not.
    const realSource = path.relative(root, REAL_NAMES_FILE);
    let realQuality: Awaited<ReturnType<typeof score>> | null = null;
    if (existsSync(REAL_NAMES_FILE)) {
      process.stderr.write(`matching real names (${realSource})…\n`);
      realQuality = await realNamesQuality(server, REAL_NAMES_FILE);
    } else {
      process.stderr.write(`real names: not measured, ${realSource} is not here (the workshop folder ../shared is not beside the repository)\n`);
    }
    const realCounts = realQuality ?? { correct: 0, matched: 0, total: 0 };

    // ── Figures ──────────────────────────────────────────────────────────────────────────────
    const totalCalls = phase1Total + phase2Total + secondUserCalls + isrcCalls;
    const combinedRecording = (simQuality.recording + (realQuality?.recording ?? 0)) / Math.max(1, simQuality.matched + realCounts.matched);
    const combinedRecallRecording = (simQuality.recording + (realQuality?.recording ?? 0)) / Math.max(1, simQuality.total + realCounts.total);
    const lowerBound = listened.length + uniqueArtists;
    const guideCalls = 2 * (aListens.length + bListens.length);
    const combinedPrecision = (simQuality.correct + realCounts.correct) / Math.max(1, simQuality.matched + realCounts.matched);
    const combinedRecall = (simQuality.correct + realCounts.correct) / Math.max(1, simQuality.total + realCounts.total);
    const result = {
      scale: SCALE,
      listens: aListens.length + bListens.length,
      unique_tracks: listened.length,
      id_known_tracks: idKnown.size,
      searched_tracks: searchedCount,
      unique_albums: uniqueAlbums,
      unique_artists: uniqueArtists,
      calls_per_id_track: round(idCalls / idKnown.size),
      calls_per_id_track_without_album_fetch: round(idCallsNoAlbum / idKnown.size),
      calls_per_searched_track: round(searchCalls / Math.max(1, searchedCount)),
      artist_calls: artistCalls1 + artistCalls2,
      calls_for_second_user_shared_tracks: secondUserCalls,
      second_user_listens_enriched: bobDone.rows[0]!.n,
      isrc_backfill_calls: isrcCalls,
      isrc_backfill_calls_if_asked: isrcCallsIfAsked,
      total_calls: totalCalls,
      total_calls_before_isrc_backfill: totalCalls - isrcCalls,
      lower_bound_calls: lowerBound,
      window_429s: windowLimited,
      guide_approach_calls: guideCalls,
      guide_approach_hours_at_350ms: round((guideCalls * 0.35) / 3600),
      guide_approach_precision: round(guidePrec),
      precision: round(combinedPrecision),
      recall: round(combinedRecall),
      precision_exact: round(combinedPrecision),
      precision_recording: round(combinedRecording),
      recall_exact: round(combinedRecall),
      recall_recording: round(combinedRecallRecording),
      compilation_picks: simQuality.compilationPicks + (realQuality?.compilationPicks ?? 0),
      search_calls: searchCalls,
      daily_budget_for_days: perDay,
      listens_enriched_after_day: byDayMostPlayed,
      listens_enriched_after_day_oldest_first: byDayOldest,
      precision_generated: round(simQuality.precision),
      recall_generated: round(simQuality.recall),
      precision_real_names: realQuality ? round(realQuality.precision) : null,
      recall_real_names: realQuality ? round(realQuality.recall) : null,
      real_name_pairs: realQuality ? realQuality.total : null,
      real_names_source: realQuality ? realSource : `not measured: ${realSource} is not beside the repository`,
      listens_by_status: Object.fromEntries(counts.rows.map((r) => [r.s, r.n])),
      id_phase_seconds: round(idSeconds),
      search_phase_seconds: round(searchSeconds),
      wall_seconds: round((Date.now() - started) / 1000),
      sim_time_scale: TIME_SCALE,
    };
    printTable([
      { figure: "unique tracks (id-known / searched)", liner: `${idKnown.size} / ${searchedCount}`, guide: "—" },
      { figure: "calls per id-known track", liner: result.calls_per_id_track, guide: "2 per listen" },
      { figure: "  … without album fetching", liner: result.calls_per_id_track_without_album_fetch, guide: "" },
      { figure: "calls per searched track", liner: result.calls_per_searched_track, guide: "2 per listen" },
      { figure: "artist calls", liner: result.artist_calls, guide: "1 per listen" },
      { figure: "calls for the 2nd person's shared tracks", liner: secondUserCalls, guide: 2 * bListens.length },
      { figure: "total calls (ISRC backfill included)", liner: `${result.total_calls} (+${isrcCallsIfAsked} if the backfill is asked for)`, guide: guideCalls },
      { figure: "lower bound (new tracks + artists)", liner: lowerBound, guide: lowerBound },
      { figure: "30-second-window 429s", liner: windowLimited, guide: "—" },
      { figure: "precision (generated / real names)", liner: `${result.precision_generated} / ${result.precision_real_names ?? "not measured"}`, guide: result.guide_approach_precision },
      { figure: "recall (generated / real names)", liner: `${result.recall_generated} / ${result.recall_real_names ?? "not measured"}`, guide: "—" },
      { figure: "precision exact / same recording", liner: `${result.precision_exact} / ${result.precision_recording}`, guide: "—" },
      { figure: "recall exact / same recording", liner: `${result.recall_exact} / ${result.recall_recording}`, guide: "—" },
      { figure: "compilation picks (original existed)", liner: result.compilation_picks, guide: "—" },
      { figure: `listens enriched after day 1, 2, 3 … (${perDay} calls a day)`, liner: byDayMostPlayed.slice(0, 5).join(" "), guide: "" },
      { figure: "  … oldest first", liner: byDayOldest.slice(0, 5).join(" "), guide: "" },
      { figure: "wall seconds", liner: result.wall_seconds, guide: `${result.guide_approach_hours_at_350ms} h at 350 ms` },
    ]);
    if (!realQuality) console.log(`\nreal names not measured: ${realSource} (the workshop folder ../shared) is not beside the repository`);
    await mkdir(path.join(root, "bench", "results"), { recursive: true });
    await writeFile(path.join(root, "bench", "results", "enrich.json"), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote bench/results/enrich.json`);
  } finally {
    await server.close();
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
