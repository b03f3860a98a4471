/**
 * The in-memory StatusStore: the reference implementation of the contract (test/support/status-store-contract.ts),
 * used by tests, demos and the benchmark. Values are copied on the way in and out so callers can never mutate
 * what is stored, exactly like a database would behave.
 *
 * Lean on purpose (the benchmark keeps 100,000 links in it; measured at 100k after an initial sync):
 * - a link is one string, a row of its scalars and its packed field values (link-row.ts): about 400 bytes a link
 *   with its map entry and id, where an object with a dozen strings of its own took about 830;
 * - loadLinks decodes a row's scalars only and hands out links whose field values are decoded on first read: a run
 *   that finds a pair unchanged reads its ids, versions and hashes only. A loaded link keeps the row it came from
 *   (strings are immutable, so a later upsert cannot change what it shows) but has strings of its own for its ids,
 *   versions and hashes (about 350 bytes a link while a run holds them; they were shared with the stored objects);
 * - the trail is one compact text per batch (trail-log.ts): about 25 bytes an entry instead of about 80;
 * - other records are copied structurally (strings shared) instead of by a JSON round trip.
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
import { PERMANENT_TOMBSTONE } from '../status-store';
import { settled } from '../planner/writes';
import { encodeLinkRow, loadLinkRow, StringTable } from './link-row';
import { copyPlain } from './plain';
import { TrailLog } from './trail-log';

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
  /** Link rows by link id. */
  private links = new Map<string, string>();
  /** Calendar ids and run instants the rows refer to. */
  private shared = new StringTable();
  private cursors = new Map<string, string>();
  private intents = new Map<string, WriteIntent>();
  private tombstones = new Map<string, Tombstone>();
  private meta: SyncMeta = { firstSyncDone: false, repairing: false };
  private runs = new Map<string, RunReport>();
  private trail = new TrailLog();
  private conflicts: ConflictRecord[] = [];
  private cleanups = new Map<string, CleanupRecord>();
  private pending: PendingConfirmation | null = null;

  async loadLinks(): Promise<LinkRecord[]> {
    const out: LinkRecord[] = [];
    for (const [id, row] of this.links) out.push(loadLinkRow(id, row, this.shared));
    return out;
  }
  /** By the planner's own rule over each row's scalars (no field value is decoded, no link handed out). */
  async settledLinkCount(): Promise<number | null> {
    for (const [id, row] of this.links) if (!settled(loadLinkRow(id, row, this.shared))) return null;
    return this.links.size;
  }
  async upsertLink(link: LinkRecord): Promise<void> {
    this.links.set(link.id, encodeLinkRow(link, this.shared));
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
    return [...this.intents.values()].map(copyPlain);
  }
  async putIntent(intent: WriteIntent): Promise<void> {
    this.intents.set(intent.key, copyPlain(intent));
  }
  async deleteIntent(key: string): Promise<void> {
    this.intents.delete(key);
  }

  async listTombstones(): Promise<Tombstone[]> {
    return [...this.tombstones.values()].map(copyPlain);
  }
  async putTombstone(t: Tombstone): Promise<void> {
    this.tombstones.set(`${t.side}\u0000${t.sourceId}`, copyPlain(t));
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
    this.runs.set(report.runId, copyPlain(report));
  }
  async getRun(runId: string): Promise<RunReport | null> {
    const r = this.runs.get(runId);
    return r ? copyPlain(r) : null;
  }
  async listRuns(limit: number): Promise<RunReport[]> {
    return [...this.runs.values()]
      .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0))
      .slice(0, limit)
      .map(copyPlain);
  }

  async addTrail(entries: TrailEntry[]): Promise<void> {
    this.trail.add(entries);
  }
  async listTrail(filter: { crmId?: string; eventId?: string; runId?: string }, limit: number): Promise<TrailEntry[]> {
    return this.trail.list(filter, limit);
  }

  async addConflicts(records: ConflictRecord[]): Promise<void> {
    for (const r of records) this.conflicts.push(copyPlain(r));
  }
  async listConflicts(
    filter: { crmId?: string; eventId?: string; runId?: string },
    limit: number,
  ): Promise<ConflictRecord[]> {
    const out: ConflictRecord[] = [];
    for (let i = this.conflicts.length - 1; i >= 0 && out.length < limit; i--) {
      const c = this.conflicts[i]!;
      if (matches(c, filter)) out.push(copyPlain(c));
    }
    return out;
  }

  async saveCleanup(record: CleanupRecord): Promise<void> {
    this.cleanups.set(record.id, copyPlain(record));
  }
  async getCleanup(id: string): Promise<CleanupRecord | null> {
    const c = this.cleanups.get(id);
    return c ? copyPlain(c) : null;
  }

  async getPendingConfirmation(): Promise<PendingConfirmation | null> {
    return this.pending ? copyPlain(this.pending) : null;
  }
  async setPendingConfirmation(p: PendingConfirmation | null): Promise<void> {
    this.pending = p ? copyPlain(p) : null;
  }

  async reset(): Promise<void> {
    this.links.clear();
    this.cursors.clear();
    this.intents.clear();
    for (const [key, t] of this.tombstones) if (t.sourceHash !== PERMANENT_TOMBSTONE) this.tombstones.delete(key);
    this.conflicts = [];
    this.pending = null;
    this.meta = { ...this.meta, repairing: true };
  }
}
