/**
 * The in-memory StatusStore: the reference implementation of the contract (test/support/status-store-contract.ts),
 * used by tests, demos and the benchmark. Values are copied on the way in and out so callers can never mutate
 * what is stored, exactly like a database would behave.
 *
 * Lean on purpose (the benchmark keeps 100,000 links in it): copies share strings (they are immutable), a link
 * is a row of scalars plus one compact JSON text of its field values (one copy when both sides were last synced
 * with equal values), and loadLinks hands out links whose field values are parsed only when someone reads them: a run that finds a pair unchanged looks at
 * its ids, versions and hashes only.
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
import { syncedFieldNames, type SyncedFields } from '../model';
import { copyPlain, plainEqual } from './plain';

/** The parts of a link that are object graphs: kept as one JSON text, parsed only when someone reads them. */
const HEAVY = ['crmFields', 'eventFields', 'crmInfo', 'occurrence'] as const;
type Heavy = (typeof HEAVY)[number];

/** A stored link: its scalars in a fixed shape, and its field values as compact JSON (like a database row). */
interface StoredLink {
  id: string;
  crmId: string;
  eventId: string;
  calendarId: string;
  iCalUId: string | null;
  origin: LinkRecord['origin'];
  crmVersion: string;
  eventVersion: string;
  crmHash: string;
  eventHash: string;
  syncedAt: string;
  eventIsOrganizer: boolean | undefined;
  iCalUIdOwed: boolean | undefined;
  eventWritesNotify: boolean | undefined;
  heldDelete: boolean | undefined;
  /** JSON of heldPush (rare: a write held back while invitations are off). */
  heldPush: string | undefined;
  /** JSON of [crmFields, eventFields or 0 when equal to crmFields, crmInfo or 0, occurrence or 0]; fields packed. */
  heavy: string;
  has: { crmInfo: boolean; occurrence: boolean };
}

const HAS_NONE = { crmInfo: false, occurrence: false };
const HAS_INFO = { crmInfo: true, occurrence: false };
const HAS_OCC = { crmInfo: false, occurrence: true };
const HAS_BOTH = { crmInfo: true, occurrence: true };

const STORED = Symbol('stored link');
type LoadedLink = LinkRecord & { [STORED]: StoredLink };

