import type { SyncServiceDeps, SyncUser } from './deps';

/** Forget the sync state (links, cursors, conflicts) and keep every event and CRM item; the next run re-pairs. */
export class ResetService {
  constructor(private readonly d: SyncServiceDeps) {}

  async reset(user: SyncUser): Promise<{ reset: true; repairing: boolean }> {
    const { tenantId, id } = user;
    await this.d.runs.exclusive(tenantId, id, () =>
      this.d.engine.resetSync({ store: this.d.runs.store(tenantId, id), now: this.d.clock }),
    );
    const meta = await this.d.runs.store(tenantId, id).getMeta();
    return { reset: true, repairing: meta.repairing };
  }
}
