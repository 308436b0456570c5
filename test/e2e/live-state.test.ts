import path from "node:path";
import { sql } from "kysely";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCatalogue, startSpotifySimulator, type SpotifySimulator } from "../spotify-sim";
import { generateExport, writeExportZip } from "../spotify-sim/exports";
import { startAppWithBrowser, type AppUnderTest } from "../support/app";
import { screenshot } from "../support/browser";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

const text = async (page: Page, testId: string) => ((await page.getByTestId(testId).textContent()) ?? "").trim();

/** Waits until the element's text satisfies `pattern` (a regexp source), polling in the page. */
const waitText = (page: Page, testId: string, pattern: string, timeout = 15_000) =>
  page.waitForFunction(
    ([id, p]) => new RegExp(p!).test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ""),
    [testId, pattern] as const,
    { timeout },
  );

/** Elements wider than the viewport, outside the panels that scroll on purpose. */
const overflowing = (page: Page) =>
  page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const bad: string[] = [];
    for (const el of Array.from(document.querySelectorAll("body *"))) {
      if (el.closest(".table-scroll") && !el.classList.contains("table-scroll")) continue;
      if (el.closest("dialog:not([open])")) continue;
      const r = el.getBoundingClientRect();
      if (r.width > 0 && (r.right > width + 1 || r.left < -1)) bad.push(`${el.tagName.toLowerCase()}.${el.className} (${Math.round(r.left)}–${Math.round(r.right)})`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, width, bad };
  });

