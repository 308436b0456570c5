import { z } from "zod";

/** The largest value of a PostgreSQL bigint (ids of `enrichment_runs` and the like). */
const BIGINT_MAX = 9_223_372_036_854_775_807n;

/** Query-parameter schemas shared by the routes: each says in words what it expects. */
export const q = {
  /** A whole number in [min, max], written in plain digits. */
  int: (min: number, max: number) =>
    z
      .string()
      .refine((s) => /^\d{1,9}$/.test(s) && Number(s) >= min && Number(s) <= max, `must be a whole number from ${min} to ${max}`)
      .transform(Number),
  /** A row id (PostgreSQL bigint), kept as a string. */
  id: () => z.string().refine((s) => /^\d{1,19}$/.test(s) && BigInt(s) <= BIGINT_MAX, "must be an id (a whole number)"),
  /** A yes/no flag: `1` or `0`. */
  flag: () => z.enum(["0", "1"], { error: "must be 1 or 0" }).transform((v) => v === "1"),
  text: (max: number) => z.string().max(max, `must be at most ${max} characters`),
};

export type QueryResult<T> = { ok: true; data: T } | { ok: false; response: Response };

/**
 * Parses a URL's query with a zod object schema. Only the named parameters are read (others are
 * ignored); a repeated one counts by its first value. On failure: 400 naming the parameter.
 */
export function parseQuery<S extends z.ZodObject>(url: string | URL, schema: S): QueryResult<z.output<S>> {
  const params = (typeof url === "string" ? new URL(url) : url).searchParams;
  const raw: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = params.get(key);
    if (v !== null) raw[key] = v;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, data: parsed.data };
  const issue = parsed.error.issues[0]!;
  const parameter = String(issue.path[0] ?? "query");
  return {
    ok: false,
    response: Response.json(
      { error: "bad_parameter", parameter, message: `${parameter}: ${issue.message}` },
      { status: 400, headers: { "cache-control": "no-store" } },
    ),
  };
}

/** For pages: a query parameter's value if it passes the schema, else `fallback`. */
export function pageParam<T>(value: string | string[] | undefined, schema: z.ZodType<T>, fallback: T): T {
  const parsed = schema.safeParse(Array.isArray(value) ? value[0] : value);
  return parsed.success ? parsed.data : fallback;
}
