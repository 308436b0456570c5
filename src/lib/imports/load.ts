import { once } from "node:events";
import type { Writable } from "node:stream";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { dedupeKeySql, groupKeyHex, OCCURRENCE_ORDER } from "./dedupe-key";
import type { ListenRow } from "./listen";

/**
 * Bulk load: rows are COPYed into a temporary staging table, then one INSERT … ON CONFLICT moves
 * them into `listens`, numbering identical entries and computing their dedupe keys on the way.
 * Both run in the caller's transaction, so an upload lands whole or not at all.
 */

const STAGE_COLUMNS = [
  "seq integer not null",
  "kind text not null",
  // Epoch milliseconds: cheaper to write and to parse than timestamps, converted once on insert.
  "played_at_ms bigint not null",
  "played_at_precision text not null",
  "ms_played integer not null",
  "track_name text",
  "artist_name text",
  "album_name text",
  "episode_name text",
  "show_name text",
  "audiobook_title text",
  "chapter_title text",
  "source_uri text",
  "source_track_id text",
  "lookup_key text",
  // sha256 of (item, minute, ms played), made in JavaScript: a short, fixed-size sort key.
  "group_key bytea not null",
  "platform text",
  "conn_country text",
  "reason_start text",
  "reason_end text",
  "shuffle boolean",
  "skipped boolean",
  "offline boolean",
  "offline_at_ms bigint",
  "incognito boolean",
  "enrichment_status text not null",
];

const STAGE_NAMES = STAGE_COLUMNS.map((c) => c.split(" ")[0]!);

export async function createStagingTable(client: pg.ClientBase): Promise<void> {
  await client.query(`create temp table import_stage (${STAGE_COLUMNS.join(", ")}) on commit drop`);
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;

function esc(v: string | null): string {
  if (v === null) return "\\N";
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"));
}

const b = (v: boolean | null) => (v === null ? "\\N" : v ? "t" : "f");

/** A listen enrichment can work on: a track with an id from the export, or artist + track names. */
export const enrichable = (r: ListenRow) => r.kind === "track" && (r.sourceTrackId !== null || r.lookupKey !== null);

/** One row in COPY's text format, in STAGE_NAMES order. */
export function copyLine(r: ListenRow, seq: number): string {
  return (
    `${seq}\t${r.kind}\t${r.playedAt}\t${r.precision}\t${r.msPlayed}\t` +
    `${esc(r.trackName)}\t${esc(r.artistName)}\t${esc(r.albumName)}\t${esc(r.episodeName)}\t${esc(r.showName)}\t` +
    `${esc(r.audiobookTitle)}\t${esc(r.chapterTitle)}\t${esc(r.sourceUri)}\t${esc(r.sourceTrackId)}\t` +
    `${esc(r.lookupKey)}\t\\\\x${groupKeyHex(r.itemKey, r.playedAt, r.msPlayed)}\t${esc(r.platform)}\t${esc(r.connCountry)}\t${esc(r.reasonStart)}\t` +
    `${esc(r.reasonEnd)}\t${b(r.shuffle)}\t${b(r.skipped)}\t${b(r.offline)}\t` +
    `${r.offlineAt === null ? "\\N" : r.offlineAt}\t${b(r.incognito)}\t` +
    `${enrichable(r) ? "pending" : "not_applicable"}\n`
  );
}

/** Writes rows into the staging table through COPY, waiting whenever PostgreSQL falls behind. */
export class StagingWriter {
  private lines: string[] = [];
  private readonly stream: Writable;
  private failure: Error | undefined;
  rows = 0;

  constructor(client: pg.ClientBase) {
    this.stream = client.query(copyFrom(`copy import_stage (${STAGE_NAMES.join(", ")}) from stdin`));
    this.stream.on("error", (err: Error) => (this.failure ??= err));
  }

  add(row: ListenRow): void {
    this.lines.push(copyLine(row, this.rows++));
  }

  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.lines.length === 0) return;
    const chunk = this.lines.join("");
    this.lines = [];
    if (!this.stream.write(chunk)) await once(this.stream, "drain");
  }

  async finish(): Promise<void> {
    await this.flush();
    this.stream.end();
    if (!this.stream.writableFinished) await once(this.stream, "finish");
    if (this.failure) throw this.failure;
  }

  /** Ends a COPY that will not be used (the transaction is rolled back anyway). */
  abort(): void {
    this.stream.destroy();
  }
}

