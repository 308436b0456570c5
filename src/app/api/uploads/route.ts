import { rm } from "node:fs/promises";
import { z } from "zod";
import { jsonError, userRoute } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { isUploadId, listUploads } from "@/lib/imports/upload-view";
import { createUpload, saveUploadBody, UploadTooLargeError, uploadsDir } from "@/lib/imports/uploads";
import { parseQuery, q } from "@/lib/web/query";

const query = z.object({ name: q.text(1000).optional() });
const listQuery = z.object({
  limit: q.int(1, 100).optional(),
  before: z.string().refine(isUploadId, "must be an upload id").optional(),
});

/**
 * GET /api/uploads — the caller's uploads, newest first: each one's phase in words, its summary,
 * and when it failed, why and what to do next. `limit` (1–100, default 20) and `before` (the
 * `next` of the previous page) page through them; `active` says whether any is still moving.
 */
export const GET = userRoute(async (request, user) => {
  const parsed = parseQuery(request.url, listQuery);
  if (!parsed.ok) return parsed.response;
  const list = await listUploads(appDb().db, user.id, { limit: parsed.data.limit ?? 20, before: parsed.data.before });
  return Response.json(list, { headers: { "cache-control": "no-store" } });
});

/** The name the person's file had, for messages only: ?name= or an X-File-Name header. */
function originalName(request: Request, fromQuery: string | undefined): string | null {
  const raw = fromQuery ?? request.headers.get("x-file-name");
  if (!raw) return null;
  let name = raw;
  try {
    name = decodeURIComponent(raw);
  } catch {
    // Not percent-encoded: use it as it came.
  }
  const base = name.split(/[\\/]/).pop()!.replace(/[\u0000-\u001f\u007f]/g, "").trim().slice(0, 200);
  return base || null;
}

/**
 * PUT /api/uploads — the raw body is the Spotify export (the zip, or one JSON file). It is streamed
 * to disk, then an upload and its import job are created together: 202 { uploadId }.
 */
export const PUT = userRoute(async (request, user) => {
  const parsed = parseQuery(request.url, query);
  if (!parsed.ok) return parsed.response;
  const { db, config } = appDb();
  const limit = config.UPLOAD_MAX_BYTES;
  const declared = Number(request.headers.get("content-length") ?? NaN);
  const tooLarge = () =>
    jsonError(413, "too_large", `The upload is larger than the ${Math.round(limit / 1024 / 1024)} MB limit (UPLOAD_MAX_BYTES).`);
  if (Number.isFinite(declared) && declared > limit) return tooLarge();
  if (!request.body) return jsonError(400, "empty", "Send the export as the request body.");

  let saved: { path: string; bytes: number };
  try {
    saved = await saveUploadBody(request.body, uploadsDir(config), limit);
  } catch (err) {
    if (err instanceof UploadTooLargeError) return tooLarge();
    throw err;
  }
  if (saved.bytes === 0) {
    await rm(saved.path, { force: true });
    return jsonError(400, "empty", "The upload is empty: send the export as the request body.");
  }
  try {
    const uploadId = await createUpload(db, {
      userId: user.id,
      filePath: saved.path,
      originalName: originalName(request, parsed.data.name),
      byteSize: saved.bytes,
    });
    return Response.json({ uploadId }, { status: 202, headers: { location: `/api/uploads/${uploadId}/status` } });
  } catch (err) {
    await rm(saved.path, { force: true });
    throw err;
  }
});
