import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import type { SpotifySimulator } from "../spotify-sim";
import { launchBrowser } from "./browser";
import { freePort, startLiner, waitForStatus, type LinerProcess } from "./liner-process";
import { simulatorEnv } from "./spotify";
import type { TestDatabase } from "./test-database";

export interface AppUnderTest {
  url: string;
  dataDir: string;
  liner: LinerProcess;
  browser: Browser;
  close(): Promise<void>;
}

/** `liner serve` on the test database, pointed at the simulator, and a Chromium to drive it. */
export async function startAppWithBrowser(t: TestDatabase, sim: SpotifySimulator, env: Record<string, string> = {}): Promise<AppUnderTest> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "liner-e2e-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const liner = startLiner(["serve"], {
    DATABASE_URL: t.url,
    PORT: String(port),
    LINER_DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    ...simulatorEnv(sim),
    ...env,
  });
  await waitForStatus(`${url}/api/health`, 200, liner, 120_000);
  const browser = await launchBrowser();
  return {
    url,
    dataDir,
    liner,
    browser,
    async close() {
      await browser.close();
      liner.child.kill("SIGTERM");
      await liner.exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
