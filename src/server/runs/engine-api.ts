import type { RunReport, RunTrigger } from '../../shared/run-report';
import type { EngineContext } from '../../sync';
import type { CleanupRecord, StatusStore } from '../../sync/status-store';
import type { Clock } from '../../shared/clock';

/** What one engine call needs: the engine's own type (one definition, src/sync/run.ts). */
export type { EngineContext };

/** One planned action of a preview, as the engine summarises it. */
export interface EnginePreviewAction {
  side: 'crm' | 'calendar';
  action: string;
  crmId: string | null;
  eventId: string | null;
  subject: string;
  reason: string;
  sendsInvitation: boolean;
}

/** One group of duplicates the engine found (its DuplicateGroup). */
export interface EngineDuplicateGroup {
  kind: 'tagged-events' | 'ical-activities' | 'fingerprint';
  keep: { side: 'crm' | 'calendar'; id: string; subject: string };
  remove: { side: 'crm' | 'calendar'; id: string; subject: string }[];
  merged: string[];
}

/** The engine's entry points the server calls; bound to src/sync in ./engine.ts, replaced by doubles in tests. */
export interface EngineApi {
  runSync(
    ctx: EngineContext,
    opts: { runId?: string; trigger: RunTrigger; confirmDeletions?: boolean },
  ): Promise<RunReport>;
  previewSync(ctx: EngineContext): Promise<{ report: RunReport; actions: EnginePreviewAction[] }>;
  previewCleanup(ctx: EngineContext): Promise<{ groups: EngineDuplicateGroup[] }>;
  applyCleanup(ctx: EngineContext): Promise<CleanupRecord>;
  undoCleanup(ctx: EngineContext, id: string): Promise<CleanupRecord>;
  resetSync(p: { store: StatusStore; now: Clock }): Promise<void>;
}
