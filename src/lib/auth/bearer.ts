import { createHash, timingSafeEqual } from "node:crypto";

export type BearerCheck = "ok" | "disabled" | "refused";

/**
 * `Authorization: Bearer <secret>` (the cron endpoint's CRON_SECRET, the metrics' METRICS_TOKEN),
 * compared in constant time (hashes first, so even the length leaks nothing). No secret: "disabled".
 */
export function checkBearer(header: string | null, secret: string | undefined): BearerCheck {
  if (!secret) return "disabled";
  const given = header?.startsWith("Bearer ") ? header.slice(7) : "";
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(secret).digest();
  return timingSafeEqual(a, b) && given.length > 0 ? "ok" : "refused";
}
