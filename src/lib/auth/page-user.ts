import { cookies } from "next/headers";
import type { User } from "../db/schema";
import { appDb } from "../db/app-db";
import { SESSION_COOKIE, userForSession } from "./sessions";

/** The signed-in person for a server-rendered page, or null. */
export async function pageUser(): Promise<User | null> {
  const jar = await cookies();
  return userForSession(appDb().db, jar.get(SESSION_COOKIE)?.value);
}
