import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { catalogueFromExtendedHistory, type ExtendedEntry } from "./from-history";
import { generateCatalogue } from "./generate-catalogue";
import type { Profile } from "./objects";
import { startSpotifySimulator } from "./server";

const help = `npm run spotify-sim -- [options]

A Spotify Accounts service and Web API stand-in, for offline demos and benchmarks.

  --port N              port on 127.0.0.1 (default 4010)
  --profile P           development (default: no batch endpoints) or extended
  --client-id ID        the app's client id (default sim-client-id)
  --client-secret S     its secret (default sim-client-secret)
  --user ID             the Spotify user /authorize signs in as (default sim-user-1)
  --seed S              catalogue seed (default 1)
  --artists N           generated catalogue size in artists (default 200)
  --from-history FILE   build the catalogue from an Extended Streaming History JSON file instead
  --window-calls N      calls per rolling 30-second window (default 100)
  --daily-calls N       calls per rolling day (default 2000)
  --time-scale X        simulated seconds per real second (default 1)
  --latency-ms N        added to every Web API answer
  --error-rate X        share of Web API calls answered 5xx (seeded)
`;

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4010" },
    profile: { type: "string", default: "development" },
    "client-id": { type: "string" },
    "client-secret": { type: "string" },
    user: { type: "string" },
    seed: { type: "string", default: "1" },
    artists: { type: "string", default: "200" },
    "from-history": { type: "string" },
    "window-calls": { type: "string" },
    "daily-calls": { type: "string" },
    "time-scale": { type: "string", default: "1" },
    "latency-ms": { type: "string", default: "0" },
    "error-rate": { type: "string", default: "0" },
    help: { type: "boolean", default: false },
  },
});

function num(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`spotify-sim: --${name} must be a non-negative number (got "${raw}")`);
    process.exit(2);
  }
  return n;
}

if (values.help) {
  console.log(help);
  process.exit(0);
}
if (values.profile !== "development" && values.profile !== "extended") {
  console.error(`spotify-sim: --profile must be development or extended (got "${values.profile}")`);
  process.exit(2);
}

const catalogue = values["from-history"]
  ? catalogueFromExtendedHistory(JSON.parse(readFileSync(values["from-history"], "utf8")) as ExtendedEntry[], { variants: true })
  : generateCatalogue({ seed: values.seed, artists: num("artists", values.artists) });

const windowCalls = num("window-calls", values["window-calls"]);
const dailyCalls = num("daily-calls", values["daily-calls"]);
const sim = await startSpotifySimulator({
  port: num("port", values.port),
  profile: values.profile as Profile,
  catalogue,
  clientId: values["client-id"],
  clientSecret: values["client-secret"],
  timeScale: num("time-scale", values["time-scale"]),
  limits: { ...(windowCalls !== undefined ? { windowCalls } : {}), ...(dailyCalls !== undefined ? { dailyCalls } : {}) },
  faults: { latencyMs: num("latency-ms", values["latency-ms"]) ?? 0, serverErrorRate: num("error-rate", values["error-rate"]) ?? 0 },
});
if (values.user) sim.setDefaultUser(values.user);

console.log(`Spotify simulator on ${sim.url} (${values.profile} profile; ${catalogue.tracks.size} tracks, ${catalogue.artists.size} artists)
Point Liner at it:
  SPOTIFY_ACCOUNTS_BASE_URL=${sim.accountsBaseUrl}
  SPOTIFY_API_BASE_URL=${sim.apiBaseUrl}
  SPOTIFY_CLIENT_ID=${sim.clientId}
  SPOTIFY_CLIENT_SECRET=${sim.clientSecret}
Counters: GET ${sim.url}/_sim/stats`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void sim.close().then(() => process.exit(0));
  });
}
