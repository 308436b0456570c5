import { createHash } from "node:crypto";
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Database } from "../db/schema";

/**
 * Claims keep concurrent runs off each other's items: an item in flight (`i:`/`k:` tracks, `a:`
 * artists, `d:` track details) is skipped by every other run. A claim older than this belonged to a
 * worker that died: the item is free again.
 */
export const CLAIM_STALE_MINUTES = 10;

/**
 * An item's name is the export's names (`k:<lookup key>`), which can be any length: a btree index
 * entry cannot exceed about 2,700 bytes, so a long name is claimed by its SHA-256 instead. Below
 * the limit the item itself is kept: claims stay readable in the table.
 */
export const MAX_CLAIM_BYTES = 512;

/** The claim key of an item (the same rule as `claimKeySql`). */
export function claimKey(item: string): string {
  return Buffer.byteLength(item, "utf8") <= MAX_CLAIM_BYTES ? item : `h:${createHash("sha256").update(item, "utf8").digest("hex")}`;
}

/** SQL: the claim key of an item expression (the same rule as `claimKey`). */
function claimKeySql(item: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`(case when octet_length(${item}) <= ${MAX_CLAIM_BYTES} then ${item}
                           else 'h:' || encode(sha256(convert_to(${item}, 'UTF8')), 'hex') end)`;
}

/** SQL: true when no live run holds `item` (an SQL expression naming the item). */
export function unclaimed(item: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`not exists (
    select 1 from enrichment_claims c
     where c.item = ${claimKeySql(item)} and c.claimed_at > now() - make_interval(mins => ${CLAIM_STALE_MINUTES}))`;
}

/** Takes the items no live run holds; returns the ones this run now owns (as the items given). */
export async function claimItems(db: Kysely<Database>, owner: string, items: string[]): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const byKey = new Map(items.map((item) => [claimKey(item), item]));
  const { rows } = await sql<{ item: string }>`
    insert into enrichment_claims (item, owner)
    select unnest(${[...byKey.keys()]}::text[]), ${owner}
    on conflict (item) do update set owner = excluded.owner, claimed_at = now()
      where enrichment_claims.claimed_at <= now() - make_interval(mins => ${CLAIM_STALE_MINUTES})
    returning item`.execute(db);
  return new Set(rows.map((r) => byKey.get(r.item)!));
}

export async function releaseClaims(db: Kysely<Database>, owner: string): Promise<void> {
  await db.deleteFrom("enrichment_claims").where("owner", "=", owner).execute();
}
