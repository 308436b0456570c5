import { createHash, timingSafeEqual } from "node:crypto";

export type CronAuth = "ok" | "disabled" | "refused";

/**
 * The cron endpoint's check: `Authorization: Bearer $CRON_SECRET`, compared in constant time
 * (hashes first, so even the length leaks nothing). Without a configured secret the endpoint is off.
 */
export function checkCronSecret(header: string | null, secret: string | undefined): CronAuth {
  if (!secret) return "disabled";
  const given = header?.startsWith("Bearer ") ? header.slice(7) : "";
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(secret).digest();
  return timingSafeEqual(a, b) && given.length > 0 ? "ok" : "refused";
}
