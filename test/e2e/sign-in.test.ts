import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCatalogue, startSpotifySimulator, type SpotifySimulator } from "../spotify-sim";
import { startAppWithBrowser, type AppUnderTest } from "../support/app";
import { screenshot } from "../support/browser";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

describe("Sign in with Spotify in a real browser", () => {
  let t: TestDatabase;
  let sim: SpotifySimulator;
  let app: AppUnderTest;
  let browser: Browser;
  let appUrl: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSpotifySimulator({ catalogue: generateCatalogue({ seed: "e2e", artists: 3 }), users: [{ id: "dana", displayName: "Dana Example", email: "dana@example.test", country: "SE", product: "premium" }] });
    sim.setDefaultUser("dana");
    app = await startAppWithBrowser(t, sim);
    ({ browser, url: appUrl } = app);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await sim?.close();
    await t?.drop();
  });

  it("signs in, shows the connection, disconnects, signs out and back in, deletes the data", async () => {
    const page = await browser.newPage();
    page.on("dialog", (d) => void d.accept());
    await page.goto(appUrl);
    await screenshot(page, "sign-in-landing");
    await page.getByRole("link", { name: "Sign in with Spotify" }).click();
    await page.waitForURL(`${appUrl}/dashboard`);
    await page.getByRole("link", { name: "Settings" }).click();
    await page.waitForURL(`${appUrl}/settings`);
    expect(await page.getByTestId("display-name").textContent()).toBe("Dana Example");
    expect(await page.getByTestId("connection-state").textContent()).toBe("Connected");
    expect(await page.getByTestId("reconnect-by").textContent()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await screenshot(page, "sign-in-settings-connected");
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === "liner_session")!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false });

    await page.getByRole("button", { name: "Disconnect Spotify" }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="connection-state"]')?.textContent === "Not connected");
    expect(await t.db.selectFrom("spotify_tokens").select("user_id").execute()).toEqual([]);
    await screenshot(page, "sign-in-settings-disconnected");

    await page.getByRole("link", { name: "Connect Spotify" }).click();
    await page.waitForURL(`${appUrl}/dashboard`);
    await page.goto(`${appUrl}/settings`);
    await page.waitForFunction(() => document.querySelector('[data-testid="connection-state"]')?.textContent === "Connected");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${appUrl}/`);
    await page.getByRole("link", { name: "Sign in with Spotify" }).waitFor();
    await page.goto(`${appUrl}/settings`);
    await page.waitForURL(`${appUrl}/`);

    await page.getByRole("link", { name: "Sign in with Spotify" }).click();
    await page.waitForURL(`${appUrl}/dashboard`);
    await page.goto(`${appUrl}/settings`);
    await page.getByRole("button", { name: "Delete my data" }).click();
    // A dialog asks first; the home page then says the data is gone.
    await page.getByRole("button", { name: "Delete everything" }).click();
    await page.waitForURL(`${appUrl}/?deleted=1`);
    await page.getByText("Your data was deleted").waitFor();
    expect(await t.db.selectFrom("users").select("id").execute()).toEqual([]);
    expect(await t.db.selectFrom("sessions").select("user_id").execute()).toEqual([]);
  });

  it("says why when Spotify refuses", async () => {
    const page = await browser.newPage();
    sim.setDenyAuthorization(true);
    try {
      await page.goto(appUrl);
      await page.getByRole("link", { name: "Sign in with Spotify" }).click();
      await page.waitForURL(/error=access_denied/);
      expect(await page.locator("p.alert").textContent()).toContain("You declined on Spotify's page");
      await screenshot(page, "sign-in-declined");
    } finally {
      sim.setDenyAuthorization(false);
    }
  });
});
