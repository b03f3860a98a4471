/**
 * History entries that are not sync runs (SPEC §7): a duplicate cleanup, its undo and a reset are stored as run
 * records with a `kind`, so the History list, its details (the trail by runId) and retention treat them alike.
 */
import { emptySideCounts, type HistoryAction, type RunReport } from '../shared/run-report';
import type { StatusStore } from './status-store';

export async function recordHistoryAction(
  store: StatusStore,
  entry: {
    id: string;
    kind: HistoryAction;
    at: string;
    crm?: Partial<RunReport['crm']>;
    calendar?: Partial<RunReport['calendar']>;
  },
): Promise<void> {
  await store.saveRun({
    runId: entry.id,
    kind: entry.kind,
    status: 'succeeded',
    // The pane and the API start these on the user's request; the engine has no other trigger for them.
    trigger: 'manual',
    startedAt: entry.at,
    finishedAt: entry.at,
    crm: { ...emptySideCounts(), ...entry.crm },
    calendar: { ...emptySideCounts(), ...entry.calendar },
    conflicts: 0,
    skipped: 0,
    invitationsSent: 0,
    errors: [],
    pendingDeletions: null,
  });
}

/** A sync run, as opposed to a cleanup, undo or reset entry: what "the last run" means for status and health. */
export function isSyncRun(r: RunReport): boolean {
  return r.kind === undefined;
}
