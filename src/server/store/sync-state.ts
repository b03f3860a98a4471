import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema } from './schema';

export interface SyncStateRecord {
  userId: string;
  tenantId: string;
  nextRunAt: string | null;
  leaseOwner: string | null;
  leaseUntil: string | null;
  runningRunId: string | null;
  runningSince: string | null;
  queued: number;
  failures: number;
}

/**
 * Per-user scheduling state and the run lease that keeps one user's runs from overlapping across processes
 * and machines: a compare-and-set on (lease_owner, lease_until) that both SQLite and PostgreSQL make atomic.
 */
export class SyncStateRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  private async ensure(tenantId: string, userId: string): Promise<void> {
    await this.db
      .insertInto('sync_state')
      .values({ user_id: userId, tenant_id: tenantId, queued: 0, failures: 0 })
      .onConflict((oc) => oc.column('user_id').doNothing())
      .execute();
  }

  async get(tenantId: string, userId: string): Promise<SyncStateRecord> {
    const r = await this.db
      .selectFrom('sync_state')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return {
      userId,
      tenantId,
      nextRunAt: r?.next_run_at ?? null,
      leaseOwner: r?.lease_owner ?? null,
      leaseUntil: r?.lease_until ?? null,
      runningRunId: r?.running_run_id ?? null,
      runningSince: r?.running_since ?? null,
      queued: r?.queued ?? 0,
      failures: r?.failures ?? 0,
    };
  }

  /** Takes the user's run lease if nobody holds a live one. True when this owner now holds it. */
  async acquire(
    tenantId: string,
    userId: string,
    owner: string,
    runId: string,
    ttlMs: number,
    now: Date,
  ): Promise<boolean> {
    return (await this.take(tenantId, userId, owner, runId, ttlMs, now)) !== null;
  }

  /**
   * Takes the user's run lease if nobody holds a live one, in one statement (the row is created when the user has
   * none yet): null when another holder's lease is live, else the user's failure count before this run. With
   * `dequeue`, the same statement takes one off the user's queued count: a run that waits for the lease still
   * counts as queued.
   */
  async take(
    tenantId: string,
    userId: string,
    owner: string,
    runId: string,
    ttlMs: number,
    now: Date,
    options: { dequeue?: boolean } = {},
  ): Promise<{ failures: number } | null> {
    const nowIso = now.toISOString();
    const lease = {
      lease_owner: owner,
      lease_until: new Date(now.getTime() + ttlMs).toISOString(),
      running_run_id: runId,
      running_since: nowIso,
    };
    const r = await this.db
      .insertInto('sync_state')
      .values({ user_id: userId, tenant_id: tenantId, queued: 0, failures: 0, ...lease })
      .onConflict((oc) =>
        oc
          .column('user_id')
          .doUpdateSet({
            ...lease,
            ...(options.dequeue
              ? { queued: sql<number>`case when sync_state.queued > 0 then sync_state.queued - 1 else 0 end` }
              : {}),
          })
          .where('sync_state.tenant_id', '=', tenantId)
          .where((eb) => eb.or([eb('sync_state.lease_until', 'is', null), eb('sync_state.lease_until', '<', nowIso)])),
      )
      .returning('failures')
      .executeTakeFirst();
    return r ? { failures: r.failures } : null;
  }

  /**
   * Extends a held lease; false when it was lost (expired and taken), so the holder must stop. With `runId`, the
   * lease must still be that run's: a process running a retry of the same user (same owner) after the janitor
   * freed an expired lease must not keep the old run alive (found by the chaos test: two runs of one user at once).
   */
  async renew(
    tenantId: string,
    userId: string,
    owner: string,
    ttlMs: number,
    now: Date,
    runId?: string,
  ): Promise<boolean> {
    let q = this.db
      .updateTable('sync_state')
      .set({ lease_until: new Date(now.getTime() + ttlMs).toISOString() })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('lease_owner', '=', owner);
    if (runId !== undefined) q = q.where('running_run_id', '=', runId);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Releases the lease and sets the schedule; with `runId`, only while the lease is still that run's (see renew). */
  async release(
    tenantId: string,
    userId: string,
    owner: string,
    next: { nextRunAt: string | null; failures: number },
    runId?: string,
  ): Promise<void> {
    let q = this.db
      .updateTable('sync_state')
      .set({
        lease_owner: null,
        lease_until: null,
        running_run_id: null,
        running_since: null,
        next_run_at: next.nextRunAt,
        failures: next.failures,
      })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('lease_owner', '=', owner);
    if (runId !== undefined) q = q.where('running_run_id', '=', runId);
    await q.execute();
  }

  /** Releases a lease taken for something other than a run (reset, cleanup): the schedule stays as it was. */
  async releaseKeepingSchedule(tenantId: string, userId: string, owner: string): Promise<void> {
    await this.db
      .updateTable('sync_state')
      .set({ lease_owner: null, lease_until: null, running_run_id: null, running_since: null })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('lease_owner', '=', owner)
      .execute();
  }

  async setNextRun(tenantId: string, userId: string, nextRunAt: string | null): Promise<void> {
    await this.ensure(tenantId, userId);
    await this.db
      .updateTable('sync_state')
      .set({ next_run_at: nextRunAt })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .execute();
  }

  /** Adds to the user's queued count (never below 0), in one statement. */
  async addQueued(tenantId: string, userId: string, delta: number): Promise<void> {
    await this.db
      .insertInto('sync_state')
      .values({ user_id: userId, tenant_id: tenantId, queued: Math.max(0, delta), failures: 0 })
      .onConflict((oc) =>
        oc
          .column('user_id')
          .doUpdateSet({
            queued: sql<number>`case when sync_state.queued + ${delta} < 0 then 0 else sync_state.queued + ${delta} end`,
          })
          .where('sync_state.tenant_id', '=', tenantId),
      )
      .execute();
  }

  /** Leases whose holder stopped renewing them (its process died or lost the database), oldest first. */
  async expiredLeases(now: Date, limit: number): Promise<SyncStateRecord[]> {
    const rows = await this.db
      .selectFrom('sync_state')
      .selectAll()
      .where('lease_owner', 'is not', null)
      .where('lease_until', '<', now.toISOString())
      .orderBy('lease_until')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      userId: r.user_id,
      tenantId: r.tenant_id,
      nextRunAt: r.next_run_at,
      leaseOwner: r.lease_owner,
      leaseUntil: r.lease_until,
      runningRunId: r.running_run_id,
      runningSince: r.running_since,
      queued: r.queued,
      failures: r.failures,
    }));
  }

  /**
   * Clears a lease that expired, if it is still the same expired lease (compare-and-set on owner and expiry), so
   * two janitors, or a janitor and a run that just took it, never both act. True when this caller cleared it.
   */
  async releaseExpired(lease: SyncStateRecord, now: Date): Promise<boolean> {
    if (!lease.leaseOwner || !lease.leaseUntil) return false;
    const r = await this.db
      .updateTable('sync_state')
      .set({ lease_owner: null, lease_until: null, running_run_id: null, running_since: null })
      .where('tenant_id', '=', lease.tenantId)
      .where('user_id', '=', lease.userId)
      .where('lease_owner', '=', lease.leaseOwner)
      .where('lease_until', '=', lease.leaseUntil)
      .where('lease_until', '<', now.toISOString())
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Users whose automatic run is due, oldest first (across tenants: the scheduler serves them all). */
  async due(now: Date, limit: number): Promise<{ tenantId: string; userId: string }[]> {
    const rows = await this.db
      .selectFrom('sync_state')
      .select(['tenant_id', 'user_id'])
      .where('next_run_at', 'is not', null)
      .where('next_run_at', '<=', now.toISOString())
      .orderBy('next_run_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ tenantId: r.tenant_id, userId: r.user_id }));
  }

  /** `due`, with each user's sync profile (the scheduler reads the user's settings from it without reading the user). */
  async dueWithProfile(
    now: Date,
    limit: number,
  ): Promise<{ tenantId: string; userId: string; profileId: string | null }[]> {
    const rows = await this.db
      .selectFrom('sync_state as s')
      .innerJoin('users as u', (j) => j.onRef('u.id', '=', 's.user_id').onRef('u.tenant_id', '=', 's.tenant_id'))
      .select(['s.tenant_id', 's.user_id', 'u.profile_id'])
      .where('s.next_run_at', 'is not', null)
      .where('s.next_run_at', '<=', now.toISOString())
      .orderBy('s.next_run_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ tenantId: r.tenant_id, userId: r.user_id, profileId: r.profile_id }));
  }

  /**
   * Claims a due user for this scheduler: moves next_run_at to a fallback time so no other scheduler enqueues it
   * too, and so a job lost with its process still comes round again. True when this caller claimed it.
   */
  async claimDue(tenantId: string, userId: string, now: Date, fallback: Date): Promise<boolean> {
    const r = await this.db
      .updateTable('sync_state')
      .set({ next_run_at: fallback.toISOString() })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('next_run_at', '<=', now.toISOString())
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}
