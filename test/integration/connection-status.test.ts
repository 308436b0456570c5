import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionStatus, refreshTokenExpiry, saveAuthorization } from "../../src/lib/spotify/connection";
import { checkHealth } from "../../src/lib/monitoring/health";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const DAY = 86_400_000;
const monthsBefore = (d: Date, months: number) => {
  const x = new Date(d);
  x.setUTCMonth(x.getUTCMonth() - months);
  return x;
};

describe("connection status and the six-month horizon", () => {
  let t: TestDatabase;
  const key = randomBytes(32);
  const users: Record<string, string> = {};
  const tokens = { accessToken: "a", refreshToken: "r", expiresAt: new Date(Date.now() + 3600_000), scope: "" };

  beforeAll(async () => {
    t = await createTestDatabase();
    const now = Date.now();
    // Authorised: just now; 5 months 20 days ago (inside the 14-day window); 7 months ago; revoked.
    const cases: Array<[string, Date, "valid" | "revoked"]> = [
      ["fresh", new Date(now), "valid"],
      ["soon", monthsBefore(new Date(now + 10 * DAY), 6), "valid"],
      ["old", new Date(now - 213 * DAY), "valid"],
      ["revoked", new Date(now), "revoked"],
    ];
    for (const [name, authorizedAt, state] of cases) {
      const u = await t.db.insertInto("users").values({ spotify_id: name }).returning("id").executeTakeFirstOrThrow();
      users[name] = u.id;
      await saveAuthorization(t.db, key, u.id, tokens, authorizedAt);
      if (state !== "valid") await t.db.updateTable("spotify_tokens").set({ state }).where("user_id", "=", u.id).execute();
    }
    await t.db.insertInto("users").values({ spotify_id: "never" }).execute();
  });
  afterAll(() => t.drop());

  it("ends six calendar months after authorisation", () => {
    expect(refreshTokenExpiry(new Date("2026-01-31T12:00:00Z")).toISOString()).toBe("2026-07-31T12:00:00.000Z");
    expect(refreshTokenExpiry(new Date("2026-05-24T08:00:00Z")).toISOString()).toBe("2026-11-24T08:00:00.000Z");
  });

  it("says valid, reconnect soon, expired, revoked and none", async () => {
    const fresh = await connectionStatus(t.db, users.fresh!);
    expect(fresh).toMatchObject({ connected: true, state: "valid", needsReconnect: false, reconnectSoon: false });
    expect(fresh.daysLeft).toBeGreaterThan(170);

    const soon = await connectionStatus(t.db, users.soon!);
    expect(soon).toMatchObject({ connected: true, state: "valid", reconnectSoon: true, needsReconnect: false });
    expect(soon.daysLeft).toBeLessThan(14);

    // Past six months counts as expired even before any refresh has failed.
    expect(await connectionStatus(t.db, users.old!)).toMatchObject({ connected: false, state: "expired", needsReconnect: true, daysLeft: 0 });
    expect(await connectionStatus(t.db, users.revoked!)).toMatchObject({ connected: false, state: "revoked", needsReconnect: true });
    const none = await t.db.selectFrom("users").select("id").where("spotify_id", "=", "never").executeTakeFirstOrThrow();
    expect(await connectionStatus(t.db, none.id)).toMatchObject({ connected: false, state: "none" });
  });

  it("counts them in the health report without making the install unhealthy", async () => {
    const report = await checkHealth(t.pool, { aliveWithinSeconds: 60 });
    expect(report.connections).toEqual({ valid: 2, reconnectSoon: 1, needReconnect: 2 });
  });
});
