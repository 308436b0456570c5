import { parseCrontab } from "graphile-worker";
import { z } from "zod";

/**
 * Every environment variable Liner reads, in one schema. `.env.example` documents the same list;
 * a test keeps the two in step.
 */
const bool = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off"], {
    message: "expected true or false",
  })
  .transform((v) => ["1", "true", "yes", "on"].includes(v));

const port = z.coerce
  .number({ message: "expected a port number" })
  .int("expected a whole number")
  .min(1, "expected a port from 1 to 65535")
  .max(65535, "expected a port from 1 to 65535");

const positiveInt = (max: number) =>
  z.coerce
    .number({ message: "expected a whole number" })
    .int("expected a whole number")
    .min(1, `expected a whole number from 1 to ${max}`)
    .max(max, `expected a whole number from 1 to ${max}`);

const httpUrl = z
  .string()
  .url("expected an http(s) URL")
  .refine((v) => /^https?:\/\//.test(v), "expected an http(s) URL")
  .transform((v) => v.replace(/\/+$/, ""));

const BYTE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** A size in bytes, written plainly (1073741824) or with a binary unit (1GB, 512MB, 64K). */
const byteSize = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(b|k|kb|m|mb|g|gb)?$/i, "expected a size in bytes, e.g. 1073741824 or 1GB")
  .transform((v) => {
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v)!;
    return Math.floor(Number(m[1]) * BYTE_UNITS[m[2]!.toLowerCase()]!);
  })
  .refine((n) => n >= 1, "expected a size of at least 1 byte");

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\/.+/.test(v), "expected a postgres:// or postgresql:// URL");

export const envSchema = z.object({
  // Read from the environment only (src/lib/config/env-file.ts): which .env file to load.
  LINER_ENV_FILE: z.string().min(1).optional(),
  DATABASE_URL: postgresUrl.optional(),
  LINER_DATA_DIR: z.string().min(1).default(".liner"),
  EMBEDDED_PG_PORT: port.optional(),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: port.default(3000),
  APP_URL: httpUrl.optional(),
  WORKER_CONCURRENCY: positiveInt(32).default(2),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  SPOTIFY_CLIENT_ID: z.string().min(1).optional(),
  SPOTIFY_CLIENT_SECRET: z.string().min(1).optional(),
  SPOTIFY_ACCOUNTS_BASE_URL: httpUrl.default("https://accounts.spotify.com"),
  SPOTIFY_API_BASE_URL: httpUrl.default("https://api.spotify.com/v1"),
  TOKEN_ENCRYPTION_KEY: z
    .string()
    .refine(
      (v) => decodeKey(v) !== null,
      "expected 32 random bytes as base64 or hex (make one with: openssl rand -base64 32)",
    )
    .optional(),
  SESSION_SECURE_COOKIE: z.enum(["auto", "true", "false"]).default("auto"),
  WORKER_HEARTBEAT_SECONDS: positiveInt(3600).default(15),
  WORKER_ALIVE_WITHIN_SECONDS: positiveInt(86400).default(60),
  NEXT_TELEMETRY_DISABLED: bool.default(true),
  // `npm run demo` sets this: every page says plainly that Spotify is simulated.
  LINER_DEMO: bool.default(false),
  // Imports: what one upload may be, and what a zip may unpack to (zip-bomb guards).
  UPLOAD_MAX_BYTES: byteSize.default(1024 ** 3),
  IMPORT_MAX_ZIP_ENTRIES: positiveInt(1_000_000).default(10_000),
  IMPORT_MAX_ENTRY_BYTES: byteSize.default(1024 ** 3),
  IMPORT_MAX_TOTAL_BYTES: byteSize.default(4 * 1024 ** 3),
  // Enrichment: how much one run takes on, and the app's share of Spotify's limits.
  ENRICH_BATCH_SIZE: positiveInt(1000).default(50),
  ENRICH_RECHECK_DAYS: positiveInt(3650).default(30),
  ENRICH_ALBUM_FETCH: bool.default(true),
  SPOTIFY_CALLS_PER_MINUTE: positiveInt(10_000).default(180),
  SPOTIFY_CALL_BURST: positiveInt(1000).default(10),
  // Unset: learned from Spotify's QUOTA_EXCEEDED answers, from 1,000 a day. Set: a cap it never passes.
  SPOTIFY_DAILY_BUDGET: positiveInt(1_000_000).optional(),
  // Automation: the schedule, the post-upload trigger, the cron endpoint, and shutdown.
  ENRICH_CRON: z
    .string()
    .refine((v) => v.trim().split(/\s+/).length === 5 && validCron(v), "expected a 5-field cron schedule, e.g. 0 * * * *")
    .default("0 * * * *"),
  ENRICH_ON_UPLOAD: bool.default(true),
  CRON_SECRET: z.string().min(16, "expected at least 16 characters (make one with: openssl rand -hex 32)").optional(),
  WORKER_SHUTDOWN_SECONDS: positiveInt(3600).default(30),
  // Monitoring and stats.
  ENRICH_STALE_AFTER: z
    .string()
    .regex(/^\d+\s*(s|m|h|d)$/, "expected a duration such as 90m, 2h or 1d")
    .transform((v) => {
      const m = /^(\d+)\s*([smhd])$/.exec(v)!;
      return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as "s" | "m" | "h" | "d"] * 1000;
    })
    .default(2 * 3600 * 1000),
  ALERT_WEBHOOK_URL: httpUrl.optional(),
  METRICS_TOKEN: z.string().min(16, "expected at least 16 characters").optional(),
  ADMIN_SPOTIFY_IDS: z
    .string()
    .transform((v) => v.split(",").map((x) => x.trim()).filter(Boolean))
    .default([]),
  STATS_MIN_MS_PLAYED: z.coerce.number({ message: "expected a whole number of milliseconds" }).int().min(0).max(3_600_000).default(30_000),
});

