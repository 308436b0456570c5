#!/usr/bin/env node
// The `liner` command: runs src/cli.ts through tsx, from any directory.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

// Output whose reader has gone (a closed terminal, a dead parent) is dropped, not an error: a
// failed write to a closed stderr would otherwise be an uncaught exception, which Next.js's handler
// logs to that same stderr, over and over.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code !== "EPIPE") throw err;
  });
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.env.LINER_ROOT ??= root;
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
register({ tsconfig: path.join(root, "tsconfig.json") });
await import(pathToFileURL(path.join(root, "src", "cli.ts")).href);
