import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteAccount } from "../../src/lib/auth/account";
import { claimOperator, recordedOperator } from "../../src/lib/auth/admins";
import { enrichListens } from "../../src/lib/enrichment/enrich-listens";
import { enqueueEnrich } from "../../src/lib/enrichment/triggers";
import { createUpload } from "../../src/lib/imports/uploads";
import { enqueue } from "../../src/lib/queue/enqueue";
import { generateCatalogue, startSpotifySimulator, type SimTrack, type SpotifySimulator } from "../spotify-sim";
import { addListens, connectedUser, enrichConfig, enrichContext, statusCounts } from "../support/enrichment";
import { scratchDir } from "../support/imports";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const catalogue = generateCatalogue({ seed: "delete", artists: 10 });
const originals = [...catalogue.tracks.values()].filter((t) => t.variant === "original" && !t.name.includes("(feat."));
const artistOf = (t: SimTrack) => catalogue.artists.get(t.artistIds[0]!)!.name;

/** Every row of every table Liner and its queue keep, as text. */
async function dumpEverything(t: TestDatabase): Promise<string> {
  const tables = await sql<{ s: string; n: string }>`
    select table_schema as s, table_name as n from information_schema.tables
     where table_schema in ('public', 'graphile_worker') and table_type = 'BASE TABLE'`.execute(t.db);
  expect(tables.rows.length).toBeGreaterThan(15);
  const parts: string[] = [];
  for (const { s, n } of tables.rows) {
    const rows = await sql<{ r: string }>`select to_jsonb(x)::text as r from ${sql.table(`${s}.${n}`)} x`.execute(t.db);
    parts.push(`${s}.${n}: ${rows.rows.map((r) => r.r).join("\n")}`);
  }
  return parts.join("\n");
}

describe("delete my data", () => {
  let sim: SpotifySimulator;
  beforeAll(async () => {
    sim = await startSpotifySimulator({ catalogue, limits: { windowCalls: 10_000 } });
  });
  afterAll(() => sim.close());

  it("leaves nothing in the database or on disk that can be traced to the person; shared rows of others stay", async () => {
    const t = await createTestDatabase();
    try {
      const config = enrichConfig(sim);
      const ann = await connectedUser(t, sim, config, "ann-spotify-7f3k");
      const bob = await connectedUser(t, sim, config, "bob-spotify-2q9z");
      await claimOperator(t.db, ann);
      const sharedTrack = originals[0]!;
      const annOnly = originals[1]!;
      // Names only Ann's exports carry: a miss, and a match found by search.
      const annSecrets = { artist: "Quxblorp Vandermeer", track: "Zembla Nightwalk", search: annOnly.name };
      await addListens(t, ann, [
        { artist: annSecrets.artist, track: annSecrets.track },
        { artist: artistOf(annOnly), track: annOnly.name },
        { artist: artistOf(sharedTrack), track: sharedTrack.name },
        { trackId: "0000000000000000000999", artist: "Ann Idonly Artist", track: "Ann Idonly Song" },
      ]);
      await addListens(t, bob, [{ artist: artistOf(sharedTrack), track: sharedTrack.name }]);
      await enrichListens(enrichContext(t, config), { userId: ann, trigger: "manual" });
      await enrichListens(enrichContext(t, config), { userId: bob, trigger: "manual" });
      expect((await statusCounts(t, ann)).not_found).toBe(2);

      // A file uploaded and waiting for a worker, and a scheduled enrichment.
      const uploadFile = path.join(await scratchDir(), "ann-upload-8xq2.upload");
      await writeFile(uploadFile, "[]");
      await createUpload(t.db, { userId: ann, filePath: uploadFile, originalName: "ann_secret_export_5kq.zip", byteSize: 2 });
      await enqueueEnrich(t.db, ann, "schedule");
      // And a resumable upload half received: its bytes wait in the tus folder.
      const tusDir = path.join(await scratchDir(), "tus-delete");
      await mkdir(tusDir, { recursive: true });
      const receiving = await t.db.insertInto("upload_jobs").values({ user_id: ann, status: "receiving", original_name: "ann_half_sent_9zz.zip", byte_size: 10 }).returning("id").executeTakeFirstOrThrow();
      const tusFiles = [path.join(tusDir, receiving.id), path.join(tusDir, `${receiving.id}.json`)];
      for (const f of tusFiles) await writeFile(f, "ann's bytes");
      await enqueue(t.db, "enrich", { userId: bob, trigger: "schedule" }, { jobKey: "enrich:user:" + bob, runAt: new Date(Date.now() + 3_600_000) });

      const before = await dumpEverything(t);
      const traces = [annSecrets.artist, annSecrets.track, "ann-spotify-7f3k", "ann_secret_export_5kq.zip", "ann-upload-8xq2", "ann_half_sent_9zz.zip", `enrich:user:${ann}`, "Ann Idonly"];
      const annAsJsonId = new RegExp(`"userId":\\s*"${ann}"`);
      for (const s of traces) expect(before, `before: ${s}`).toContain(s);
      expect(before).toMatch(annAsJsonId);

      await deleteAccount(t.db, ann, { tusDir });

      const after = await dumpEverything(t);
      for (const s of traces) expect(after, `after: ${s}`).not.toContain(s);
      expect(after).not.toMatch(annAsJsonId);
      expect(existsSync(uploadFile)).toBe(false);
      for (const f of tusFiles) expect(existsSync(f), f).toBe(false);
      // Bob keeps everything, including the lookup both of them had, and his queued job.
      expect(after).toContain("bob-spotify-2q9z");
      expect(after).toContain(`enrich:user:${bob}`);
      expect(await statusCounts(t, bob)).toEqual({ enriched: 1 });
      const shared = await t.db.selectFrom("track_lookups").select("track_name").where("track_name", "=", sharedTrack.name).execute();
      expect(shared).toHaveLength(1);
      // Spotify's own catalogue rows stay for everyone.
      expect(after).toContain(annOnly.id);
      // The operator role is not passed on.
      expect(await recordedOperator(t.db)).toBeNull();
    } finally {
      await t.drop();
    }
  });
});
