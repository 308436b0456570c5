import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";

/**
 * The one `.env` file every entry point reads (the `liner` commands, `npm run demo`, the benches),
 * before anything reads the environment. Which file:
 *   1. LINER_ENV_FILE, when set in the environment (relative to the working directory); it must exist;
 *   2. otherwise `.env` in the working directory;
 *   3. otherwise `.env` in the project root (LINER_ROOT, the folder of package.json).
 * Only the first one found is read. Variables already in the environment win over the file: it only
 * fills in what is unset (Node's own `process.loadEnvFile`).
 */
export class EnvFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`Invalid configuration file ${file}: ${detail}`);
    this.name = "EnvFileError";
  }
}

export interface EnvFileOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  root?: string;
}

/** The file that would be read, or null when there is none. */
export function envFilePath(opts: EnvFileOptions = {}): string | null {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const explicit = env.LINER_ENV_FILE?.trim();
  if (explicit) {
    const file = path.resolve(cwd, explicit);
    if (!existsSync(file)) throw new EnvFileError(file, "no such file (named by LINER_ENV_FILE)");
    return file;
  }
  const root = opts.root ?? env.LINER_ROOT ?? path.resolve(import.meta.dirname, "../../..");
  for (const dir of [cwd, root]) {
    const file = path.resolve(dir, ".env");
    if (existsSync(file)) return file;
  }
  return null;
}

/**
 * Reads the `.env` file into `process.env` without replacing what is already set. Returns the file
 * read, or null. Throws EnvFileError, whose message is one line naming the file, when the file
 * cannot be read or has a line that is not `NAME=value` (Node's parser would skip it silently).
 */
export function loadEnvFile(opts: EnvFileOptions = {}): string | null {
  const file = envFilePath(opts);
  if (!file) return null;
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new Error("not a file");
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new EnvFileError(file, code === "EACCES" ? "not readable (permission denied)" : "not a readable file");
  }
  const problem = checkEnvText(text);
  if (problem) throw new EnvFileError(file, problem);
  const env = opts.env ?? process.env;
  if (env === process.env) {
    process.loadEnvFile(file);
  } else {
    // The same rule against another object (tests).
    for (const [k, v] of Object.entries(parseEnv(text))) if (env[k] === undefined) env[k] = v;
  }
  return file;
}

/**
 * Entry points other than `liner` (scripts, benches): load the file, or print the one line and
 * exit 78 (EX_CONFIG), as `liner` does.
 */
export function loadEnvFileOrExit(): string | null {
  try {
    return loadEnvFile();
  } catch (err) {
    if (err instanceof EnvFileError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * What is wrong with a .env text, as "line N: …", or null. Accepts what Node's parser reads:
 * blank lines, `#` comments, `[export ]NAME=value`, values in '…', "…" or `…` that may span lines.
 * Never echoes a value (it may be a secret).
 */
export function checkEnvText(text: string): string | null {
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) return `line ${i + 1}: expected NAME=value`;
    const name = line.slice(0, eq).trim().replace(/^export\s+/, "");
    if (!NAME.test(name)) return `line ${i + 1}: "${name.slice(0, 40)}" is not a variable name (letters, digits and _)`;
    const value = line.slice(eq + 1).trimStart();
    const quote = value[0];
    if (quote !== '"' && quote !== "'" && quote !== "`") continue;
    // A quoted value ends at the next quote of the same kind (Node knows no escaped quotes), on
    // this line or a later one.
    let rest = value.slice(1);
    let j = i;
    for (;;) {
      const end = rest.indexOf(quote);
      if (end >= 0) {
        const after = rest.slice(end + 1).trim();
        if (after !== "" && !after.startsWith("#")) return `line ${j + 1}: unexpected text after the closing ${quote} of ${name}`;
        break;
      }
      j++;
      if (j >= lines.length) return `line ${i + 1}: the value of ${name} opens a ${quote} quote that never closes`;
      rest = lines[j]!;
    }
    i = j;
  }
  return null;
}
