import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";

export const repoRoot = path.resolve(import.meta.dirname, "../..");
const bin = path.join(repoRoot, "bin", "liner.mjs");

/** Runs a `liner` command to completion. */
export function runLiner(args: string[], env: Record<string, string>, timeoutMs = 60_000) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: timeoutMs,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs a `liner` command to completion without blocking this process — needed when the command
 * talks to something this process serves (the Spotify simulator).
 */
export async function runLinerAsync(args: string[], env: Record<string, string>, timeoutMs = 60_000) {
  const proc = startLiner(args, env);
  let out = "";
  let err = "";
  proc.child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, stdout: out, stderr: err };
}

export interface LinerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts a long-running `liner` command (serve, worker) in the background. */
export function startLiner(args: string[], env: Record<string, string>): LinerProcess {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls a URL until it answers with `status`, or fails after `timeoutMs` with the process output. */
export async function waitForStatus(
  url: string,
  status: number,
  proc: LinerProcess,
  timeoutMs = 90_000,
  headers: Record<string, string> = {},
): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`liner exited (${proc.child.exitCode}):\n${proc.output()}`);
    try {
      const res = await fetch(url, { headers });
      const body = await res.json();
      if (res.status === status) return body;
      last = `${res.status} ${JSON.stringify(body)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last}):\n${proc.output()}`);
}