describe("the live state in a real browser: two tabs agree, the quota counts days, a reconnect resumes", () => {
  let t: TestDatabase;
  let sim: SpotifySimulator;
  let app: AppUnderTest;
  let browser: Browser;
  let appUrl: string;
  let ctx: BrowserContext;

  beforeAll(async () => {
    t = await createTestDatabase();
    const catalogue = generateCatalogue({ seed: "e2e-live", artists: 12 });
    // Spotify's daily quota is tiny here: it is reached during the first run.
    sim = await startSpotifySimulator({ catalogue, limits: { windowCalls: 10_000, dailyCalls: 15 } });
    sim.setUser({ id: "lena", displayName: "Lena Live", email: "lena@example.test", country: "SE", product: "premium" });
    sim.setDefaultUser("lena");
    app = await startAppWithBrowser(t, sim, { ENRICH_BATCH_SIZE: "10", ENRICH_ALBUM_FETCH: "false", SPOTIFY_DAILY_BUDGET: "20" });
    ({ browser, url: appUrl } = app);
  }, 180_000);

  afterAll(async () => {
    await ctx?.close();
    await app?.close();
    await sim?.close();
    await t?.drop();
  });

  it("two tabs show one state; the spent quota counts days and says when calls resume; a reconnect starts enrichment", { timeout: 240_000 }, async () => {
    ctx = await browser.newContext({ viewport: DESKTOP, timezoneId: "Europe/Stockholm" });
    const a = await ctx.newPage();
    await a.goto(appUrl);
    await a.getByRole("link", { name: "Sign in with Spotify" }).click();
    await a.waitForURL(`${appUrl}/dashboard`);
    expect(await a.title()).toBe("Dashboard · Liner");
    const b = await ctx.newPage();
    await b.goto(`${appUrl}/dashboard`);
    expect(await text(b, "enrichment-state")).toBe("Nothing to enrich yet: upload your Spotify data.");

    // "Enrich now" with nothing to do says so, not "Queued".
    await a.getByTestId("enrich-now").click();
    await waitText(a, "enrich-message", "^Nothing to enrich: everything that can be is\\.$");

    // An upload in tab A: tab B, idle and not polling, follows within a few seconds.
    const zip = path.join(app.dataDir, "my_spotify_data.zip");
    const tracks = sim.catalogue.listenable().slice(0, 70);
    await writeExportZip(generateExport({ format: "extended-new", entries: 300, seed: "e2e-live", tracks }), zip, { format: "extended-new" });
    await a.getByTestId("upload-input").setInputFiles(zip);
    await a.getByTestId("upload-summary").waitFor({ timeout: 60_000 });
    await waitText(a, "count-total", "^[1-9]");
    const total = await text(a, "count-total");
    await waitText(b, "count-total", `^${total}$`, 5_000);

    // Spotify's quota strikes: both tabs say so, and the time left counts days and names the time.
    await waitText(a, "enrichment-state", "^Paused: Spotify's daily quota is reached; enrichment resumes (at|on \\w{3}) \\d\\d:\\d\\d\\.$", 90_000);
    const eta = await text(a, "eta");
    expect(eta).toMatch(/^Spotify's daily quota is reached; about \d+ (days|hours) at 20 calls a day; next calls (at|on \w{3}) \d\d:\d\d$/);
    const state = await text(a, "enrichment-state");
    await waitText(b, "enrichment-state", `^${state.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, 5_000);
    // The resume time is the reader's (Stockholm), from the quota's real end.
    const { rows } = await sql<{ until: Date }>`select blocked_until as until from spotify_rate_state`.execute(t.db);
    const local = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Stockholm", hour: "2-digit", minute: "2-digit", hour12: false }).format(rows[0]!.until);
    expect(state).toContain(local);
    // The runs table speaks words, and no ISO time is left anywhere in the panel.
    const runs = await text(a, "runs");
    expect(runs).toContain("After your upload");
    expect(runs).toContain("Paused: daily quota");
    expect(await text(a, "enrichment-panel")).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    await screenshot(a, "live-quota-desktop");

    // Spotify ends the connection: no estimate, a Reconnect button instead.
    const enrichedBefore = Number((await text(a, "count-enriched")).replace(/,/g, ""));
    sim.setRateLimit({ dailyCalls: 10_000 });
    sim.resetLimits();
    await sql`update spotify_rate_state set blocked_until = null, blocked_reason = null`.execute(t.db);
    await sql`delete from spotify_call_counts`.execute(t.db);
    await sql`delete from graphile_worker._private_jobs where key like 'enrich:user:%'`.execute(t.db);
    await sql`update spotify_tokens set state = 'revoked'`.execute(t.db);
    await a.reload();
    await waitText(a, "enrichment-state", "^Needs reconnect");
    expect(await a.getByTestId("eta").count()).toBe(0);
    await b.reload();
    await b.setViewportSize(PHONE);
    await screenshot(b, "live-reconnect-phone");

    // Reconnecting starts enrichment at once (no wait for the hourly schedule), and tab B sees it.
    const reconnectedAt = new Date();
    await a.getByTestId("connect-spotify").click();
    await a.waitForURL(`${appUrl}/dashboard`);
    await a.waitForFunction(
      (before) => Number((document.querySelector('[data-testid="count-enriched"]')?.textContent ?? "0").replace(/,/g, "")) > before,
      enrichedBefore,
      { timeout: 60_000 },
    );
    const resumed = await t.db.selectFrom("enrichment_runs").select(["trigger", "started_at"]).where("started_at", ">=", reconnectedAt).orderBy("id").executeTakeFirstOrThrow();
    expect(resumed.trigger).toBe("resume");
    await waitText(b, "runs", "Resumed after a wait or a reconnect", 10_000);
    // Our own daily budget (20) is reached before the 55-odd calls are: days again, with when.
    await waitText(a, "enrichment-state", "^Paused: today's budget of 20 calls is spent; next calls (at|on \\w{3}) \\d\\d:\\d\\d\\.$", 90_000);
    expect(await text(a, "eta")).toMatch(/^today's budget is spent; about \d+ (days|hours) at 20 calls a day; next calls (at|on \w{3}) \d\d:\d\d$/);
    expect(await text(a, "calls-today")).toBe("20 of 20");
  });

  it("every page at 1280×800 and 390×844: titled, nothing wider than the screen; deleting data asks, then says it is done", { timeout: 120_000 }, async () => {
    const page = await ctx.newPage();
    for (const [name, url, title] of [
      ["dashboard", "/dashboard", "Dashboard · Liner"],
      ["settings", "/settings", "Settings · Liner"],
      ["history", "/history?period=all", "History · Liner"],
      ["not-found", "/no-such-page", "Not found · Liner"],
    ] as const) {
      for (const [size, viewport] of [
        ["desktop", DESKTOP],
        ["phone", PHONE],
      ] as const) {
        await page.setViewportSize(viewport);
        await page.goto(`${appUrl}${url}`);
        await page.waitForLoadState("networkidle");
        expect(await page.title()).toBe(title);
        await screenshot(page, `${name}-${size}`);
        const o = await overflowing(page);
        expect(o.bad, `${name} at ${size}`).toEqual([]);
        expect(o.scrollWidth).toBeLessThanOrEqual(o.width);
      }
    }
    expect(await page.getByRole("link", { name: "Back to Liner" }).getAttribute("href")).toBe("/");
    const icon = await fetch(`${appUrl}/icon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toContain("image/svg+xml");

    // Delete my data: a dialog first; "Keep my data" keeps it; then deleted, and the home page says so.
    await page.goto(`${appUrl}/settings`);
    await page.getByTestId("delete-data").click();
    await page.getByTestId("delete-dialog").waitFor();
    await screenshot(page, "settings-delete-dialog-phone");
    await page.getByRole("button", { name: "Keep my data" }).click();
    expect(await page.getByTestId("delete-dialog").isVisible()).toBe(false);
    expect(await t.db.selectFrom("users").select("id").execute()).toHaveLength(1);
    await page.getByTestId("delete-data").click();
    await page.getByTestId("confirm-delete").click();
    await page.waitForURL(`${appUrl}/?deleted=1`);
    expect(await text(page, "deleted")).toMatch(/^Your data was deleted/);
    expect(await t.db.selectFrom("users").select("id").execute()).toHaveLength(0);
    await screenshot(page, "deleted-phone");
  });
});