function validCron(schedule: string): boolean {
  try {
    parseCrontab(`${schedule.trim()} enrich_all`);
    return true;
  } catch {
    return false;
  }
}

/** A 32-byte key from base64 (44 chars) or hex (64 chars); null when it is anything else. */
export function decodeKey(value: string): Buffer | null {
  const v = value.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(v)
    ? Buffer.from(v, "hex")
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(v)
      ? Buffer.from(v.replace(/-/g, "+").replace(/_/g, "/"), "base64")
      : null;
  return bytes && bytes.length === 32 ? bytes : null;
}

type Env = z.infer<typeof envSchema>;

export type Config = Env & {
  /** Where people reach the app; defaults to http://HOST:PORT. */
  appUrl: string;
  /** True when Liner starts its own PostgreSQL because DATABASE_URL is unset. */
  embeddedDatabase: boolean;
};

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expected: string,
  ) {
    super(`Invalid configuration: ${variable} — ${expected}`);
    this.name = "ConfigError";
  }
}

/** Parses the environment. Empty strings count as unset, as they do in most .env tooling. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== "") raw[key] = value.trim();
  }
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? "environment");
    const got = raw[variable];
    const shown = got === undefined || isSecret(variable) ? "" : ` (got "${got}")`;
    throw new ConfigError(variable, `${issue.message}${shown}`);
  }
  const cfg = parsed.data;
  return {
    ...cfg,
    appUrl: cfg.APP_URL ?? `http://${cfg.HOST === "0.0.0.0" ? "127.0.0.1" : cfg.HOST}:${cfg.PORT}`,
    embeddedDatabase: cfg.DATABASE_URL === undefined,
  };
}

export function isSecret(variable: string): boolean {
  return /SECRET|KEY|TOKEN|PASSWORD|DATABASE_URL/.test(variable);
}

export const configVariables = Object.keys(envSchema.shape);
