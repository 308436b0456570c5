import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCatalogue, startSpotifySimulator, type SpotifySimulator } from "../spotify-sim";
import { generateExport, writeExportZip } from "../spotify-sim/exports";
import { startAppWithBrowser, type AppUnderTest } from "../support/app";
import { screenshot } from "../support/browser";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

describe("the dashboard in a real browser: upload, import, enrichment through a rate limit, history", () => {
  let t: TestDatabase;
  let sim: SpotifySimulator;
  let app: AppUnderTest;
  let browser: Browser;
  let dir: string;
  let appUrl: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    const catalogue = generateCatalogue({ seed: "e2e-dash", artists: 12 });
    sim = await startSpotifySimulator({ catalogue, limits: { windowCalls: 10_000 } });
    // Spotify's 30-second limit strikes after 25 calls: the panel waits it out.
    sim.queueFaults([...Array<null>(25).fill(null), "rate_limit"]);
    sim.setUser({ id: "erin", displayName: "Erin Example", email: "erin@example.test", country: "SE", product: "premium" });
    sim.setDefaultUser("erin");
    app = await startAppWithBrowser(t, sim, { ENRICH_BATCH_SIZE: "30" });
    ({ browser, url: appUrl, dataDir: dir } = app);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await sim?.close();
    await t?.drop();
  });

  it("shows the upload's summary, then enrichment reaching 100 % with its runs, then the history with covers", { timeout: 150_000 }, async () => {
    const zip = path.join(dir, "my_spotify_data.zip");
    const tracks = sim.catalogue.listenable().slice(0, 70);
    await writeExportZip(generateExport({ format: "extended-new", entries: 400, seed: "e2e-dash", tracks }), zip, { format: "extended-new" });

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(appUrl);
    await page.getByRole("link", { name: "Sign in with Spotify" }).click();
    await page.waitForURL(`${appUrl}/dashboard`);
    expect(await page.getByTestId("enrichment-state").textContent()).toBe("Nothing to enrich yet: upload your Spotify data.");
    await screenshot(page, "dashboard-empty");

    await page.getByTestId("upload-input").setInputFiles(zip);
    const summary = page.getByTestId("upload-summary");
    await summary.waitFor({ timeout: 60_000 });
    const text = (await summary.textContent()) ?? "";
    expect(text).toMatch(/\d+ new listens, 0 already there/);
    expect(text).toContain("Streaming_History_Audio_");
    await screenshot(page, "dashboard-uploaded");

    // Enrichment started by itself (the upload trigger); the panel polls until it is done.
    await page.waitForFunction(() => document.querySelector('[data-testid="enrichment-percent"]')?.textContent === "100%", undefined, { timeout: 90_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="enrichment-state"]')?.textContent === "Everything that can be enriched is.", undefined, { timeout: 30_000 });
    const runs = (await page.getByTestId("runs").textContent()) ?? "";
    expect(runs).toContain("upload");
    await screenshot(page, "dashboard-enriched");
    expect(sim.stats().rateLimited.rate).toBeGreaterThanOrEqual(1);
    const limitedRuns = await t.db.selectFrom("enrichment_runs").select("status").where("status", "=", "rate_limited").execute();
    expect(limitedRuns.length).toBeGreaterThanOrEqual(1);

    // Artist pictures come last (after every track): the page shows them once they are in.
    const covers = page.getByTestId("top-artists").locator("img");
    for (let i = 0; i < 30; i++) {
      await page.goto(`${appUrl}/history?period=all`);
      if ((await covers.count()) > 3) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(await covers.count()).toBeGreaterThan(3);
    expect(await covers.first().getAttribute("src")).toMatch(/\/image\//);
    await page.getByTestId("timeline").waitFor();
    await screenshot(page, "history");

    // The first person to sign in is the install's operator.
    await page.goto(`${appUrl}/admin`);
    expect(await page.getByTestId("backlogs").textContent()).toContain("erin");
    await screenshot(page, "operator");
  });
});
