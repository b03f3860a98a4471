import type { SyncStatusResponse } from '../../shared/api/sync';
import { isSyncRun } from '../../sync/history';
import type { SyncServiceDeps, SyncUser } from './deps';
import { pauseOf } from './pause';

/** The status line (pane) and `crm-sync status`: automatic sync, pause and why, running/queued, last run, question. */
export class SyncStatusService {
  constructor(private readonly d: SyncServiceDeps) {}

  async status(user: SyncUser): Promise<SyncStatusResponse> {
    const { tenantId, id } = user;
    const store = this.d.runs.store(tenantId, id);
    const [settings, state, connections, fresh, runs, pending] = await Promise.all([
      this.d.userSettings.resolved(tenantId, id),
      this.d.syncState.get(tenantId, id),
      this.d.connections.list(tenantId, id),
      this.d.users.get(tenantId, id),
      store.listRuns(20),
      store.getPendingConfirmation(),
    ]);
    // The last run that finished: while one runs, the status still shows what the previous one did.
    const lastRun = runs.find((r) => isSyncRun(r) && r.finishedAt !== null) ?? null;
    const paused = pauseOf({
      automaticSync: settings.automaticSync,
      stored: fresh?.paused ?? null,
      connections,
      pending,
    });
    const leaseLive = state.leaseUntil !== null && state.leaseUntil > this.d.clock().toISOString();
    return {
      automaticSync: settings.automaticSync,
      paused,
      running:
        leaseLive && state.runningRunId && state.runningSince
          ? { runId: state.runningRunId, startedAt: state.runningSince }
          : null,
      queued: state.queued,
      lastRun,
      nextRunAt: settings.automaticSync && !paused ? state.nextRunAt : null,
      pendingConfirmation: pending,
    };
  }
}
