import { rename, rm } from "node:fs/promises";
import path from "node:path";
import { FileStore } from "@tus/file-store";
import { EVENTS, Server, type Upload } from "@tus/server";
import type { Kysely } from "kysely";
import type { Config } from "../config/env";
import type { Database, User } from "../db/schema";
import { createLog } from "../util/log";
import { isUploadId } from "./upload-view";
import { finishReceiving, recordReceived, startReceiving, uploadsDir } from "./uploads";

/**
 * Resumable uploads (the tus protocol, https://tus.io) at /api/uploads/tus. The tus upload's id is
 * the upload's id: its row is made when the upload is created ("receiving", bytes counted as they
 * arrive), and when the last byte is in, the file is moved beside the PUT uploads and its import is
 * queued in one transaction, exactly as PUT does. The owner is kept in the upload's metadata on
 * the server and checked on every request: another person's upload is 404.
 */

export const TUS_PATH = "/api/uploads/tus";
/** Unfinished uploads expire after a day; the schedule's tick removes them (sweepTusUploads). */
export const TUS_EXPIRY_MS = 24 * 3_600_000;
const OWNER = "liner_owner";

const log = createLog("tus");

export const tusDir = (config: Config) => path.join(uploadsDir(config), "tus");

function store(config: Config): FileStore {
  return new FileStore({ directory: tusDir(config), expirationPeriodInMilliseconds: TUS_EXPIRY_MS });
}

/** The file name the person's file had, for messages only. */
function cleanName(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const base = raw.split(/[\\/]/).pop()!.replace(/[\u0000-\u001f\u007f]/g, "").trim().slice(0, 200);
  return base || null;
}

interface Tus {
  server: Server;
  store: FileStore;
}

// Who sent each request being handled: the hooks get the request, not the session.
const senders = new WeakMap<Request, string>();
const servers = new Map<string, Tus>();

function tusFor(db: Kysely<Database>, config: Config): Tus {
  const key = `${tusDir(config)}|${config.UPLOAD_MAX_BYTES}`;
  const cached = servers.get(key);
  if (cached) return cached;
  const datastore = store(config);
  const server = new Server({
    path: TUS_PATH,
    datastore,
    maxSize: config.UPLOAD_MAX_BYTES,
    relativeLocation: true,
    postReceiveInterval: 1000,
    namingFunction: () => crypto.randomUUID(),
    onUploadCreate: async (req, upload) => {
      const owner = senders.get(req as unknown as Request);
      if (!owner) throw { status_code: 401, body: "Sign in with Spotify first.\n" };
      await startReceiving(db, {
        id: upload.id,
        userId: owner,
        originalName: cleanName(upload.metadata?.filename),
        byteSize: upload.size ?? 0,
      });
      // The owner is written by the server, whatever the client sent.
      return { metadata: { ...upload.metadata, [OWNER]: owner } };
    },
    onUploadFinish: async (_req, upload) => {
      const owner = upload.metadata?.[OWNER];
      if (!owner) throw { status_code: 404, body: "No such upload.\n" };
      const from = path.join(tusDir(config), upload.id);
      const to = path.join(uploadsDir(config), `tus.${upload.id}.upload`);
      await rename(from, to);
      try {
        const ok = await finishReceiving(db, { id: upload.id, userId: owner, filePath: to, byteSize: upload.size ?? upload.offset });
        if (!ok) throw new Error("the upload is no longer waiting for its bytes");
      } catch (err) {
        await rename(to, from).catch(() => undefined);
        log.warn(`tus upload ${upload.id} not queued: ${(err as Error).message}`);
        throw { status_code: 500, body: "The file arrived but its import could not be queued; try again in a moment.\n" };
      }
      await datastore.configstore.delete(upload.id).catch(() => undefined);
      return { headers: { "Liner-Upload-Id": upload.id } };
    },
  });
  server.on(EVENTS.POST_RECEIVE, (...args: unknown[]) => {
    const upload = args[args.length - 1] as Upload;
    if (upload?.id && typeof upload.offset === "number") {
      recordReceived(db, upload.id, upload.offset).catch((err: Error) => log.warn(`bytes of ${upload.id} not recorded: ${err.message}`));
    }
  });
  const tus = { server, store: datastore };
  servers.set(key, tus);
  return tus;
}

