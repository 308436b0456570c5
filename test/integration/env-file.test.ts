import { spawn, spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandSpecs } from "../../src/commands/specs";
import { freePort, repoRoot, waitForStatus, type LinerProcess } from "../support/liner-process";

const bin = path.join(repoRoot, "bin", "liner.mjs");

/**
 * The environment a person has before any .env: this run's, without what the tests put in the
 * file, so that the file is what provides it.
 */
function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(SPOTIFY_|LINER_|PORT$|HOST$|APP_URL$|DATABASE_URL$|TOKEN_ENCRYPTION_KEY$|LOG_LEVEL$)/.test(key)) delete env[key];
  }
  return { ...env, ...extra };
}

/** `liner …` run to completion from `cwd` (a temporary folder, not Liner's own). */
function liner(cwd: string, args: string[], extra: Record<string, string> = {}, timeoutMs = 90_000) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, env: baseEnv(extra), encoding: "utf8", timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function startLinerIn(cwd: string, args: string[], extra: Record<string, string> = {}): LinerProcess {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: baseEnv(extra), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe("liner <command> --help", () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = realpathSync(await mkdtemp(path.join(os.tmpdir(), "liner-help-")));
    // Help must not depend on configuration: even a broken .env does not stop it.
    await writeFile(path.join(cwd, ".env"), "not an assignment\n");
  });
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it("prints each command's usage and options and exits 0, for --help and -h", { timeout: 300_000 }, () => {
    for (const name of Object.keys(commandSpecs) as (keyof typeof commandSpecs)[]) {
      const flag = name === "import" || name === "serve" ? "-h" : "--help";
      const r = liner(cwd, [name, flag]);
      expect(r.stderr).toBe("");
      expect(r.code, `${name} ${flag}`).toBe(0);
      expect(r.stdout).toContain(`Usage: ${commandSpecs[name].usage}`);
      expect(r.stdout).toContain("-h, --help");
      for (const option of Object.keys(commandSpecs[name].options)) expect(r.stdout).toContain(`--${option}`);
    }
    const r = liner(cwd, ["import", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^liner import — /);
    expect(r.stdout).toContain("FILE");
    expect(r.stdout).toContain("--user <spotify id>");
    expect(r.stdout).toContain("--create-user");
  });

  it("rejects an unknown option with the usage and exit 2", { timeout: 60_000 }, () => {
    const r = liner(cwd, ["status", "--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^liner status: Unknown option '--bogus'/);
    expect(r.stderr).toContain("Usage: liner status [--json]");

    const missing = liner(cwd, ["import", "--user"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^liner import: Option '--user <value>' argument missing/);
    expect(missing.stderr).toContain(`Usage: ${commandSpecs.import.usage}`);
  });
});

describe("the .env file", () => {
  let cwd: string;
  let dataDir: string;
  let port: number;
  let running: LinerProcess | undefined;
  const envFile = () => path.join(cwd, ".env");

  beforeAll(async () => {
    cwd = realpathSync(await mkdtemp(path.join(os.tmpdir(), "liner-envfile-")));
    // Apart from cwd, as in serve-lifecycle: when root, the cluster runs as postgres and must reach it.
    dataDir = await mkdtemp(path.join(os.tmpdir(), "liner-envfile-data-"));
    await rm(dataDir, { recursive: true });
    port = await freePort();
  });
  afterAll(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill("SIGKILL");
      await running.exited;
    }
    await rm(cwd, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  it("a malformed file stops every command with one line naming the file", { timeout: 60_000 }, async () => {
    await writeFile(envFile(), `PORT=${port}\nSPOTIFY_CLIENT_ID=abc\nthis line is not an assignment\n`);
    const r = liner(cwd, ["serve"], { LINER_DATA_DIR: dataDir });
    expect(r.code).toBe(78);
    expect(r.stderr.trim()).toBe(`Invalid configuration file ${envFile()}: line 3: expected NAME=value`);
    expect(existsSync(dataDir)).toBe(false);

    await writeFile(envFile(), `SPOTIFY_CLIENT_SECRET="never closed\nPORT=${port}\n`);
    const unclosed = liner(cwd, ["doctor"], { LINER_DATA_DIR: dataDir });
    expect(unclosed.code).toBe(78);
    expect(unclosed.stderr.trim()).toBe(
      `Invalid configuration file ${envFile()}: line 1: the value of SPOTIFY_CLIENT_SECRET opens a " quote that never closes`,
    );

    const named = liner(cwd, ["status"], { LINER_ENV_FILE: "liner.env" });
    expect(named.code).toBe(78);
    expect(named.stderr.trim()).toBe(`Invalid configuration file ${path.join(cwd, "liner.env")}: no such file (named by LINER_ENV_FILE)`);
  });

  it("serve listens on the file's PORT, and route handlers and doctor see its Spotify credentials", { timeout: 240_000 }, async () => {
    await writeFile(
      envFile(),
      [
        "# as copied from .env.example and filled in",
        `LINER_DATA_DIR=${dataDir}`,
        `PORT=${port}`,
        "SPOTIFY_CLIENT_ID=client-id-from-dotenv",
        "export SPOTIFY_CLIENT_SECRET='secret from dotenv'",
        'SPOTIFY_ACCOUNTS_BASE_URL="http://127.0.0.1:9/accounts-from-file"',
        "LOG_LEVEL=warn",
        "",
      ].join("\n"),
    );
    running = startLinerIn(cwd, ["serve"]);
    await waitForStatus(`http://127.0.0.1:${port}/api/health`, 200, running, 180_000);

    // Route handlers read the same values: sign-in sends Spotify back to this port, with this client.
    const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, { redirect: "manual" });
    expect(login.status).toBe(302);
    const location = new URL(login.headers.get("location")!);
    expect(location.origin + location.pathname).toBe("http://127.0.0.1:9/accounts-from-file/authorize");
    expect(location.searchParams.get("client_id")).toBe("client-id-from-dotenv");
    expect(location.searchParams.get("redirect_uri")).toBe(`http://127.0.0.1:${port}/api/auth/callback`);

    const doctor = liner(cwd, ["doctor"]);
    expect(doctor.stdout).toContain("✓ spotify credentials: client id set; accounts http://127.0.0.1:9/accounts-from-file");
    expect(doctor.stdout).toMatch(/✓ queue round trip: a worker ran a ping job/);
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).not.toContain("secret from dotenv");
  });

  it("the process environment wins over the file, even with an empty value", { timeout: 120_000 }, () => {
    const doctor = liner(cwd, ["doctor", "--no-ping"], {
      SPOTIFY_ACCOUNTS_BASE_URL: "http://127.0.0.1:9/accounts-from-env",
      SPOTIFY_CLIENT_SECRET: "",
    });
    expect(doctor.stdout).toContain("✗ spotify credentials: missing SPOTIFY_CLIENT_SECRET");
    expect(doctor.stdout).toContain("add the redirect URI http://127.0.0.1:" + port + "/api/auth/callback");
    expect(doctor.code).toBe(1);

    const withCreds = liner(cwd, ["doctor", "--no-ping"], { SPOTIFY_ACCOUNTS_BASE_URL: "http://127.0.0.1:9/accounts-from-env" });
    expect(withCreds.stdout).toContain("✓ spotify credentials: client id set; accounts http://127.0.0.1:9/accounts-from-env");
    expect(withCreds.code).toBe(0);
  });

  it("stops cleanly", { timeout: 60_000 }, async () => {
    running!.child.kill("SIGTERM");
    expect(await running!.exited).toBe(0);
  });
});
