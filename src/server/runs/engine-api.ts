import type { RunReport, RunTrigger } from '../../shared/run-report';
import type { SyncSettings } from '../../shared/settings';
import type { CalendarProvider, CrmProvider } from '../../sync/ports';
import type { CleanupRecord, StatusStore } from '../../sync/status-store';
import type { Clock } from '../../shared/clock';

/** What one engine call needs (the engine's EngineContext, src/sync/index.ts). */
export interface EngineContext {
  crm: CrmProvider;
  calendar: CalendarProvider;
  store: StatusStore;
  settings: SyncSettings;
  userEmail: string;
  calendars: { targetCalendarId: string; sourceCalendarIds: string[] };
  now: Clock;
  signal?: AbortSignal;
  onProgress?: (p: unknown) => void;
}

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
