import type { SyncStatusResponse } from '../../shared/api/sync';
import type { ConnectionRecord } from '../store/connections';
import type { UserRecord } from '../store/users';

export type Pause = NonNullable<SyncStatusResponse['paused']>;

export interface PauseFacts {
  automaticSync: boolean;
  /** The pause the last run stored on the user (needs-reauth, needs-confirmation, superseded). */
  stored: UserRecord['paused'];
  connections: Pick<ConnectionRecord, 'side' | 'status' | 'lastError'>[];
  /** The deletions a stopped run asks about; the scheduler passes null (the run stored a pause with it). */
  pending: { reason: string } | null;
}

/**
 * Why automatic sync is paused, as the pane's status line and the CLI's `status` say it: the one place that
 * decides it (SPEC §7). Revoked authorization comes first, then a deletion question, then a missing side.
 */
export function pauseOf(f: PauseFacts): Pause | null {
  const reauth = f.connections.find((c) => c.status === 'needs-reauth');
  if (f.stored?.reason === 'needs-reauth' || reauth) {
    return {
      reason: 'needs-reauth',
      message: f.stored?.message ?? reauth?.lastError ?? 'Re-authorize to resume automatic sync.',
      side: reauth?.side ?? null,
    };
  }
  if (f.stored?.reason === 'needs-confirmation' || f.pending) {
    return { reason: 'needs-confirmation', message: f.pending?.reason ?? f.stored?.message ?? '', side: null };
  }
  if (f.automaticSync && f.connections.length < 2) {
    const missing = f.connections.some((c) => c.side === 'crm') ? 'calendar' : 'crm';
    return {
      reason: 'not-connected',
      message: `Connect your ${missing === 'crm' ? 'CRM' : 'calendar'}.`,
      side: missing,
    };
  }
  return null;
}

/**
 * Whether the schedule should run this user: automatic sync on and nothing paused. A stored pause the pane never
 * shows (a superseded account) stops it too.
 */
export function automaticRunsWanted(f: PauseFacts): boolean {
  return f.automaticSync && f.stored === null && pauseOf(f) === null;
}