function dataProperty(link: LinkRecord, key: Heavy, value: unknown): void {
  Object.defineProperty(link, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Turns every heavy accessor of a loaded link into a plain data property holding a private copy. */
function materialize(link: LoadedLink): void {
  const stored = link[STORED];
  const [crm, event, crmInfo, occurrence] = JSON.parse(stored.heavy) as [unknown, unknown, unknown, unknown];
  const crmFields = unpackFields(crm);
  const values: Record<Heavy, unknown> = {
    crmFields,
    eventFields: event === 0 ? copyPlain(crmFields) : unpackFields(event),
    crmInfo,
    occurrence,
  };
  for (const key of HEAVY) {
    if (Object.getOwnPropertyDescriptor(link, key)?.get) dataProperty(link, key, values[key]);
  }
}

/**
 * One descriptor per heavy key, shared by every loaded link (no closure per link): the first read of any of them
 * parses the stored JSON once; a write replaces the accessor with the written value.
 */
const LAZY: Record<Heavy, PropertyDescriptor> = Object.fromEntries(
  HEAVY.map((key) => [
    key,
    {
      enumerable: true,
      configurable: true,
      get(this: LoadedLink): unknown {
        materialize(this);
        return (this as unknown as Record<Heavy, unknown>)[key];
      },
      set(this: LoadedLink, value: unknown): void {
        dataProperty(this, key, value);
      },
    },
  ]),
) as Record<Heavy, PropertyDescriptor>;

/**
 * Synced fields are stored as a JSON array in syncedFieldNames order, without the nine key names (a third of a
 * row). Only a complete set of fields is packed, so anything else still round-trips exactly as an object.
 */
function packFields(f: SyncedFields): unknown {
  const values = syncedFieldNames.map((n) => (f as unknown as Record<string, unknown>)[n]);
  const complete = values.every((v) => v !== undefined) && Object.keys(f).length === syncedFieldNames.length;
  return complete ? values : f;
}

function unpackFields(packed: unknown): unknown {
  if (!Array.isArray(packed)) return packed;
  const f: Record<string, unknown> = {};
  syncedFieldNames.forEach((n, i) => (f[n] = packed[i]));
  return f;
}

/**
 * V8 builds a long JSON.stringify result as a rope of parts; reading one character makes it flatten the rope into
 * one string, so a stored row costs its length and not its length plus a tree of fragments (about 30% less).
 */
function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

function storeLink(link: LinkRecord): StoredLink {
  const same = plainEqual(link.eventFields, link.crmFields);
  const hasInfo = link.crmInfo !== undefined;
  const hasOcc = link.occurrence !== undefined;
  return {
    id: link.id,
    crmId: link.crmId,
    eventId: link.eventId,
    calendarId: link.calendarId,
    iCalUId: link.iCalUId,
    origin: link.origin,
    crmVersion: link.crmVersion,
    eventVersion: link.eventVersion,
    crmHash: link.crmHash,
    eventHash: link.eventHash,
    syncedAt: link.syncedAt,
    eventIsOrganizer: link.eventIsOrganizer,
    iCalUIdOwed: link.iCalUIdOwed,
    eventWritesNotify: link.eventWritesNotify,
    heldDelete: link.heldDelete,
    heldPush: link.heldPush === undefined ? undefined : JSON.stringify(link.heldPush),
    heavy: flat(
      JSON.stringify([
        packFields(link.crmFields),
        same ? 0 : packFields(link.eventFields),
        link.crmInfo ?? 0,
        link.occurrence ?? 0,
      ]),
    ),
    has: hasInfo ? (hasOcc ? HAS_BOTH : HAS_INFO) : hasOcc ? HAS_OCC : HAS_NONE,
  };
}

function loadLink(stored: StoredLink): LinkRecord {
  const link = {
    id: stored.id,
    crmId: stored.crmId,
    eventId: stored.eventId,
    calendarId: stored.calendarId,
    iCalUId: stored.iCalUId,
    origin: stored.origin,
    crmVersion: stored.crmVersion,
    eventVersion: stored.eventVersion,
    crmHash: stored.crmHash,
    eventHash: stored.eventHash,
    syncedAt: stored.syncedAt,
  } as LoadedLink;
  if (stored.eventIsOrganizer !== undefined) link.eventIsOrganizer = stored.eventIsOrganizer;
  if (stored.iCalUIdOwed !== undefined) link.iCalUIdOwed = stored.iCalUIdOwed;
  if (stored.eventWritesNotify !== undefined) link.eventWritesNotify = stored.eventWritesNotify;
  if (stored.heldDelete !== undefined) link.heldDelete = stored.heldDelete;
  if (stored.heldPush !== undefined) link.heldPush = JSON.parse(stored.heldPush) as LinkRecord['heldPush'];
  Object.defineProperty(link, STORED, { value: stored });
  Object.defineProperty(link, 'crmFields', LAZY.crmFields);
  Object.defineProperty(link, 'eventFields', LAZY.eventFields);
  if (stored.has.crmInfo) Object.defineProperty(link, 'crmInfo', LAZY.crmInfo);
  if (stored.has.occurrence) Object.defineProperty(link, 'occurrence', LAZY.occurrence);
  return link;
}

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
  private links = new Map<string, StoredLink>();
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
    return [...this.links.values()].map(loadLink);
  }
  async upsertLink(link: LinkRecord): Promise<void> {
    this.links.set(link.id, storeLink(link));
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
    // Trail entries are flat: a shallow copy shares the strings and still keeps the stored entry apart.
    for (const e of entries) this.trail.push({ ...e });
  }
  async listTrail(filter: { crmId?: string; eventId?: string; runId?: string }, limit: number): Promise<TrailEntry[]> {
    const out: TrailEntry[] = [];
    for (let i = this.trail.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.trail[i]!;
      if (matches(e, filter)) out.push({ ...e });
    }
    return out;
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
    this.tombstones.clear();
    this.conflicts = [];
    this.pending = null;
    this.meta = { ...this.meta, repairing: true };
  }
}
