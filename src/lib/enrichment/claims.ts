import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Database } from "../db/schema";

/**
 * Claims keep concurrent runs off each other's items: an item in flight (`i:`/`k:` tracks, `a:`
 * artists, `d:` track details) is skipped by every other run. A claim older than this belonged to a
 * worker that died: the item is free again.
 */
export const CLAIM_STALE_MINUTES = 10;

/** SQL: true when no live run holds `item` (an SQL expression naming the item). */
export function unclaimed(item: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`not exists (
    select 1 from enrichment_claims c
     where c.item = ${item} and c.claimed_at > now() - make_interval(mins => ${CLAIM_STALE_MINUTES}))`;
}

/** Takes the items no live run holds; returns the ones this run now owns. */
export async function claimItems(db: Kysely<Database>, owner: string, items: string[]): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const { rows } = await sql<{ item: string }>`
    insert into enrichment_claims (item, owner)
    select unnest(${items}::text[]), ${owner}
    on conflict (item) do update set owner = excluded.owner, claimed_at = now()
      where enrichment_claims.claimed_at <= now() - make_interval(mins => ${CLAIM_STALE_MINUTES})
    returning item`.execute(db);
  return new Set(rows.map((r) => r.item));
}

export async function releaseClaims(db: Kysely<Database>, owner: string): Promise<void> {
  await db.deleteFrom("enrichment_claims").where("owner", "=", owner).execute();
}
