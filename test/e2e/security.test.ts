import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCatalogue, startSpotifySimulator, type SpotifySimulator } from "../spotify-sim";
import { startAppWithBrowser, type AppUnderTest } from "../support/app";
import { screenshot } from "../support/browser";
import { addListens } from "../support/enrichment";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

declare global {
  interface Window {
    __linerMark?: string;
    __linerCsp?: (s: string) => void;
  }
}

const PAGES = ["/", "/dashboard", "/history", "/settings", "/admin"];
const LONG = {
  artist: `Theartistwhosenameneverends${"x".repeat(120)}`,
  track: `Atrackwithanunbrokentitle${"y".repeat(140)}`,
  album: `Analbumnamewithoutanyspaces${"z".repeat(130)}`,
};

/** Resolves once React has hydrated the element (it attaches its fiber to hydrated DOM nodes). */
async function hydrated(page: Page, selector: string): Promise<void> {
  await page.waitForFunction((sel) => {
    const el = document.querySelector(sel);
    return !!el && Object.keys(el).some((k) => k.startsWith("__reactFiber"));
  }, selector);
}

describe("Security headers and the Content-Security-Policy in a real browser", () => {
  let t: TestDatabase;
  let sim: SpotifySimulator;
  let app: AppUnderTest;
  let browser: Browser;
  let appUrl: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSpotifySimulator({ catalogue: generateCatalogue({ seed: "csp", artists: 3 }), users: [{ id: "fay", displayName: "Fay Example", email: "fay@example.test", country: "SE", product: "premium" }] });
    sim.setDefaultUser("fay");
    // Fay exists with listens of very long names before she first signs in (signing in finds her).
    const fay = await t.db.insertInto("users").values({ spotify_id: "fay" }).returning("id").executeTakeFirstOrThrow();
    await addListens(t, fay.id, Array.from({ length: 3 }, () => ({ ...LONG, playedAt: new Date(Date.now() - 86_400_000) })));
    app = await startAppWithBrowser(t, sim);
    ({ browser, url: appUrl } = app);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await sim?.close();
    await t?.drop();
  });

  it("every page carries the headers, hydrates under the nonce-based policy, and nothing is blocked", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on("console", (m) => {
      if (/Refused to|Content Security Policy/i.test(m.text())) blocked.push(`${page.url()}: ${m.text()}`);
    });
    await page.exposeFunction("__linerCsp", (s: string) => blocked.push(s));
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => window.__linerCsp?.(`${location.pathname}: ${e.violatedDirective} blocked ${e.blockedURI}`));
    });

    const checkHeaders = (path: string, headers: Record<string, string>) => {
      const csp = headers["content-security-policy"] ?? "";
      const directives: Record<string, string[]> = Object.fromEntries(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
      expect(directives["script-src"], `${path} script-src`).toEqual(expect.arrayContaining(["'self'", "'strict-dynamic'", expect.stringMatching(/^'nonce-[A-Za-z0-9+/=_-]{16,}'$/)]));
      expect(directives["script-src"], `${path} script-src`).not.toContain("'unsafe-inline'");
      expect(directives["script-src"], `${path} script-src`).not.toContain("'unsafe-eval'");
      expect(directives["frame-ancestors"], path).toEqual(["'none'"]);
      expect(directives["object-src"], path).toEqual(["'none'"]);
      expect(directives["base-uri"], path).toEqual(["'none'"]);
      expect(headers["x-content-type-options"], path).toBe("nosniff");
      expect(headers["referrer-policy"], path).toBe("strict-origin-when-cross-origin");
      expect(headers["x-frame-options"], path).toBe("DENY");
      expect(headers["strict-transport-security"], `${path}: no HSTS over http`).toBeUndefined();
      return directives["script-src"]!.find((s) => s.startsWith("'nonce-"))!;
    };

    // Signed out: the landing page, then sign in through the simulator.
    const landing = await page.goto(appUrl);
    const firstNonce = checkHeaders("/", landing!.headers());
    await page.getByRole("link", { name: "Sign in with Spotify" }).click();
    await page.waitForURL(`${appUrl}/dashboard`);

    const nonces = new Set([firstNonce]);
    for (const path of PAGES) {
      const res = await page.goto(`${appUrl}${path}`);
      expect(res!.status(), path).toBe(200);
      expect(new URL(page.url()).pathname, `${path} is shown, not redirected`).toBe(path);
      nonces.add(checkHeaders(path, res!.headers()));
      // It hydrates: a client-side navigation (next/link) keeps this window's state.
      const link = path === "/" ? page.getByRole("link", { name: "Go to your dashboard" }) : page.locator("nav.top a", { hasText: path === "/history" ? "Dashboard" : "History" });
      await hydrated(page, path === "/" ? "main a[href='/dashboard']" : "nav.top a.brand");
      await page.evaluate(() => (window.__linerMark = "still here"));
      const target = path === "/history" ? "/dashboard" : path === "/" ? "/dashboard" : "/history";
      await link.click();
      await page.waitForURL(`${appUrl}${target}`);
      await hydrated(page, "nav.top a.brand");
      expect(await page.evaluate(() => window.__linerMark), `${path}: client-side navigation after hydration`).toBe("still here");
    }
    // A client component does its work: the dashboard's "Enrich now" answers.
    await page.goto(`${appUrl}/dashboard`);
    await hydrated(page, "nav.top a.brand");
    const enrich = page.getByRole("button", { name: "Enrich now" });
    await enrich.waitFor();
    const answered = page.waitForResponse((r) => r.url().endsWith("/api/spotify/enrich") && r.request().method() === "POST");
    await enrich.click();
    // Nothing uploaded yet: it answers that there is nothing to enrich (and queues nothing).
    expect((await answered).status()).toBe(200);
    await page.getByText("Nothing to enrich: everything that can be is.").waitFor();
    await screenshot(page, "csp-dashboard");

    // A page that does not exist is rendered under the policy too.
    const missing = await page.goto(`${appUrl}/no-such-page`);
    expect(missing!.status()).toBe(404);
    checkHeaders("/no-such-page", missing!.headers());

    // API answers carry the plain headers as well.
    const api = await page.request.get(`${appUrl}/api/me`);
    expect(api.status()).toBe(200);
    expect(api.headers()["x-content-type-options"]).toBe("nosniff");
    expect(api.headers()["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    // The proxy stays off the API: a proxied request body would be cut at 10 MB.
    const big = Buffer.concat([Buffer.from("["), Buffer.alloc(12 * 1024 * 1024, 0x20), Buffer.from("]")]);
    const put = await page.request.put(`${appUrl}/api/uploads?name=big.json`, { data: big, headers: { origin: appUrl, "content-type": "application/octet-stream" } });
    expect(put.status()).toBe(202);
    const { uploadId } = (await put.json()) as { uploadId: string };
    const row = await t.db.selectFrom("upload_jobs").select("byte_size").where("id", "=", uploadId).executeTakeFirstOrThrow();
    expect(Number(row.byte_size)).toBe(big.length);

    expect(blocked).toEqual([]);
    expect(nonces.size, "a fresh nonce for every page").toBe(PAGES.length + 1);
    await context.close();
  });

  it("long unbroken names stay inside their cards on /history, at 1280×800 and 390×844", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(appUrl);
    await page.getByRole("link", { name: "Sign in with Spotify" }).click();
    await page.waitForURL(`${appUrl}/dashboard`);
    for (const [w, h] of [[1280, 800], [390, 844]] as const) {
      await page.setViewportSize({ width: w, height: h });
      await page.goto(`${appUrl}/history?period=all`);
      await page.getByTestId("top-tracks").waitFor();
      const overflow = await page.evaluate(() => {
        const out: string[] = [];
        if (document.documentElement.scrollWidth > window.innerWidth) out.push(`page ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
        for (const el of document.querySelectorAll<HTMLElement>("li.top, .panel, li.top *, nav.top")) {
          if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible") out.push(`${el.className || el.tagName} ${el.scrollWidth} > ${el.clientWidth}`);
        }
        for (const card of document.querySelectorAll<HTMLElement>("li.top")) {
          const panel = card.closest(".panel")!.getBoundingClientRect();
          const r = card.getBoundingClientRect();
          if (r.right > panel.right + 1) out.push(`card ends at ${r.right}, its panel at ${panel.right}`);
        }
        return out;
      });
      await screenshot(page, `history-long-names-${w}x${h}`);
      expect(overflow, `${w}×${h}`).toEqual([]);
      expect(await page.getByTestId("top-tracks").textContent()).toContain(LONG.track);
    }
    await context.close();
  });

  it("only the known periods are periods; a malformed session cookie is no session; 'Spotify is busy' is said plainly", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(appUrl);
    await page.getByRole("link", { name: "Sign in with Spotify" }).click();
    await page.waitForURL(`${appUrl}/dashboard`);
    for (const bad of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
      const res = await page.goto(`${appUrl}/history?period=${bad}`);
      expect(res!.status(), bad).toBe(200);
      expect(await page.locator("nav.periods a[aria-current='page']").textContent(), bad).toBe("Last year");
    }
    await page.goto(`${appUrl}/history?period=30d`);
    expect(await page.locator("nav.periods a[aria-current='page']").textContent()).toBe("Last 30 days");

    await context.clearCookies();
    await context.addCookies([{ name: "liner_session", value: "%E0%A4%A", url: appUrl }]);
    const dash = await page.goto(`${appUrl}/dashboard`);
    expect(dash!.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe("/");
    await page.getByRole("link", { name: "Sign in with Spotify" }).waitFor();
    expect((await page.request.get(`${appUrl}/api/me`)).status()).toBe(401);

    const retryAt = new Date(Date.now() + 10 * 60_000);
    await page.goto(`${appUrl}/?error=spotify_busy&retry_at=${encodeURIComponent(retryAt.toISOString())}`);
    const alert = await page.locator("p.alert").textContent();
    expect(alert).toContain("Spotify is busy right now");
    expect(alert).toContain(`after ${retryAt.toISOString().slice(11, 16)} UTC`);
    await page.goto(`${appUrl}/?error=toString`);
    expect(await page.locator("p.alert").textContent()).toBe("Signing in with Spotify did not work. Please try again.");
    await context.close();
  });
});
