import { userRoute } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { handleTus } from "@/lib/imports/tus";

/**
 * /api/uploads/tus — resumable uploads (the tus protocol): POST creates an upload (Upload-Length,
 * Upload-Metadata filename), PATCH sends bytes from Upload-Offset, HEAD says how many arrived,
 * DELETE cancels. Only the owner's uploads; the size limit is UPLOAD_MAX_BYTES. When the last byte
 * is in, the import is queued and the answer carries Liner-Upload-Id (the same id as the upload's URL).
 */
const handle = userRoute(async (request, user) => {
  const { db, config } = appDb();
  return handleTus(db, config, request, user);
});

export const POST = handle;
export const PATCH = handle;
export const HEAD = handle;
export const DELETE = handle;
