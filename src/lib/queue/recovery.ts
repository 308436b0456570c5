import type pg from "pg";

/**
 * Freeing what dead workers hold. graphile-worker locks a job for its runner until the job ends;
 * a runner that died (SIGKILL, a lost database) leaves the lock for four hours. Every worker beats
 * into `worker_heartbeats` with its runners' ids, so any live worker can tell a held job whose
 * holder is gone — and free it, close the runs it left open, and release their claims.
 */

/** A worker whose last beat is older than this is dead; its locks and runs are freed. */
export function deadAfterSeconds(heartbeatSeconds: number): number {
  // Two missed beats, never under 10 s: a slow beat on a busy machine is not a death.
  return Math.max(2 * heartbeatSeconds, 10);
}

/**
 * SQL: graphile-worker runner ids that lock a job (or a queue) for longer than $1 seconds while no
 * live worker (a beat within $1 seconds) names them. A runner that has just started may lock a job
 * before its worker's beat names it: the lock's age covers that.
 */
const ORPHAN_LOCKERS_SQL = `
  select distinct l.locked_by
    from (select locked_by, locked_at from graphile_worker._private_jobs where locked_by is not null
          union all
          select locked_by, locked_at from graphile_worker._private_job_queues where locked_by is not null) l
   where l.locked_at < now() - make_interval(secs => $1)
     and not exists (select 1 from worker_heartbeats h
                      where h.last_seen_at > now() - make_interval(secs => $1)
                        and l.locked_by = any(h.runner_ids))`;

/** Jobs held by runners that are gone: what health reports while it lasts. */
export async function stuckJobs(pool: pg.Pool, deadSeconds: number): Promise<{ jobs: number; oldestLockedAt: Date | null }> {
  const { rows } = await pool.query<{ jobs: string; oldest: Date | null }>(
    `select count(*) as jobs, min(j.locked_at) as oldest
       from graphile_worker._private_jobs j
      where j.locked_by in (${ORPHAN_LOCKERS_SQL})`,
    [deadSeconds],
  );
  return { jobs: Number(rows[0]!.jobs), oldestLockedAt: rows[0]!.oldest };
}

export interface Recovered {
  jobsUnlocked: number;
  runsInterrupted: number;
  deadWorkers: string[];
}

/**
 * Frees the jobs of dead runners (they become ready at once for any live worker), closes the
 * enrichment runs they left "running" as `interrupted` with the reason, releases those runs'
 * claims, and forgets dead workers' heartbeats. `alsoRunners`: runner ids this process knows are
 * dead (its own runner that stopped), freed without waiting for them to look stale.
 */
export async function recoverFromDeadWorkers(pool: pg.Pool, deadSeconds: number, alsoRunners: string[] = [], alsoWorkers: string[] = []): Promise<Recovered> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    const lockers = await client.query<{ locked_by: string }>(ORPHAN_LOCKERS_SQL, [deadSeconds]);
    const runnerIds = [...new Set([...lockers.rows.map((r) => r.locked_by), ...alsoRunners])];
    const jobs = runnerIds.length
      ? await client.query<{ n: string }>(
          "select count(*) as n from graphile_worker._private_jobs where locked_by = any($1::text[])",
          [runnerIds],
        )
      : { rows: [{ n: "0" }] };
    if (runnerIds.length) await client.query("select graphile_worker.force_unlock_workers($1::text[])", [runnerIds]);
    const dead = await client.query<{ worker_id: string }>(
      `delete from worker_heartbeats
        where last_seen_at < now() - make_interval(secs => $1) or worker_id = any($2::text[])
        returning worker_id`,
      [deadSeconds, alsoWorkers],
    );
    // A worker's run is over when its worker is gone, or when its job is no longer held by anyone:
    // a run always ends (its row written) before its job does.
    const runs = await client.query<{ id: string }>(
      `with closed as (
         update enrichment_runs r
            set status = 'interrupted', finished_at = now(),
                error = case when h.worker_id is null
                             then 'Interrupted: the worker running it stopped (killed, or it lost the database). The rest of its work was handed back.'
                             else 'Interrupted: its job ended without finishing the run (the database went away). The rest of its work was handed back.' end
           from enrichment_runs r0
           left join worker_heartbeats h on h.worker_id = r0.worker_id and h.last_seen_at > now() - make_interval(secs => $1)
          where r.id = r0.id and r0.status = 'running' and r0.job_id is not null
            and r0.started_at < now() - make_interval(secs => 5)
            and (h.worker_id is null
                 or not exists (select 1 from graphile_worker._private_jobs j
                                 where j.id::text = r0.job_id and j.locked_at is not null))
         returning r.id, r.worker_id)
       , released as (
         delete from enrichment_claims c using closed
          where c.owner like closed.worker_id || ':' || closed.id || ':%')
       select id from closed`,
      [deadSeconds],
    );
    await client.query("commit");
    return { jobsUnlocked: Number(jobs.rows[0]!.n), runsInterrupted: runs.rowCount ?? 0, deadWorkers: dead.rows.map((r) => r.worker_id) };
  } catch (err) {
    await client.query("rollback").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Jobs this worker's own runners lock but none of them is running: a job whose end could not be
 * written while the database was away keeps its lock in a runner that lives on. Freed once the
 * lock is older than `graceSeconds`, so they run again (every task may run twice: imports and
 * enrichment both pick up where the database says they are). Returns how many.
 */
export async function releaseLostJobs(pool: pg.Pool, runnerIds: string[], activeJobIds: string[], graceSeconds: number): Promise<number> {
  if (runnerIds.length === 0) return 0;
  const r = await pool.query(
    `update graphile_worker._private_jobs
        set locked_by = null, locked_at = null
      where locked_by = any($1::text[]) and not (id::text = any($2::text[]))
        and locked_at < now() - make_interval(secs => $3)`,
    [runnerIds, activeJobIds, graceSeconds],
  );
  return r.rowCount ?? 0;
}
