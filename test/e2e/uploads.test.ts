import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCatalogue, startSpotifySimulator, type SpotifySimulator } from "../spotify-sim";
import { generateExport, writeExportZip } from "../spotify-sim/exports";
import { startAppWithBrowser, type AppUnderTest } from "../support/app";
import { screenshot } from "../support/browser";
import { exportFixturesDir, makeZip } from "../support/imports";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const FIXTURE = path.join(exportFixturesDir, "extended-new");
const FIXTURE_FILES = ["Streaming_History_Audio_2023_0.json", "Streaming_History_Audio_2023-2024_1.json", "Streaming_History_Video_2023-2024.json"];

describe("uploads in a real browser: resumable, kept on the server, live in every tab", () => {
  let t: TestDatabase;
  let sim: SpotifySimulator;
  let app: AppUnderTest;
  let browser: Browser;
  let context: BrowserContext;
  let appUrl: string;
  let userId: string;
  let lockClient: pg.Client;

  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSpotifySimulator({ catalogue: generateCatalogue({ seed: "e2e-uploads", artists: 8 }) });
    sim.setUser({ id: "uma", displayName: "Uma Example", email: "uma@example.test", country: "SE", product: "premium" });
    sim.setDefaultUser("uma");
    app = await startAppWithBrowser(t, sim);
    ({ browser, url: appUrl } = app);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(appUrl);
    await page.getByRole("link", { name: "Sign in with Spotify" }).click();
    await page.waitForURL(`${appUrl}/dashboard`);
    await page.close();
    userId = (await t.db.selectFrom("users").select("id").where("spotify_id", "=", "uma").executeTakeFirstOrThrow()).id;
    lockClient = new pg.Client({ connectionString: t.url });
    await lockClient.connect();
  }, 180_000);

  afterAll(async () => {
    await lockClient?.end();
    await app?.close();
    await sim?.close();
    await t?.drop();
  });

  /** Holds this person's import lock (the one runImport takes): imports wait, visibly, until released. */
  const holdImports = () => lockClient.query("select pg_advisory_lock(hashtext('liner:import'), hashtext($1))", [userId]);
  const releaseImports = () => lockClient.query("select pg_advisory_unlock(hashtext('liner:import'), hashtext($1))", [userId]);

  const rows = () => t.db.selectFrom("upload_jobs").selectAll().where("user_id", "=", userId).orderBy("created_at").execute();
  async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const item = (page: Page, uploadId: string) => page.locator(`[data-testid="upload-item"][data-upload-id="${uploadId}"]`);
  const phaseOf = (page: Page, uploadId: string) => item(page, uploadId).getAttribute("data-phase", { timeout: 2_000 });

  it("a reload mid-upload: the list shows it receiving, the same file chosen again continues from the server's offset", { timeout: 120_000 }, async () => {
    // The fixture's history plus 6 MB the import ignores (stored, incompressible): slow to send.
    const zip = await makeZip(
      {
        ...Object.fromEntries(FIXTURE_FILES.map((f) => [`Spotify Extended Streaming History/${f}`, readFileSync(path.join(FIXTURE, f))])),
        "Spotify Extended Streaming History/ReadMeFirst_ExtendedStreamingHistory.pdf": randomBytes(6 * 1024 * 1024),
      },
      { compress: (name) => name.endsWith(".json") },
    );
    const size = readFileSync(zip).length;
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1024 * 1024 });
    await page.goto(`${appUrl}/dashboard`);
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.type());
      void d.accept();
    });
    await page.getByText("Your uploads").click(); // a user gesture, as a real person's choosing would be
    await page.getByTestId("upload-input").setInputFiles(zip);
    const receiving = await until("bytes to arrive", async () => {
      const r = (await rows()).at(-1);
      return r && r.status === "receiving" && Number(r.bytes_received) > 512 * 1024 ? r : undefined;
    });
    expect(Number(receiving.byte_size)).toBe(size);
    await page.getByTestId("upload-sending").waitFor();

    // Reload in the middle: the page asks first; then the list shows the upload, still receiving.
    await page.reload();
    expect(dialogs).toContain("beforeunload");
    expect(await phaseOf(page, receiving.id)).toBe("receiving");
    expect(await item(page, receiving.id).getByTestId("upload-phase").textContent()).toMatch(/^Receiving: .* of 6\.\d MB$/);
    const arrived = Number((await rows()).at(-1)!.bytes_received);
    expect(arrived).toBeGreaterThan(0);
    expect(arrived).toBeLessThan(size);

    // Choosing the same file again resumes: the first PATCH starts past zero, and no new upload is made.
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const offsets: number[] = [];
    page.on("request", (r) => {
      if (r.method() === "PATCH") offsets.push(Number(r.headers()["upload-offset"]));
    });
    await page.getByTestId("upload-input").setInputFiles(zip);
    await until("the import to end", async () => (await phaseOf(page, receiving.id).catch(() => null)) === "done", 60_000);
    expect(offsets[0]).toBeGreaterThan(0);
    expect((await rows()).length).toBe(1);
    const summary = (await item(page, receiving.id).getByTestId("upload-summary").textContent()) ?? "";
    expect(summary).toContain("10 new listens, 0 already there; 1 identical row counted once; 2 skipped.");
    expect(summary).toContain("rows with no track, episode or book (e.g. Unknown Artist)");
    expect(summary).toContain("Extended streaming history (2023+ format)");
    expect(summary).toMatch(/ReadMeFirst_ExtendedStreamingHistory\.pdf: ignored/);
    expect(Number((await t.pool.query("select count(*) from listens where user_id = $1", [userId])).rows[0].count)).toBe(10);
    await page.close();
  });

  it("a reload mid-import shows the running import, then its summary", { timeout: 60_000 }, async () => {
    const zip = await makeZip(Object.fromEntries(FIXTURE_FILES.map((f) => [`MyData/${f}`, readFileSync(path.join(FIXTURE, f))])));
    const page = await context.newPage();
    await page.goto(`${appUrl}/dashboard`);
    await holdImports();
    try {
      await page.getByTestId("upload-input").setInputFiles(zip);
      const running = await until("the import to start", async () => (await rows()).find((r) => r.status === "processing"));
      await page.reload();
      expect(await phaseOf(page, running.id)).toBe("reading");
      expect(await item(page, running.id).getByTestId("upload-phase").textContent()).toMatch(/^Reading: \d+ entries so far$/);
    } finally {
      await releaseImports();
    }
    const id = (await rows()).at(-1)!.id;
    await until("the summary", async () => (await phaseOf(page, id).catch(() => null)) === "done");
    expect(await item(page, id).getByTestId("upload-summary").textContent()).toContain("All 10 listens were already there: nothing new");
    await page.close();
  });

  it("the same file from two tabs at once: two uploads, two true summaries, the same list in every tab and device", { timeout: 120_000 }, async () => {
    const zip = path.join(app.dataDir, "two-tabs.zip");
    await writeExportZip(generateExport({ format: "extended-new", entries: 300, seed: "two-tabs" }), zip, { format: "extended-new" });
    const before = (await rows()).length;
    const [a, b] = [await context.newPage(), await context.newPage()];
    await Promise.all([a.goto(`${appUrl}/dashboard`), b.goto(`${appUrl}/dashboard`)]);
    await holdImports();
    let ids: string[];
    try {
      await Promise.all([a.getByTestId("upload-input").setInputFiles(zip), b.getByTestId("upload-input").setInputFiles(zip)]);
      // Both arrive whole and wait for the import lock together.
      ids = await until("both uploads to be queued", async () => {
        const mine = (await rows()).slice(before);
        return mine.length === 2 && mine.every((r) => r.status === "pending" || r.status === "processing") ? mine.map((r) => r.id) : undefined;
      });
      // Within 2 s each tab shows both uploads (the other tab's too) waiting for their import.
      for (const p of [a, b]) {
        for (const id of ids) await until("the tab to catch up", async () => ["queued", "reading"].includes((await phaseOf(p, id).catch(() => null)) ?? ""), 2_000);
      }
    } finally {
      await releaseImports();
    }
    for (const p of [a, b]) {
      for (const id of ids) await until(`upload ${id} done in a tab`, async () => (await phaseOf(p, id).catch(() => null)) === "done");
    }
    const summaries = await Promise.all(ids.map(async (id) => (await item(a, id).getByTestId("upload-summary").locator("p").first().textContent()) ?? ""));
    const fresh = summaries.find((s) => /^\d[\d,]* new listens, 0 already there/.test(s));
    const again = summaries.find((s) => /^All [\d,]+ listens were already there: nothing new/.test(s));
    expect(fresh, summaries.join(" | ")).toBeDefined();
    expect(again, summaries.join(" | ")).toBeDefined();
    expect(Number(fresh!.match(/^([\d,]+)/)![1]!.replace(/,/g, ""))).toBe(Number(again!.match(/^All ([\d,]+)/)![1]!.replace(/,/g, "")));

    // Another device (a new sign-in) sees the same list at once.
    const other = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const phone = await other.newPage();
    await phone.goto(appUrl);
    await phone.getByRole("link", { name: "Sign in with Spotify" }).click();
    await phone.waitForURL(`${appUrl}/dashboard`);
    for (const id of ids) expect(await phaseOf(phone, id)).toBe("done");
    expect(await phone.getByTestId("upload-item").count()).toBe(before + 2);

    // Screenshots, and nothing of the upload box or the list wider than the phone's screen.
    await screenshot(phone, "uploads-390");
    const wide = await phone.evaluate(() =>
      [...document.querySelectorAll('section[aria-labelledby="upload-title"], section[aria-labelledby="upload-title"] *, [data-testid="uploads"], [data-testid="uploads"] *')]
        .filter((e) => e.getBoundingClientRect().right > 390.5)
        .map((e) => `${e.tagName.toLowerCase()}.${(e as HTMLElement).className}`),
    );
    expect(wide).toEqual([]);
    // "Choose a file" is a real control a finger can reach.
    const choose = phone.getByText("Choose a file");
    expect(await choose.evaluate((e) => e.tagName)).toBe("LABEL");
    const [chooser] = await Promise.all([phone.waitForEvent("filechooser"), choose.tap()]);
    expect(chooser.isMultiple()).toBe(false);
    await other.close();
    await a.setViewportSize({ width: 1280, height: 800 });
    await screenshot(a, "uploads-1280");
    await a.close();
    await b.close();
  });
});