const LISTEN_COLUMNS = [
  "played_at",
  "played_at_precision",
  "ms_played",
  "kind",
  "track_name",
  "artist_name",
  "album_name",
  "episode_name",
  "show_name",
  "audiobook_title",
  "chapter_title",
  "source_uri",
  "source_track_id",
  "lookup_key",
  "platform",
  "conn_country",
  "reason_start",
  "reason_end",
  "shuffle",
  "skipped",
  "offline",
  "offline_at",
  "incognito",
  "enrichment_status",
];

const fromMs = (col: string) => `(timestamptz 'epoch' + ${col} * interval '1 millisecond')`;

/**
 * The staged rows with their listen columns and dedupe key. Occurrences are numbered on a narrow
 * projection (seq, group, time) and joined back by seq, so the wide rows are never sorted: they
 * stream out in staging order, which is the export's (nearly time-sorted) order.
 */
const KEYED = `
  select ${LISTEN_COLUMNS.map((c) => (c === "played_at" ? `${fromMs("s.played_at_ms")} as played_at` : c === "offline_at" ? `${fromMs("s.offline_at_ms")} as offline_at` : `s.${c}`)).join(", ")},
         ${dedupeKeySql("o.occurrence", "s.group_key")} as dedupe_key
  from import_stage s
  join (
    select seq, row_number() over (partition by group_key order by ${OCCURRENCE_ORDER}) - 1 as occurrence
    from import_stage
  ) o using (seq)`;

/**
 * Moves the staged rows into `listens` with one INSERT … ON CONFLICT DO NOTHING: new listens are
 * inserted, ones already there are duplicates. Before that, when this person has listens from an
 * account-data export (minute precision, names only), those this upload also holds at the second
 * are filled in with its details — the second, the track URI, platform and so on.
 */
export async function insertStaged(
  client: pg.ClientBase,
  userId: string,
  uploadId: string,
): Promise<{ inserted: number; upgraded: number }> {
  // Sorting and hashing the staged rows want memory rather than temporary files; and the planner
  // needs the staging table's real size, or it picks nested loops over hundreds of thousands of rows.
  await client.query("set local work_mem = '64MB'");
  await client.query("analyze import_stage");
  let upgraded = 0;
  const exists = async (query: string, values: unknown[] = []) => (await client.query(`select exists (${query}) as e`, values)).rows[0].e === true;
  if (
    (await exists("select 1 from import_stage where played_at_precision = 'second'")) &&
    (await exists("select 1 from listens where user_id = $1 and played_at_precision = 'minute'", [userId]))
  ) {
    const upgrade = await client.query(
      `update listens l set
         played_at = k.played_at, played_at_precision = 'second',
         album_name = coalesce(l.album_name, k.album_name),
         source_uri = coalesce(l.source_uri, k.source_uri),
         source_track_id = coalesce(l.source_track_id, k.source_track_id),
         platform = k.platform, conn_country = k.conn_country, reason_start = k.reason_start, reason_end = k.reason_end,
         shuffle = k.shuffle, skipped = k.skipped, offline = k.offline, offline_at = k.offline_at, incognito = k.incognito,
         -- A search that found nothing gets another chance now that the export names the track's id.
         enrichment_status = case when l.enrichment_status in ('not_found', 'failed') and k.source_track_id is not null
                                  then 'pending' else l.enrichment_status end,
         enrichment_reason = case when l.enrichment_status in ('not_found', 'failed') and k.source_track_id is not null
                                  then null else l.enrichment_reason end
       from (${KEYED}) k
       where l.user_id = $1 and l.dedupe_key = k.dedupe_key
         and l.played_at_precision = 'minute' and k.played_at_precision = 'second'`,
      [userId],
    );
    upgraded = upgrade.rowCount ?? 0;
  }
  const insert = await client.query(
    `insert into listens (user_id, upload_id, ${LISTEN_COLUMNS.join(", ")}, dedupe_key)
     select $1::bigint, $2::uuid, ${LISTEN_COLUMNS.join(", ")}, dedupe_key
     from (${KEYED}) k
     -- An anti-join, not ON CONFLICT: imports of one person run one at a time (the advisory lock in
     -- run-import), so nothing races it, and a plain insert skips speculative insertion per row.
     where not exists (select 1 from listens l where l.user_id = $1 and l.dedupe_key = k.dedupe_key)`,
    [userId, uploadId],
  );
  return { inserted: insert.rowCount ?? 0, upgraded };
}
