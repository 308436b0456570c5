import { once } from "node:events";
import type { Writable } from "node:stream";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { dedupeKeySql, groupKeyHex } from "./dedupe-key";
import type { ListenRow } from "./listen";

/**
 * Bulk load: rows are COPYed into a temporary staging table, keyed (identical plays folded,
 * look-alike ones numbered), then one INSERT moves them into `listens`.
 * Both run in the caller's transaction, so an upload lands whole or not at all.
 */

const STAGE_COLUMNS = [
  "seq integer not null",
  // The file an account-data (basic) row came from; -1 for extended rows (see foldAndKey).
  "part integer not null",
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
  // What Liner does not store, hashed (ListenRow.unstored): rows differing only there stay distinct.
  "unstored integer not null",
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

/** One row in COPY's text format, in STAGE_NAMES order. `part`: see HistorySink.add. */
export function copyLine(r: ListenRow, seq: number, part: number): string {
  return (
    `${seq}\t${part}\t${r.kind}\t${r.playedAt}\t${r.precision}\t${r.msPlayed}\t` +
    `${esc(r.trackName)}\t${esc(r.artistName)}\t${esc(r.albumName)}\t${esc(r.episodeName)}\t${esc(r.showName)}\t` +
    `${esc(r.audiobookTitle)}\t${esc(r.chapterTitle)}\t${esc(r.sourceUri)}\t${esc(r.sourceTrackId)}\t` +
    `${esc(r.lookupKey)}\t\\\\x${groupKeyHex(r.itemKey, r.playedAt, r.msPlayed)}\t${esc(r.platform)}\t${esc(r.connCountry)}\t${esc(r.reasonStart)}\t` +
    `${esc(r.reasonEnd)}\t${b(r.shuffle)}\t${b(r.skipped)}\t${b(r.offline)}\t` +
    `${r.offlineAt === null ? "\\N" : r.offlineAt}\t${b(r.incognito)}\t` +
    `${enrichable(r) ? "pending" : "not_applicable"}\t${r.unstored}\n`
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

  add(row: ListenRow, part: number): void {
    this.lines.push(copyLine(row, this.rows++, part));
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

/** What makes two staged rows the same play: every column but the row's place in the upload. */
const ROW_FIELDS = STAGE_NAMES.filter((c) => c !== "seq" && c !== "part");

/**
 * Keys the rows that share a group (item, minute, ms played) with another row of the upload —
 * only they can be the same play as another row, or need numbering — and decides which of them
 * to keep; every other row keeps occurrence 0. Writes (seq, dedupe_key, kept) of those rows into
 * `import_folds` and returns how many rows were folded. Within a group:
 * - extended rows are numbered over the whole upload, rows identical in every field (the same
 *   second, URI, reasons, offline time, platform…) sharing one number: the same file twice, or a
 *   row Spotify wrote twice, is one play;
 * - basic rows are numbered within their own file: identical rows of one file are distinct plays
 *   (nothing in a basic row tells two skips of a song in one minute apart), while the same rows in
 *   another file of the upload (the file twice, or two overlapping exports) are the same plays;
 * - then one row is kept per dedupe key, an extended one before a basic one.
 * Finding the groups is one hash aggregate; nothing is sorted but the few rows in them.
 */
export async function foldAndKey(client: pg.ClientBase): Promise<number> {
  await client.query(`
    create temp table import_folds on commit drop as
    with multi as (
      select group_key from import_stage group by group_key having count(*) > 1
    ),
    numbered as (
      select s.seq, s.part,
             ${dedupeKeySql(`dense_rank() over (
               partition by s.group_key, s.part
               order by s.played_at_ms,
                        case when s.part < 0 then md5(row(${ROW_FIELDS.map((c) => `s.${c}`).join(", ")})::text) end,
                        case when s.part >= 0 then s.seq end
             ) - 1`, "s.group_key")} as dedupe_key
      from import_stage s join multi using (group_key)
    )
    select seq, dedupe_key, row_number() over (partition by dedupe_key order by part < 0 desc, seq) = 1 as kept
    from numbered`);
  await client.query("analyze import_folds");
  const { rows } = await client.query("select count(*) filter (where not kept)::int as folded from import_folds");
  return (rows[0] as { folded: number }).folded;
}

/** The kept staged rows with their listen columns and dedupe key, in staging (the export's) order. */
const KEYED = `
  select ${LISTEN_COLUMNS.map((c) => (c === "played_at" ? `${fromMs("s.played_at_ms")} as played_at` : c === "offline_at" ? `${fromMs("s.offline_at_ms")} as offline_at` : `s.${c}`)).join(", ")},
         coalesce(f.dedupe_key, ${dedupeKeySql("0", "s.group_key")}) as dedupe_key
  from import_stage s left join import_folds f using (seq)
  where f.kept is not false`;

/**
 * Moves the staged rows into `listens` with one INSERT: new listens are inserted, ones already
 * there are duplicates, rows that are the same play as another row of the upload are folded.
 * Before that, when this person has listens from an account-data export (minute precision, names
 * only), those this upload also holds at the second are filled in with its details — the second,
 * the track URI, platform, and the kind (a video podcast's episode is `video` whichever came first).
 */
export async function insertStaged(
  client: pg.ClientBase,
  userId: string,
  uploadId: string,
): Promise<{ inserted: number; upgraded: number; folded: number }> {
  // Sorting and hashing the staged rows want memory rather than temporary files; and the planner
  // needs the staging table's real size, or it picks nested loops over hundreds of thousands of rows.
  await client.query("set local work_mem = '64MB'");
  await client.query("analyze import_stage");
  const folded = await foldAndKey(client);
  let upgraded = 0;
  const exists = async (query: string, values: unknown[] = []) => (await client.query(`select exists (${query}) as e`, values)).rows[0].e === true;
  if (
    (await exists("select 1 from import_stage where played_at_precision = 'second'")) &&
    (await exists("select 1 from listens where user_id = $1 and played_at_precision = 'minute'", [userId]))
  ) {
    const upgrade = await client.query(
      `update listens l set
         played_at = k.played_at, played_at_precision = 'second', kind = k.kind,
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
  return { inserted: insert.rowCount ?? 0, upgraded, folded };
}
