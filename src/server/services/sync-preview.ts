import type { PartialSettings } from '../../shared/settings';
import type { EnginePreviewAction } from '../runs/engine-api';
import type { RunReport } from '../../shared/run-report';
import type { SyncServiceDeps, SyncUser } from './deps';

export interface SyncPreview {
  report: RunReport;
  actions: EnginePreviewAction[];
}

/** The plan of a run, changing nothing: with the user's settings, or with settings the Settings page proposes. */
export class SyncPreviewService {
  constructor(private readonly d: SyncServiceDeps) {}

  async preview(user: SyncUser, proposed?: PartialSettings): Promise<SyncPreview> {
    const { tenantId, id } = user;
    const base = await this.d.runs.context(tenantId, id);
    const ctx = proposed ? { ...base, settings: await this.d.userSettings.proposed(tenantId, id, proposed) } : base;
    return this.d.engine.previewSync(ctx);
  }
}
