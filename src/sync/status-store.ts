/**
 * The status store (vdirsyncer's "status"): what the engine remembers between runs for one user.
 * One instance is scoped to one (tenant, user); the server's database implementation and the in-memory one
 * must pass the same contract tests. Every write is durable when its promise resolves (inside `transaction`: when
 * the transaction's promise resolves), so the applier can commit after each provider batch, and a crash at any
 * instant loses at most the answers of one batch, whose creates its write intents find again.
 */
import type { RunReport } from '../shared/run-report';
import type { ActivityType, OccurrenceRef, Priority, SyncedFields } from './model';

/** What the engine needs to know about a linked CRM item besides its synced fields (to rebuild its event view). */
export interface LinkedCrmInfo {
  type: ActivityType;
  completed: boolean;
  priority: Priority | null;
  url: string | null;
  /** How many contacts / leads the item was linked to (the "related" scope rule). */
  contacts?: number;
}

/** A pair of one CRM item and one calendar event, with what both looked like when last synced (SPEC §5.1). */
export interface LinkRecord {
  id: string;
  crmId: string;
  eventId: string;
  calendarId: string;
  iCalUId: string | null;
  /** Which side the pair was born on. */
  origin: 'crm' | 'calendar';
  crmVersion: string;
  eventVersion: string;
  /** Last-synced canonical values of every synced field, per side. */
  crmFields: SyncedFields;
  eventFields: SyncedFields;
  crmHash: string;
  eventHash: string;
  occurrence?: OccurrenceRef;
  syncedAt: string;
  /**
   * Added by the engine (optional for stores written before it): the CRM item's type, completion, priority and
   * deep link when last synced. crmFields are stored in the CRM's own shape; with this the engine can derive the
   * event it implies (task length, struck-through title) without re-reading the CRM item.
   */
  crmInfo?: LinkedCrmInfo;
  /** Added by the engine: whether the user organises the linked event (only then are attendees written to it). */
  eventIsOrganizer?: boolean;
  /** Added by the engine: the event's writesNotifyAttendees when last seen (any write to it e-mails its attendees). */
  eventWritesNotify?: boolean;
  /**
   * Added by the engine: CRM changes owed to the event but held back because writing them would e-mail the
   * attendees while invitations are off. `shown` holds, per owed field, the value the event still shows (event
   * space): the planner compares the CRM item's event view with these instead of the last-synced CRM values, so the
   * change is still seen when the pair is next evaluated; it goes out once invitations are active.
   */
  heldPush?: { shown: Partial<SyncedFields> };
  /** Added by the engine: the event is owed a deletion held back for the same reason (the link is kept until then). */
  heldDelete?: boolean;
  /**
   * Added for "one activity per meeting": the event's iCalUId (`iCalUId` above) still has to be written to the
   * CRM-born item. Set when the event is created, cleared once the CRM write succeeded; a run that finds it set
   * (a failed write, a crash in between) sends the write.
   */
  iCalUIdOwed?: boolean;
}

/** A create whose answer we may not have seen. Written before the request, removed once the link is stored. */
export interface WriteIntent {
  key: string;
  side: 'crm' | 'calendar';
  /** Id on the other side that the created item mirrors (CRM id for an event create, event id for a CRM create). */
  sourceId: string;
  calendarId: string;
  createdAt: string;
}

/**
 * A "not again" note: an item deleted on the target side is not re-created (SPEC §5.1; one-way mode, or a CRM that
 * cannot hold the user's decision as a flag or an archive).
 */
export interface Tombstone {
  side: 'crm' | 'calendar';
  /** The source item that must not be mirrored again until it changes. */
  sourceId: string;
  sourceHash: string;
  createdAt: string;
}

/**
 * A tombstone hash that matches every version of the source item: the user's own deletion, kept where the CRM could
 * not record it. Reset keeps these (they are the user's decisions, not sync state), so the item does not come back.
 */
export const PERMANENT_TOMBSTONE = '*';