const tusError = (status: number, error: string, message: string) =>
  Response.json({ error, message }, { status, headers: { "cache-control": "no-store", "tus-resumable": "1.0.0" } });

/**
 * One tus request from a signed-in person (the route has checked the session and the Origin).
 * Creation is checked against the size limit before anything is stored; every other request must
 * name an upload of this person.
 */
export async function handleTus(db: Kysely<Database>, config: Config, request: Request, user: User): Promise<Response> {
  const tus = tusFor(db, config);
  const url = new URL(request.url);
  const rest = url.pathname.slice(TUS_PATH.length).replace(/^\/+|\/+$/g, "");
  if (request.method === "POST") {
    if (rest !== "") return tusError(404, "not_found", "Create uploads at /api/uploads/tus.");
    if (request.headers.get("upload-defer-length") !== null || request.headers.get("upload-concat") !== null) {
      return tusError(400, "unsupported", "Send Upload-Length: the size of the file.");
    }
    const length = request.headers.get("upload-length");
    if (length === null || !/^\d{1,15}$/.test(length)) return tusError(400, "bad_length", "Send Upload-Length: the size of the file in bytes.");
    if (Number(length) === 0) return tusError(400, "empty", "The file is empty: choose the zip Spotify sent.");
    if (Number(length) > config.UPLOAD_MAX_BYTES) {
      return tusError(
        413,
        "too_large",
        `The file is larger than the ${Math.round(config.UPLOAD_MAX_BYTES / 1024 / 1024)} MB this Liner accepts (UPLOAD_MAX_BYTES).`,
      );
    }
    if ((request.headers.get("content-type") ?? "").startsWith("application/offset+octet-stream")) {
      return tusError(400, "unsupported", "Create the upload first, then send its bytes with PATCH.");
    }
  } else {
    if (!isUploadId(rest)) return tusError(404, "not_found", "No such upload.");
    const upload = await tus.store.getUpload(rest).catch(() => null);
    if (!upload || upload.metadata?.[OWNER] !== user.id) {
      // A finished upload's bytes are all here: a client resuming it (a reload at the last moment) is told so.
      if (request.method === "HEAD") {
        const row = await db
          .selectFrom("upload_jobs")
          .select(["byte_size", "status"])
          .where("id", "=", rest)
          .where("user_id", "=", user.id)
          .executeTakeFirst();
        if (row && row.status !== "receiving" && row.byte_size !== null) {
          return new Response(null, {
            status: 200,
            headers: { "tus-resumable": "1.0.0", "upload-offset": row.byte_size, "upload-length": row.byte_size, "cache-control": "no-store" },
          });
        }
      }
      return tusError(404, "not_found", "No such upload.");
    }
  }
  senders.set(request, user.id);
  const response = await tus.server.handleWeb(request as never);
  if (request.method === "PATCH" && response.status === 204) {
    const offset = Number(response.headers.get("upload-offset"));
    if (Number.isFinite(offset)) await recordReceived(db, rest, offset).catch(() => undefined);
  }
  if (request.method === "DELETE" && response.status === 204) {
    // Cancelled by its owner: nothing of it is kept.
    await db.deleteFrom("upload_jobs").where("id", "=", rest).where("user_id", "=", user.id).where("status", "=", "receiving").execute();
  }
  return response;
}

/**
 * Removes unfinished resumable uploads a day old (their bytes and metadata), and says so on their
 * rows. Run on the schedule's tick, beside sweepPartialUploads. Returns how many were removed.
 */
export async function sweepTusUploads(db: Kysely<Database>, config: Config): Promise<number> {
  const removed = await store(config)
    .deleteExpired()
    .catch((err: Error) => {
      log.warn(`expired resumable uploads not removed: ${err.message}`);
      return 0;
    });
  const stale = await db
    .updateTable("upload_jobs")
    .set({
      status: "failed",
      finished_at: new Date(),
      error: "The upload was not finished within a day, so the part that had arrived was removed.",
    })
    .where("status", "=", "receiving")
    .where("created_at", "<", new Date(Date.now() - TUS_EXPIRY_MS))
    .returning("id")
    .execute();
  for (const { id } of stale) {
    await rm(path.join(tusDir(config), id), { force: true });
    await rm(path.join(tusDir(config), `${id}.json`), { force: true });
  }
  return Math.max(removed, stale.length);
}
