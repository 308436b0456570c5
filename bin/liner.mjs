#!/usr/bin/env node
// The `liner` command: runs src/cli.ts through tsx, from any directory.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.env.LINER_ROOT ??= root;
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
register({ tsconfig: path.join(root, "tsconfig.json") });
await import(pathToFileURL(path.join(root, "src", "cli.ts")).href);