export interface SyncMeta {
  /** The first full sync finished (invitations: after-first-sync). */
  firstSyncDone: boolean;
  /** Set by reset until the next run has re-paired (silent, fingerprint matching allowed). */
  repairing: boolean;
}

export interface TrailEntry {
  runId: string;
  at: string;
  crmId: string | null;
  eventId: string | null;
  action: string;
  /** Human sentence: why it synced, was skipped or deleted. */
  reason: string;
  /** The item's subject when the entry was written, so History names it (absent on entries from before it was kept). */
  subject?: string | null;
}

export interface ConflictRecord {
  id: string;
  runId: string;
  at: string;
  crmId: string;
  eventId: string;
  field: string;
  crmValue: unknown;
  calendarValue: unknown;
  winner: 'crm' | 'calendar';
  policy: string;
}

export interface CleanupRemoval {
  side: 'crm' | 'calendar';
  id: string;
  /** Full snapshot of what was removed, enough to restore it. */
  snapshot: unknown;
}

export interface CleanupRecord {
  id: string;
  createdAt: string;
  appliedAt: string | null;
  undoneAt: string | null;
  /** Undo allowed until (SPEC §6: 7 days). */
  undoUntil: string;
  removals: CleanupRemoval[];
  /** Merges done before removal (CRM data moved onto the kept copy). */
  merges: unknown[];
}

export interface PendingConfirmation {
  runId: string;
  createdAt: string;
  crm: number;
  calendar: number;
  reason: string;
}

export interface StatusStore {
  loadLinks(): Promise<LinkRecord[]>;
  /**
   * How many links the user has when every one of them is settled (planner `settled`: both sides synced, nothing
   * held back or owed), else null. A quiet run (run.ts: nothing listed on either side) then plans nothing for any
   * link and reads none. Optional: a store that cannot tell more cheaply than by loading the links leaves it out.
   */
  settledLinkCount?(): Promise<number | null>;
  upsertLink(link: LinkRecord): Promise<void>;
  deleteLink(id: string): Promise<void>;

  getCursor(key: string): Promise<string | null>;
  setCursor(key: string, value: string | null): Promise<void>;

  listIntents(): Promise<WriteIntent[]>;
  putIntent(intent: WriteIntent): Promise<void>;
  deleteIntent(key: string): Promise<void>;

  listTombstones(): Promise<Tombstone[]>;
  putTombstone(t: Tombstone): Promise<void>;
  deleteTombstone(side: Tombstone['side'], sourceId: string): Promise<void>;

  getMeta(): Promise<SyncMeta>;
  setMeta(meta: Partial<SyncMeta>): Promise<void>;

  saveRun(report: RunReport): Promise<void>;
  getRun(runId: string): Promise<RunReport | null>;
  listRuns(limit: number): Promise<RunReport[]>;

  addTrail(entries: TrailEntry[]): Promise<void>;
  listTrail(filter: { crmId?: string; eventId?: string; runId?: string }, limit: number): Promise<TrailEntry[]>;

  addConflicts(records: ConflictRecord[]): Promise<void>;
  listConflicts(filter: { crmId?: string; eventId?: string; runId?: string }, limit: number): Promise<ConflictRecord[]>;

  saveCleanup(record: CleanupRecord): Promise<void>;
  getCleanup(id: string): Promise<CleanupRecord | null>;

  getPendingConfirmation(): Promise<PendingConfirmation | null>;
  setPendingConfirmation(p: PendingConfirmation | null): Promise<void>;

  /**
   * Reset (SPEC §6): forget links, cursors, conflicts, intents and tombstones except permanent ones (the user's
   * deletions); keep runs, trail and cleanups; set repairing.
   */
  reset(): Promise<void>;

  /**
   * Optional: `fn`'s writes through this store made durable together, all or none (one commit for a batch of
   * writes). The applier commits each provider batch's status with it; a store without it commits each write alone.
   */
  transaction?<T>(fn: () => Promise<T>): Promise<T>;
}
