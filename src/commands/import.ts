import { stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Config } from "../lib/config/env";
import { openDatabase } from "../lib/db/connect";
import { migrate } from "../lib/db/migrations";
import { NAME_MAX_CHARS } from "../lib/imports/normalise";
import { poolDatabase, runImport, type ImportProgress } from "../lib/imports/run-import";
import { importLimits } from "../lib/imports/uploads";
import { createLog } from "../lib/util/log";
import { renderBar } from "../lib/util/progress";
import { commandSpecs } from "./specs";

const usage = `Usage: ${commandSpecs.import.usage}`;

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** A one-line progress bar on stderr: redrawn in place on a terminal, a line every few seconds otherwise. */
function progressBar(stream: NodeJS.WriteStream) {
  const started = Date.now();
  let lastLine = 0;
  return (p: ImportProgress) => {
    const now = Date.now();
    const final = p.phase !== "reading";
    if (!stream.isTTY && !final && now - lastLine < 2000) return;
    if (stream.isTTY && !final && now - lastLine < 100) return;
    lastLine = now;
    const ratio = p.bytesTotal > 0 ? Math.min(1, p.bytesProcessed / p.bytesTotal) : 0;
    const secs = (now - started) / 1000;
    const label = p.phase === "reading" ? "reading" : p.phase === "saving" ? "saving " : p.phase;
    const line =
      `${label} ${renderBar(ratio)} ` +
      `${mb(p.bytesProcessed)}/${mb(p.bytesTotal)}  ${p.entries} entries  ${Math.round(p.entries / Math.max(secs, 0.001))}/s`;
    stream.write(stream.isTTY ? `\r${line.padEnd(100)}${final && p.phase !== "saving" ? "\n" : ""}` : `${line}\n`);
  };
}

/**
 * `liner import FILE --user <spotify id>`: the same import an upload gets, run here and now, with a
 * progress bar. The file is read in place and left where it is.
 */
export async function importCommand(config: Config, args: string[]): Promise<number> {
  const parsed = parseArgs({ args, allowPositionals: true, options: commandSpecs.import.options });
  const file = parsed.positionals[0];
  const spotifyId = parsed.values.user;
  if (!file || !spotifyId || parsed.positionals.length > 1) {
    const problem = !file ? "FILE is missing" : !spotifyId ? "--user is required" : "one FILE at a time";
    console.error(`liner import: ${problem}.\n${usage}\nRun \`liner import --help\` for the options.`);
    return 2;
  }
  const filePath = path.resolve(file);
  try {
    if (!(await stat(filePath)).isFile()) throw new Error("not a file");
  } catch {
    console.error(`liner import: ${file} is not a readable file.`);
    return 2;
  }

  const database = await openDatabase(config, { embedded: "start", poolSize: 3 });
  try {
    await migrate(database.pool);
    let user = await database.db.selectFrom("users").select("id").where("spotify_id", "=", spotifyId).executeTakeFirst();
    if (!user && parsed.values["create-user"]) {
      user = await database.db.insertInto("users").values({ spotify_id: spotifyId }).returning("id").executeTakeFirstOrThrow();
      console.error(`Created user ${spotifyId}.`);
    }
    if (!user) {
      console.error(
        `liner import: no user with Spotify id "${spotifyId}". Sign in to Liner once with that account, or pass --create-user.`,
      );
      return 1;
    }
    const { size } = await stat(filePath);
    const { id: uploadId } = await database.db
      .insertInto("upload_jobs")
      .values({ user_id: user.id, file_path: filePath, original_name: path.basename(filePath), byte_size: size })
      .returning("id")
      .executeTakeFirstOrThrow();
    const result = await runImport(poolDatabase(database.pool), uploadId, {
      limits: importLimits(config),
      removeFile: false,
      finalAttempt: true,
      onProgress: progressBar(process.stderr),
      log: createLog("import", config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL),
    });
    // The file is the person's own: forget where it was rather than keep a path to it.
    await database.db.updateTable("upload_jobs").set({ file_path: null }).where("id", "=", uploadId).execute();
    if (result.status !== "completed") {
      console.error(`Import failed: ${result.error}`);
      return 1;
    }
    const reasons = Object.entries(result.skippedReasons)
      .map(([k, n]) => `${n} ${k.replace(/_/g, " ")}`)
      .join(", ");
    console.log(
      `Imported ${path.basename(filePath)} for ${spotifyId}: ${result.entries} entries — ${result.inserted} new, ` +
        `${result.duplicates} already there${result.upgraded ? ` (${result.upgraded} filled in)` : ""}, ` +
        `${result.identicalFolded} identical folded, ${result.skipped} skipped${reasons ? ` (${reasons})` : ""}` +
        `${result.namesCapped ? `; ${result.namesCapped} with names cut to ${NAME_MAX_CHARS} characters` : ""}.`,
    );
    for (const f of result.files) {
      console.log(`  ${f.status === "imported" ? `${f.format}`.padEnd(16) : "ignored".padEnd(16)} ${f.name}${f.status === "imported" ? `  ${f.entries} entries` : `  (${f.reason})`}`);
    }
    console.log(`Upload ${uploadId}.`);
    return 0;
  } finally {
    await database.close();
  }
}
