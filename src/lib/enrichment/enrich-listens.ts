import { randomUUID } from "node:crypto";
import type { RunStatus } from "../db/schema";
import { getAccessToken } from "../spotify/connection";
import { rateBudgetOptions } from "../spotify/rate-budget";
import { emptyStats, RateLimited, SpotifyUnavailable, WebApi, type CallStats } from "../spotify/web-api";
import { fetchArtists } from "./artists";
import { anyPendingTrackWork, eligibleUsers, hasValidConnection, pendingItems, refreshBacklog, requeueStale } from "./backlog";
import { resolveById } from "./by-id";
import { resolveByName } from "./by-name";
import { claimItems, releaseClaims } from "./claims";
import { resolveFromCatalogue } from "./free-resolution";
import { BatchResults } from "./results";
import { RunScope, StopRun, type EnrichContext, type EnrichOptions } from "./run-scope";
import { finishRun, startRun, type RunOutcome } from "./runs";
import { fetchTrackDetails } from "./track-details";

export type { EnrichContext, EnrichOptions } from "./run-scope";

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
  /**
   * Every item this run would have worked on was being fetched by another run: the run did nothing
   * and the next batch should look again a little later.
   */
  busy: boolean;
  /**
   * The batch was full, so the lower-priority phases (artists, ISRCs) did not run: another batch
   * should follow even when no track is left.
   */
  deferred: boolean;
  /** Set when a rate limit, the quota or Spotify's trouble ended the run: when it may go on. */
  resumeAt: Date | null;
  error: string | null;
}

/** Results are written every this many items, not only at the end of a batch. */
const SAVE_EVERY = 20;

/** Items are worked in the backlog's order this many at a time (by id, then by name, each slice). */
const ORDER_SLICE = 50;

const total = (rec: Record<string, number>) => Object.values(rec).reduce((a, b) => a + b, 0);

/**
 * Enriches listens, the way the guide's `enrichListens(100)` does, at the fewest calls: the shared
 * catalogue and lookup cache first (free), then Spotify by id or by search for what is missing, then
 * artists, written back set-based. Returns one stats object per user run.
 */
export async function enrichListens(ctx: EnrichContext, opts: EnrichOptions = {}): Promise<EnrichStats[]> {
  // A job queued for a person who has since deleted their account finds nobody: nothing to do.
  const users = opts.userId ? (await ctx.db.selectFrom("users").select("id").where("id", "=", opts.userId).execute()).map((u) => u.id) : await eligibleUsers(ctx.db);
  const out: EnrichStats[] = [];
  const started = Date.now();
  let callsLeft = opts.maxCalls ?? Infinity;
  for (const userId of users) {
    const maxMs = opts.maxMs === undefined ? undefined : Math.max(0, opts.maxMs - (Date.now() - started));
    const stats = await enrichUser(ctx, userId, { ...opts, maxCalls: callsLeft, maxMs });
    out.push(stats);
    callsLeft -= stats.apiCalls;
    // A limit, or Spotify's trouble, holds every user back alike: the others wait for the next run.
    if (stats.status === "rate_limited" || stats.status === "quota_paused" || stats.status === "spotify_unavailable" || callsLeft <= 0) break;
    if (opts.maxMs !== undefined && Date.now() - started >= opts.maxMs) break;
  }
  return out;
}

/** One person's run: one `enrichment_runs` row, the phases in order, claims released at the end. */
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
  let busy = false;
  let deferred = false;
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
      busy,
      deferred,
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
    // 1. Free: the shared catalogue and the lookup cache.
    await requeueStale(db, userId, config.ENRICH_RECHECK_DAYS);
    outcome.listensFromCatalogue += await resolveFromCatalogue(db, userId, config.ENRICH_RECHECK_DAYS);

    const deadline = opts.maxMs === undefined ? Infinity : Date.now() + opts.maxMs;
    const maxCalls = opts.maxCalls ?? Infinity;
    const api = new WebApi({
      db,
      baseUrl: config.SPOTIFY_API_BASE_URL,
      budget: rateBudgetOptions(config),
      token: (rejected) => getAccessToken(db, config, ctx.tokenKey, userId, { rejected }),
      maxWaitMs: opts.maxWaitMs ?? 60_000,
      serverErrorBackoff: opts.serverErrorBackoff,
      stats: callStats,
      sleep: ctx.sleep,
    });
    const mayCall = () => total(callStats.calls) < maxCalls && Date.now() < deadline && !ctx.shouldStop?.();

    const candidates = await pendingItems(db, userId, batchSize, opts.order);
    const mine = await claimItems(db, owner, candidates.map((c) => c.item));
    const items = candidates.filter((c) => mine.has(c.item));
    busy = candidates.length > 0 && items.length === 0;
    const results = new BatchResults();
    const scope = new RunScope(ctx, api, results, mayCall, async (done) => {
      opts.onProgress?.({ userId, done, total: items.length });
      if (results.results.length >= SAVE_EVERY) await results.save(db, userId, outcome);
    });
    try {
      // 2. By id, 3. by name — a slice at a time, so a run cut short by its call budget has spent
      // it on the most-played items, whichever way they are known.
      for (let i = 0; i < items.length; i += ORDER_SLICE) {
        const slice = items.slice(i, i + ORDER_SLICE);
        await resolveById(scope, slice.filter((x) => x.trackId !== null), opts.albumFetch ?? config.ENRICH_ALBUM_FETCH);
        await resolveByName(scope, slice.filter((x) => x.trackId === null));
      }
    } finally {
      // Whatever was fetched is kept, even when a limit stopped the batch half-way.
      await results.save(db, userId, outcome);
    }
    outcome.listensFromCatalogue += await resolveFromCatalogue(db, userId, config.ENRICH_RECHECK_DAYS);

    // Lower priority: 4. artist pages, then (when asked) 5. ISRCs of album-fetched tracks, once the tracks are done.
    deferred = !(items.length < batchSize && candidates.length === items.length);
    if (!deferred && mayCall()) {
      outcome.artistsFetched = await fetchArtists(scope, userId, owner, batchSize);
      // ISRCs of album-fetched tracks, when asked for, only when nobody's tracks are waiting any more.
      if (opts.isrcBackfill && mayCall() && !(await anyPendingTrackWork(db))) tracksDetailed = await fetchTrackDetails(scope, userId, owner, batchSize - outcome.artistsFetched);
    }
    if (outcome.itemsFailed > 0) outcome.status = "partial";
  } catch (err) {
    if (err instanceof StopRun) {
      outcome.status = err.status;
      outcome.error = err.message;
      outcome.resumeAt = err.resumeAt;
    } else if (err instanceof SpotifyUnavailable) {
      // Spotify's own outage: nothing is the items' fault, they stay pending; the job resumes at `until`.
      outcome.status = "spotify_unavailable";
      outcome.error = err.message;
      outcome.resumeAt = err.until;
    } else if (err instanceof RateLimited) {
      outcome.status = err.reason === "rate" ? "rate_limited" : "quota_paused";
      outcome.error = err.message;
      outcome.resumeAt = err.until;
    } else {
      // A refused connection (ConnectionUnavailable, Unauthorized) or anything unforeseen.
      outcome.status = "failed";
      outcome.error = (err as Error).message;
    }
  }
  return finish();
}
