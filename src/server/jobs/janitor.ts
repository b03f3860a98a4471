import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { RunReport } from '../../shared/run-report';
import type { Db } from '../store/database';
import type { SyncStateRepository } from '../store/sync-state';
import type { RunQueue } from './queue';

export interface JanitorResult {
  /** Expired leases cleared. */
  released: number;
  /** Runs recorded as interrupted. */
  interrupted: number;
  /** Retry runs queued for the users concerned. */
  requeued: number;
}

/** The reason an interrupted run shows in History, the CLI and the API. */
export const interruptedMessage =
  'This sync was interrupted: the worker running it stopped or lost the database. It runs again automatically.';

/**
 * Recovers runs whose process went away (killed, crashed, cut off from the database by an outage). A live run
 * renews its lease every third of its time to live; a lease past its expiry therefore belongs to a dead run. For
 * each, the janitor (any worker may run it; compare-and-set makes it once) records the run as `interrupted` with
 * its reason, clears the lease and queues a retry, so the user's sync resumes within one lease time instead of
 * waiting for the queue's job expiry. It also closes any `running` history row no live lease stands behind.
 */
export class RunJanitor {
  constructor(
    private readonly deps: {
      db: Db;
      syncState: SyncStateRepository;
      queue: RunQueue;
      logger: Logger;
      now: () => Date;
      /** A `running` history row older than this without its lease is an orphan. */
      leaseTtlMs: number;
    },
  ) {}

  async sweep(): Promise<JanitorResult> {
    const now = this.deps.now();
    const result: JanitorResult = { released: 0, interrupted: 0, requeued: 0 };
    for (const lease of await this.deps.syncState.expiredLeases(now, 200)) {
      if (!(await this.deps.syncState.releaseExpired(lease, now))) continue;
      result.released++;
      const runId = lease.runningRunId;
      // `exclusive-…` leases guard a reset or a cleanup, not a run: nothing to record or retry.
      if (!runId || runId.startsWith('exclusive-')) continue;
      if (await this.interrupt(lease.tenantId, lease.userId, runId, now)) result.interrupted++;
      await this.deps.queue.enqueue({
        tenantId: lease.tenantId,
        userId: lease.userId,
        runId: crypto.randomUUID(),
        trigger: 'retry',
        confirmDeletions: false,
      });
      result.requeued++;
      this.deps.logger.warn(
        { tenantId: lease.tenantId, userId: lease.userId, runId, leaseOwner: lease.leaseOwner },
        'run interrupted: its lease expired; retry queued',
      );
    }
    result.interrupted += await this.closeOrphans(now);
    return result;
  }

  /** Marks one run `interrupted` if it is still `running` (compare-and-set on the status). */
  private async interrupt(tenantId: string, userId: string, runId: string, now: Date): Promise<boolean> {
    const row = await this.deps.db.kysely
      .selectFrom('status_runs')
      .select(['data', 'status'])
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('run_id', '=', runId)
      .executeTakeFirst();
    if (!row || row.status !== 'running') return false;
    const report = JSON.parse(row.data) as RunReport;
    const interrupted: RunReport = {
      ...report,
      status: 'interrupted',
      finishedAt: now.toISOString(),
      errors: [
        ...report.errors,
        { message: interruptedMessage, kind: 'transient', side: 'connector', itemId: null, retryable: true },
      ],
    };
    const r = await this.deps.db.kysely
      .updateTable('status_runs')
      .set({ status: 'interrupted', data: JSON.stringify(interrupted) })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('run_id', '=', runId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * `running` rows older than a lease time whose user's live lease is not theirs: their lease was lost or cleared
   * before the row could be closed (a crash between the two writes).
   */
  private async closeOrphans(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.deps.leaseTtlMs).toISOString();
    const rows = await this.deps.db.kysely
      .selectFrom('status_runs as r')
      .leftJoin('sync_state as s', (j) =>
        j.onRef('s.user_id', '=', 'r.user_id').onRef('s.running_run_id', '=', 'r.run_id'),
      )
      .select(['r.tenant_id', 'r.user_id', 'r.run_id'])
      .where('r.status', '=', 'running')
      .where('r.started_at', '<', cutoff)
      .where(sql<boolean>`s.user_id is null`)
      .limit(200)
      .execute();
    let n = 0;
    for (const r of rows) if (await this.interrupt(r.tenant_id, r.user_id, r.run_id, now)) n++;
    return n;
  }
}
