import { jsonError, userRoute } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { uploadStatus } from "@/lib/imports/uploads";

/** GET /api/uploads/[uploadId]/status — status, files, counts so far, error. Only the owner's. */
export const GET = userRoute<{ params: Promise<{ uploadId: string }> }>(async (_request, user, ctx) => {
  const { uploadId } = await ctx.params;
  const status = await uploadStatus(appDb().db, user.id, uploadId);
  if (!status) return jsonError(404, "not_found", "No such upload.");
  return Response.json(status, { headers: { "cache-control": "no-store" } });
});
