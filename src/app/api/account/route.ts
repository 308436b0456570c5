import { userRoute } from "@/lib/auth/guard";
import { deleteAccount } from "@/lib/auth/account";
import { clearedSessionCookie } from "@/lib/auth/sessions";
import { secureCookies } from "@/lib/auth/sign-in";
import { appDb } from "@/lib/db/app-db";
import { tusDir } from "@/lib/imports/tus";

/** DELETE /api/account — deletes the person and all their data, and signs them out. */
export const DELETE = userRoute(async (_request, user) => {
  const { db, config } = appDb();
  await deleteAccount(db, user.id, { tusDir: tusDir(config) });
  return Response.json({ deleted: true }, { headers: { "set-cookie": clearedSessionCookie(secureCookies(config)) } });
});
