import type { Readable } from "node:stream";
import { detectEntryFormat, familyOf, type HistoryFormat } from "./detect-format";
import { ImportInputError } from "./errors";
import { JsonArrayScanner, JsonShapeError } from "./json-array";
import type { ListenRow, SkipReason } from "./listen";
import { parseBasic } from "./parse-basic";
import { parseExtended } from "./parse-extended";
import { zipProblem, type ZipMember } from "./zip-reader";

/** What became of one file of an upload; listed in upload_jobs.files. */
export interface FileReport {
  name: string;
  status: "imported" | "ignored";
  format?: HistoryFormat;
  entries?: number;
  skipped?: number;
  /** Why a file was ignored. */
  reason?: string;
}

export interface ReadProgress {
  bytes: number;
  entries: number;
  skipped: number;
  skippedReasons: Partial<Record<SkipReason, number>>;
  /** Entries kept with a name cut to the length Liner keeps. */
  namesCapped: number;
  files: FileReport[];
}

export interface HistorySink {
  /**
   * `file` is the number of the file (member) the row comes from when it is an account-data
   * (basic) row, and -1 for an extended one: identical basic rows are told apart within a file only.
   */
  add(row: ListenRow, file: number): void;
  /** Called after each chunk so the sink can write out and apply back-pressure. */
  flush(): Promise<void>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Reads every member of an upload in turn, streaming: detects each one's format from its first
 * entry, parses entries into listens for the sink, and accounts for every entry. Members that are
 * not listening history (PDFs, playlists, search queries, user data) are listed as ignored.
 * `single` is true when the upload is one JSON file rather than a zip: then it must be history.
 */
export async function readHistory(
  members: ZipMember[],
  opts: { uploadName: string; single: boolean; sink: HistorySink; onProgress?: (p: ReadProgress) => void },
): Promise<ReadProgress> {
  const progress: ReadProgress = { bytes: 0, entries: 0, skipped: 0, skippedReasons: {}, namesCapped: 0, files: [] };
  const where = (member: string) => (opts.single ? member : `${member} (in ${opts.uploadName})`);

  let bytesBefore = 0;
  for (const [fileNo, member] of members.entries()) {
    // Files stopped early (not history) still count as read, so progress reaches the total.
    progress.bytes = bytesBefore;
    bytesBefore += member.size;
    if (member.encrypted) {
      progress.files.push({ name: member.name, status: "ignored", reason: "encrypted" });
      continue;
    }
    if (member.size === 0) {
      if (opts.single) throw new ImportInputError(`${member.name} is empty.`);
      progress.files.push({ name: member.name, status: "ignored", reason: "empty file" });
      continue;
    }
    let format: HistoryFormat | null = null;
    let ignoredReason: string | undefined;
    let entries = 0;
    let skipped = 0;
    const videoFile = /video/i.test(member.name);
    const scanner = new JsonArrayScanner((value, index) => {
      if (index === 0) {
        format = detectEntryFormat(value);
        if (format === null) {
          ignoredReason = "not listening history";
          return false;
        }
      }
      if (!isObject(value)) throw new JsonShapeError(`entry ${index + 1} is not an object`);
      const extended = familyOf(format!) === "extended";
      const parsed = extended
        ? "ts" in value && "ms_played" in value
          ? parseExtended(value, videoFile)
          : null
        : "endTime" in value && "msPlayed" in value
          ? parseBasic(value)
          : null;
      if (parsed === null) {
        throw new JsonShapeError(`entry ${index + 1} does not have the fields of the entries before it`);
      }
      entries++;
      progress.entries++;
      if (parsed.ok) {
        opts.sink.add(parsed.row, extended ? -1 : fileNo);
        if (parsed.capped) progress.namesCapped++;
      } else {
        skipped++;
        progress.skipped++;
        progress.skippedReasons[parsed.reason] = (progress.skippedReasons[parsed.reason] ?? 0) + 1;
      }
      return true;
    });

    let stream: Readable | undefined;
    try {
      stream = await member.open();
      for await (const chunk of stream) {
        const buf = chunk as Buffer;
        progress.bytes += buf.length;
        const more = scanner.feed(buf);
        await opts.sink.flush();
        opts.onProgress?.(progress);
        if (!more) break;
      }
      const shape = scanner.end();
      if (shape !== "array" && ignoredReason === undefined) ignoredReason = shape === "empty" ? "empty file" : "not a JSON array";
      if (shape === "array" && format === null && ignoredReason === undefined) ignoredReason = "empty list";
    } catch (err) {
      if (err instanceof JsonShapeError) throw new ImportInputError(`${where(member.name)}: ${err.message}.`);
      if (err instanceof ImportInputError) throw err;
      throw new ImportInputError(
        `${where(member.name)} could not be read (${zipProblem((err as Error).message)}); the file looks damaged — download the export again.`,
      );
    } finally {
      stream?.destroy();
    }
    if (format === null) {
      if (opts.single) {
        throw new ImportInputError(
          ignoredReason === "not a JSON array"
            ? `${member.name} is not a JSON array of listens: upload the zip Spotify sent, or one of its StreamingHistory/Streaming_History JSON files.`
            : ignoredReason === "empty list"
              ? `${member.name} holds no listens.`
              : `${member.name} is not a Spotify listening history (its entries have neither endTime/msPlayed nor ts/ms_played).`,
        );
      }
      progress.files.push({ name: member.name, status: "ignored", reason: ignoredReason ?? "not listening history" });
    } else {
      progress.files.push({ name: member.name, status: "imported", format, entries, skipped });
    }
    progress.bytes = bytesBefore;
    opts.onProgress?.(progress);
  }

  if (!progress.files.some((f) => f.status === "imported")) {
    throw new ImportInputError(
      `No Spotify listening history found in ${opts.uploadName}: it has no StreamingHistory or Streaming_History/endsong files` +
        (progress.files.length ? ` (looked at ${progress.files.length} files).` : "."),
    );
  }
  return progress;
}
