import type { RunReport } from '../../shared/run-report';
import type { ConflictRecord, TrailEntry } from '../../sync/status-store';
import { isSyncRun } from '../../sync/history';
import { notFound } from '../errors';
import type { SyncServiceDeps, SyncUser } from './deps';

/** The History page: the last runs, and one run with its trail and conflicts. */
export class RunHistoryService {
  constructor(private readonly d: SyncServiceDeps) {}

  list(user: SyncUser, limit: number): Promise<RunReport[]> {
    return this.d.runs.store(user.tenantId, user.id).listRuns(limit);
  }

  /** The last sync runs, newest first (the History also lists cleanups and resets, which say nothing of sync health). */
  async syncRuns(user: SyncUser, limit: number): Promise<RunReport[]> {
    return (await this.list(user, limit)).filter(isSyncRun);
  }

  async get(
    user: SyncUser,
    runId: string,
  ): Promise<{ report: RunReport; trail: TrailEntry[]; conflicts: ConflictRecord[] }> {
    const store = this.d.runs.store(user.tenantId, user.id);
    const report = await store.getRun(runId);
    if (!report) throw notFound('run');
    const [trail, conflicts] = await Promise.all([
      store.listTrail({ runId }, 500),
      store.listConflicts({ runId }, 500),
    ]);
    return { report, trail, conflicts };
  }
}
