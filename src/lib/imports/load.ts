import { once } from "node:events";
import type { Writable } from "node:stream";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { dedupeKeySql, minuteOf, OCCURRENCE_ORDER } from "./dedupe-key";
import type { ListenRow } from "./listen";

/**
 * Bulk load: rows are COPYed into a temporary staging table, then one INSERT … ON CONFLICT moves
 * them into `listens`, numbering identical entries and computing their dedupe keys on the way.
 * Both run in the caller's transaction, so an upload lands whole or not at all.
 */

const STAGE_COLUMNS = [
  "seq integer not null",
  "kind text not null",
  "played_at timestamptz not null",
  "played_at_precision text not null",
  "minute bigint not null",
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
  "item_key text not null",
  "platform text",
  "conn_country text",
  "reason_start text",
  "reason_end text",
  "shuffle boolean",
  "skipped boolean",
  "offline boolean",
  "offline_at timestamptz",
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
    `${seq}\t${r.kind}\t${new Date(r.playedAt).toISOString()}\t${r.precision}\t${minuteOf(r.playedAt)}\t${r.msPlayed}\t` +
    `${esc(r.trackName)}\t${esc(r.artistName)}\t${esc(r.albumName)}\t${esc(r.episodeName)}\t${esc(r.showName)}\t` +
    `${esc(r.audiobookTitle)}\t${esc(r.chapterTitle)}\t${esc(r.sourceUri)}\t${esc(r.sourceTrackId)}\t` +
    `${esc(r.lookupKey)}\t${esc(r.itemKey)}\t${esc(r.platform)}\t${esc(r.connCountry)}\t${esc(r.reasonStart)}\t` +
    `${esc(r.reasonEnd)}\t${b(r.shuffle)}\t${b(r.skipped)}\t${b(r.offline)}\t` +
    `${r.offlineAt === null ? "\\N" : new Date(r.offlineAt).toISOString()}\t${b(r.incognito)}\t` +
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

/** Columns an account-data listen lacks and an extended one brings when both describe one play. */
const UPGRADE = `
  played_at = excluded.played_at,
  played_at_precision = excluded.played_at_precision,
  album_name = coalesce(listens.album_name, excluded.album_name),
  source_uri = coalesce(listens.source_uri, excluded.source_uri),
  source_track_id = coalesce(listens.source_track_id, excluded.source_track_id),
  platform = excluded.platform,
  conn_country = excluded.conn_country,
  reason_start = excluded.reason_start,
  reason_end = excluded.reason_end,
  shuffle = excluded.shuffle,
  skipped = excluded.skipped,
  offline = excluded.offline,
  offline_at = excluded.offline_at,
  incognito = excluded.incognito,
  -- A search that found nothing gets another chance now that the export names the track's id.
  enrichment_status = case
    when listens.enrichment_status in ('not_found', 'failed') and excluded.source_track_id is not null then 'pending'
    else listens.enrichment_status end,
  enrichment_reason = case
    when listens.enrichment_status in ('not_found', 'failed') and excluded.source_track_id is not null then null
    else listens.enrichment_reason end`;

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

/**
 * Moves the staged rows into `listens`. New listens are inserted; ones already there are
 * duplicates, and a duplicate that a minute-precision listen already holds fills in its details.
 */
export async function insertStaged(
  client: pg.ClientBase,
  userId: string,
  uploadId: string,
): Promise<{ inserted: number; upgraded: number }> {
  // The numbering sorts every staged row; give it memory rather than temporary files.
  await client.query("set local work_mem = '64MB'");
  const { rows } = await client.query<{ inserted: number; upgraded: number }>(
    `with staged as (
       select s.*, row_number() over (partition by item_key, minute, ms_played order by ${OCCURRENCE_ORDER}) - 1 as occurrence
       from import_stage s
     ), written as (
       insert into listens (user_id, upload_id, ${LISTEN_COLUMNS.join(", ")}, dedupe_key)
       select $1::bigint, $2::uuid, ${LISTEN_COLUMNS.join(", ")}, ${dedupeKeySql("occurrence")}
       from staged
       on conflict (user_id, dedupe_key) do update set ${UPGRADE}
       where listens.played_at_precision = 'minute' and excluded.played_at_precision = 'second'
       returning (xmax = 0) as fresh
     )
     select (count(*) filter (where fresh))::int as inserted, (count(*) filter (where not fresh))::int as upgraded from written`,
    [userId, uploadId],
  );
  return rows[0]!;
}
