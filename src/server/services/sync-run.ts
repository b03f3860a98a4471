import crypto from 'node:crypto';
import type { RunReport } from '../../shared/run-report';
import { notFound } from '../errors';
import type { UserRecord } from '../store/users';
import type { SyncServiceDeps, SyncUser } from './deps';

export interface QueuedRun {
  runId: string;
  status: 'queued';
}

/** Sync now: queued for a worker (pane), or run here and waited for (CLI); and the answer to a deletion question. */
export class SyncRunService {
  constructor(private readonly d: SyncServiceDeps) {}

  /** Queues one run for the workers (the pane's Sync now); returns at once. */
  async queue(user: SyncUser, confirmDeletions: boolean): Promise<QueuedRun> {
    const runId = crypto.randomUUID();
    await this.d.syncState.addQueued(user.tenantId, user.id, 1);
    await this.d.queue.enqueue({
      tenantId: user.tenantId,
      userId: user.id,
      runId,
      trigger: 'manual',
      confirmDeletions,
    });
    return { runId, status: 'queued' };
  }

  /** One run in this process (waits behind a running one); the report says how it went. */
  async runNow(user: SyncUser, confirmDeletions: boolean): Promise<RunReport> {
    return this.d.runs.run({ tenantId: user.tenantId, userId: user.id, trigger: 'cli', confirmDeletions });
  }

  /**
   * The answer to the question a stopped run asked (SPEC §5.4): yes queues a run that deletes, no drops the
   * question. Either way the pause it caused ends.
   */
  async answerDeletions(user: SyncUser & Pick<UserRecord, 'paused'>, runId: string, confirm: boolean) {
    const { tenantId, id } = user;
    const store = this.d.runs.store(tenantId, id);
    const pending = await store.getPendingConfirmation();
    if (!pending || pending.runId !== runId) throw notFound('pending confirmation for this run');
    if (user.paused?.reason === 'needs-confirmation') await this.d.users.setPaused(tenantId, id, null);
    if (!confirm) {
      await store.setPendingConfirmation(null);
      return { run: null, pendingConfirmation: null };
    }
    return { run: await this.queue(user, true), pendingConfirmation: pending };
  }
}
