import type { CleanupRecord } from '../../sync/status-store';
import { notFound } from '../errors';
import type { EngineDuplicateGroup } from '../runs/engine-api';
import type { SyncServiceDeps, SyncUser } from './deps';

/**
 * Duplicate cleanup (SPEC §5.6): the groups it would merge, then removing the extra copies, and undoing that for
 * seven days. Apply and undo hold the user's run lease, so they never interleave with a run.
 */
export class CleanupService {
  constructor(private readonly d: SyncServiceDeps) {}

  async preview(user: SyncUser): Promise<{ groups: EngineDuplicateGroup[] }> {
    const { groups } = await this.d.engine.previewCleanup(await this.d.runs.context(user.tenantId, user.id));
    return { groups };
  }

  async apply(user: SyncUser): Promise<CleanupRecord> {
    const { tenantId, id } = user;
    return this.d.runs.exclusive(tenantId, id, async () =>
      this.d.engine.applyCleanup(await this.d.runs.context(tenantId, id)),
    );
  }

  /** Restores what cleanup `cleanupId` removed; an unknown id is a 404, before any lease is taken. */
  async undo(user: SyncUser, cleanupId: string): Promise<CleanupRecord> {
    const { tenantId, id } = user;
    if (!(await this.d.runs.store(tenantId, id).getCleanup(cleanupId))) throw notFound('cleanup');
    return this.d.runs.exclusive(tenantId, id, async () =>
      this.d.engine.undoCleanup(await this.d.runs.context(tenantId, id), cleanupId),
    );
  }
}
