import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database, User } from "../db/schema";

export const SESSION_COOKIE = "liner_session";
export const SESSION_DAYS = 30;
// Touching last_seen_at on every request would write on every read; once in a while is enough.
const TOUCH_AFTER_MS = 10 * 60 * 1000;

function hash(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** A new session for `userId`; the token goes in the cookie, only its hash in the database. */
export async function createSession(db: Kysely<Database>, userId: string): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + SESSION_DAYS * 86_400_000);
  await db.insertInto("sessions").values({ user_id: userId, token_hash: hash(token), expires_at: expiresAt }).execute();
  return { token, expiresAt };
}

export async function userForSession(db: Kysely<Database>, token: string | undefined): Promise<User | null> {
  if (!token || token.length > 100) return null;
  const row = await db
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .selectAll("users")
    .select(["sessions.id as session_id", "sessions.last_seen_at as session_seen"])
    .where("sessions.token_hash", "=", hash(token))
    .where("sessions.expires_at", ">", new Date())
    .executeTakeFirst();
  if (!row) return null;
  const { session_id, session_seen, ...user } = row;
  if (Date.now() - session_seen.getTime() > TOUCH_AFTER_MS) {
    await db.updateTable("sessions").set({ last_seen_at: new Date() }).where("id", "=", session_id).execute();
  }
  return user;
}

export async function deleteSession(db: Kysely<Database>, token: string | undefined): Promise<void> {
  if (!token) return;
  await db.deleteFrom("sessions").where("token_hash", "=", hash(token)).execute();
}

/**
 * A cookie's value from a Cookie header. A value that is not valid percent-encoding (a stray `%`)
 * is no value at all: for the session cookie that means no session (401), never an error.
 */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${token}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Expires=${expiresAt.toUTCString()}`,
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

export function clearedSessionCookie(secure: boolean): string {
  return [`${SESSION_COOKIE}=`, "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=0", ...(secure ? ["Secure"] : [])].join("; ");
}
