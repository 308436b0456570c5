import { readdirSync } from "node:fs";
import path from "node:path";
import { createSession, SESSION_COOKIE } from "../../src/lib/auth/sessions";
import { repoRoot } from "./liner-process";
import type { TestDatabase } from "./test-database";

export type Handler = (request: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

export interface RouteModule {
  /** e.g. /api/uploads/[uploadId]/status */
  pattern: string;
  params: string[];
  handlers: Partial<Record<"GET" | "POST" | "PUT" | "PATCH" | "DELETE", Handler>>;
}

/** Every API route in src/app/api, imported for real, so a new route is covered the day it lands. */
export async function loadApiRoutes(): Promise<RouteModule[]> {
  const base = path.join(repoRoot, "src", "app");
  const files = readdirSync(path.join(base, "api"), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith("route.ts"))
    .sort();
  const routes: RouteModule[] = [];
  for (const file of files) {
    const pattern = `/api/${path.dirname(file)}`.replace(/\\/g, "/");
    const mod = (await import(path.join(base, "api", file))) as Record<string, unknown>;
    const handlers: RouteModule["handlers"] = {};
    for (const m of ["GET", "POST", "PUT", "PATCH", "DELETE"] as const) {
      if (typeof mod[m] === "function") handlers[m] = mod[m] as Handler;
    }
    routes.push({ pattern, params: [...pattern.matchAll(/\[(\w+)\]/g)].map((x) => x[1]!), handlers });
  }
  return routes;
}

export const APP_URL = "http://127.0.0.1:3000";

export function call(
  handler: Handler,
  method: string,
  url: string,
  opts: { cookie?: string; origin?: string; params?: Record<string, string>; body?: BodyInit; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers = new Headers(opts.headers);
  if (opts.cookie) headers.set("cookie", opts.cookie);
  if (opts.origin) headers.set("origin", opts.origin);
  const init: RequestInit & { duplex?: string } = { method, headers };
  if (opts.body !== undefined) {
    init.body = opts.body;
    init.duplex = "half";
  }
  return handler(new Request(`${APP_URL}${url}`, init), { params: Promise.resolve(opts.params ?? {}) });
}

/** People with a session each, as routes see them: the user id and the Cookie header to send. */
export async function peopleWithSessions<N extends string>(t: TestDatabase, names: readonly N[]): Promise<Record<N, { id: string; cookie: string }>> {
  const people = {} as Record<N, { id: string; cookie: string }>;
  for (const name of names) {
    const u = await t.db.insertInto("users").values({ spotify_id: name }).returning("id").executeTakeFirstOrThrow();
    const s = await createSession(t.db, u.id);
    people[name] = { id: u.id, cookie: `${SESSION_COOKIE}=${s.token}` };
  }
  return people;
}
