/**
 * The in-memory StatusStore: the reference implementation of the contract (test/support/status-store-contract.ts),
 * used by tests, demos and the benchmark. Values are cloned on the way in and out so callers can never mutate
 * what is stored, exactly like a database would behave.
 */
import type { RunReport } from '../../shared/run-report';
import type {
  CleanupRecord,
  ConflictRecord,
  LinkRecord,
  PendingConfirmation,
  StatusStore,
  SyncMeta,
  Tombstone,
  TrailEntry,
  WriteIntent,
} from '../status-store';

// Plain JSON data only: a JSON round trip is the cheapest deep copy for it (faster than structuredClone here).
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

function matches(
  e: { crmId: string | null; eventId: string | null; runId: string },
  f: { crmId?: string; eventId?: string; runId?: string },
): boolean {
  return (
    (f.crmId === undefined || e.crmId === f.crmId) &&
    (f.eventId === undefined || e.eventId === f.eventId) &&
    (f.runId === undefined || e.runId === f.runId)
  );
}

export class MemoryStatusStore implements StatusStore {
  private links = new Map<string, LinkRecord>();
  private cursors = new Map<string, string>();
  private intents = new Map<string, WriteIntent>();
  private tombstones = new Map<string, Tombstone>();
  private meta: SyncMeta = { firstSyncDone: false, repairing: false };
  private runs = new Map<string, RunReport>();
  private trail: TrailEntry[] = [];
  private conflicts: ConflictRecord[] = [];
  private cleanups = new Map<string, CleanupRecord>();
  private pending: PendingConfirmation | null = null;

  async loadLinks(): Promise<LinkRecord[]> {
    return [...this.links.values()].map(clone);
  }
  async upsertLink(link: LinkRecord): Promise<void> {
    this.links.set(link.id, clone(link));
  }
  async deleteLink(id: string): Promise<void> {
    this.links.delete(id);
  }

  async getCursor(key: string): Promise<string | null> {
    return this.cursors.get(key) ?? null;
  }
  async setCursor(key: string, value: string | null): Promise<void> {
    if (value === null) this.cursors.delete(key);
    else this.cursors.set(key, value);
  }

  async listIntents(): Promise<WriteIntent[]> {
    return [...this.intents.values()].map(clone);
  }
  async putIntent(intent: WriteIntent): Promise<void> {
    this.intents.set(intent.key, clone(intent));
  }
  async deleteIntent(key: string): Promise<void> {
    this.intents.delete(key);
  }

  async listTombstones(): Promise<Tombstone[]> {
    return [...this.tombstones.values()].map(clone);
  }
  async putTombstone(t: Tombstone): Promise<void> {
    this.tombstones.set(`${t.side}\u0000${t.sourceId}`, clone(t));
  }
  async deleteTombstone(side: Tombstone['side'], sourceId: string): Promise<void> {
    this.tombstones.delete(`${side}\u0000${sourceId}`);
  }

  async getMeta(): Promise<SyncMeta> {
    return { ...this.meta };
  }
  async setMeta(meta: Partial<SyncMeta>): Promise<void> {
    this.meta = { ...this.meta, ...meta };
  }

  async saveRun(report: RunReport): Promise<void> {
    this.runs.delete(report.runId);
    this.runs.set(report.runId, clone(report));
  }
  async getRun(runId: string): Promise<RunReport | null> {
    const r = this.runs.get(runId);
    return r ? clone(r) : null;
  }
  async listRuns(limit: number): Promise<RunReport[]> {
    return [...this.runs.values()]
      .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0))
      .slice(0, limit)
      .map(clone);
  }

  async addTrail(entries: TrailEntry[]): Promise<void> {
    for (const e of entries) this.trail.push(clone(e));
  }
  async listTrail(filter: { crmId?: string; eventId?: string; runId?: string }, limit: number): Promise<TrailEntry[]> {
    const out: TrailEntry[] = [];
    for (let i = this.trail.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.trail[i]!;
      if (matches(e, filter)) out.push(clone(e));
    }
    return out;
  }

  async addConflicts(records: ConflictRecord[]): Promise<void> {
    for (const r of records) this.conflicts.push(clone(r));
  }
  async listConflicts(
    filter: { crmId?: string; eventId?: string; runId?: string },
    limit: number,
  ): Promise<ConflictRecord[]> {
    const out: ConflictRecord[] = [];
    for (let i = this.conflicts.length - 1; i >= 0 && out.length < limit; i--) {
      const c = this.conflicts[i]!;
      if (matches(c, filter)) out.push(clone(c));
    }
    return out;
  }

  async saveCleanup(record: CleanupRecord): Promise<void> {
    this.cleanups.set(record.id, clone(record));
  }
  async getCleanup(id: string): Promise<CleanupRecord | null> {
    const c = this.cleanups.get(id);
    return c ? clone(c) : null;
  }

  async getPendingConfirmation(): Promise<PendingConfirmation | null> {
    return this.pending ? clone(this.pending) : null;
  }
  async setPendingConfirmation(p: PendingConfirmation | null): Promise<void> {
    this.pending = p ? clone(p) : null;
  }

  async reset(): Promise<void> {
    this.links.clear();
    this.cursors.clear();
    this.intents.clear();
    this.tombstones.clear();
    this.conflicts = [];
    this.pending = null;
    this.meta = { ...this.meta, repairing: true };
  }
}
