import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FOREIGN_IDLE_MS, receivingFileName, sweepPartialUploads } from "../../src/lib/imports/sweep-uploads";
import { createUpload } from "../../src/lib/imports/uploads";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

/** The pid of a process that has ended: what a crashed web process leaves in a file's name. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("partial uploads left behind", () => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), "liner-sweep-"));
  });
  afterAll(async () => {
    await t.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("removes what a stopped web process was receiving, and nothing anyone still needs", async () => {
    const host = os.hostname().replace(/[^A-Za-z0-9-]/g, "_");
    const file = async (name: string, idleMs = 0) => {
      const p = path.join(dir, name);
      await writeFile(p, Buffer.alloc(1024 * 1024, 1));
      const at = new Date(Date.now() - idleMs);
      await utimes(p, at, at);
      return p;
    };
    const crashed = await file(`${host}.${deadPid()}.${randomUUID()}.upload`);
    const receiving = await file(receivingFileName(randomUUID()));
    const otherHostOld = await file(`otherhost.123.${randomUUID()}.upload`, FOREIGN_IDLE_MS + 60_000);
    const otherHostRecent = await file(`otherhost.123.${randomUUID()}.upload`, 60_000);
    const waitingForImport = await file(`${host}.${deadPid()}.${randomUUID()}.upload`, FOREIGN_IDLE_MS + 60_000);
    const notAnUpload = await file("notes.txt", FOREIGN_IDLE_MS + 60_000);
    const user = await t.db.insertInto("users").values({ spotify_id: "sweep" }).returning("id").executeTakeFirstOrThrow();
    await createUpload(t.db, { userId: user.id, filePath: waitingForImport, originalName: "x.zip", byteSize: 1 });

    const removed = await sweepPartialUploads(t.db, dir);
    expect(removed.sort()).toEqual([path.basename(crashed), path.basename(otherHostOld)].sort());
    expect(existsSync(crashed)).toBe(false);
    expect(existsSync(otherHostOld)).toBe(false);
    for (const kept of [receiving, otherHostRecent, waitingForImport, notAnUpload]) expect(existsSync(kept), kept).toBe(true);
    // Nothing left to do the second time.
    expect(await sweepPartialUploads(t.db, dir)).toEqual([]);
    // No folder yet: nothing to sweep, no error.
    expect(await sweepPartialUploads(t.db, path.join(dir, "missing"))).toEqual([]);
  });
});
