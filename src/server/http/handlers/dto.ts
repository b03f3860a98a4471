import type { Connection } from '../../../shared/api/connections';
import type { CleanupRecordDto } from '../../../shared/api/cleanup';
import type { CleanupRecord } from '../../../sync/status-store';
import type { ConnectionRecord } from '../../store/connections';

/** A stored connection as the pane may see it: no secret, ever. */
export function connectionDto(c: ConnectionRecord): Connection {
  return {
    side: c.side,
    provider: c.provider,
    status: c.status,
    account: c.account,
    url: c.url,
    connectedAt: c.connectedAt,
    tokenExpiresAt: c.tokenExpiresAt,
    lastError: c.lastError,
  };
}

/** A cleanup record without the snapshots (they stay in the store for undo). */
export function cleanupDto(r: CleanupRecord): CleanupRecordDto {
  return {
    id: r.id,
    createdAt: r.createdAt,
    appliedAt: r.appliedAt,
    undoneAt: r.undoneAt,
    undoUntil: r.undoUntil,
    removals: r.removals.map((x) => ({ side: x.side, id: x.id })),
    merges: r.merges.length,
  };
}
