/**
 * `npm run demo`: Liner against the Spotify simulator, with a generated catalogue and a generated
 * export for a demo listener — the whole flow (sign in, upload, import, enrichment through a rate
 * limit, stats with covers) in about a minute, with no Spotify app. Data lives in .liner-demo/.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { loadEnvFileOrExit } from "../src/lib/config/env-file";
import { generateCatalogue, startSpotifySimulator } from "../test/spotify-sim";
import { generateExport, writeExportZip } from "../test/spotify-sim/exports";

// Before anything reads the environment: the same .env file `liner` reads (the environment wins).
loadEnvFileOrExit();

const root = path.resolve(import.meta.dirname, "..");
const dataDir = path.join(root, ".liner-demo");
const port = process.env.PORT ?? "3000";

async function main() {
  await mkdir(dataDir, { recursive: true });
  const catalogue = generateCatalogue({ seed: "demo", artists: 40 });
  // Spotify's 30-second window, made small enough that the demo meets it: the panel shows the wait.
  const sim = await startSpotifySimulator({ catalogue, port: Number(process.env.DEMO_SPOTIFY_PORT ?? 4010), limits: { windowCalls: 60 } });
  sim.setUser({ id: "demo-listener", displayName: "Demo Listener", email: "demo@example.test", country: "SE", product: "premium" });
  sim.setDefaultUser("demo-listener");

  const zip = path.join(dataDir, "my_spotify_data.zip");
  if (!existsSync(zip)) {
    const tracks = catalogue.listenable().slice(0, 110);
    await writeExportZip(generateExport({ format: "extended-new", entries: 1500, seed: "demo", tracks }), zip, { format: "extended-new" });
  }
  const keyFile = path.join(dataDir, "demo-token-key");
  if (!existsSync(keyFile)) await writeFile(keyFile, randomBytes(32).toString("base64"));

  const child = spawn(process.execPath, [path.join(root, "bin", "liner.mjs"), "serve"], {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      LINER_DATA_DIR: dataDir,
      // The demo keeps to its own embedded database, even when .env names a real one (empty = unset).
      DATABASE_URL: "",
      PORT: port,
      LINER_DEMO: "true",
      TOKEN_ENCRYPTION_KEY: readFileSync(keyFile, "utf8").trim(),
      SPOTIFY_CLIENT_ID: sim.clientId,
      SPOTIFY_CLIENT_SECRET: sim.clientSecret,
      SPOTIFY_ACCOUNTS_BASE_URL: sim.accountsBaseUrl,
      SPOTIFY_API_BASE_URL: sim.apiBaseUrl,
      // Faster than the simulator allows, on purpose: a 429 arrives and is waited out.
      SPOTIFY_CALLS_PER_MINUTE: "240",
      SPOTIFY_CALL_BURST: "20",
      ENRICH_BATCH_SIZE: "40",
      NEXT_TELEMETRY_DISABLED: "1",
    },
  });
  console.log(`
  ┌─ Liner demo ──────────────────────────────────────────────────────────────────
  │ This is a DEMO: Spotify is simulated (${sim.url}); nothing leaves this machine.
  │ 1. Open http://127.0.0.1:${port} and press "Sign in with Spotify" (you are "Demo Listener").
  │ 2. On the dashboard, upload ${path.relative(process.cwd(), zip)}
  │ 3. Watch the import, then enrichment (it meets Spotify's rate limit and waits it out).
  │ 4. Open History for top artists, tracks and albums with their covers.
  │ Ctrl-C stops everything. Demo data lives in ${path.relative(process.cwd(), dataDir)}/.
  └───────────────────────────────────────────────────────────────────────────────
`);
  const stop = () => {
    child.kill("SIGTERM");
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  child.on("exit", (code) => {
    void sim.close().then(() => process.exit(code ?? 0));
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
