/**
 * What the planner produces: operations per pair of items, each with the provider writes it needs and the status
 * it commits, plus the counts the breaker and the preview need. Plain data; the applier executes it.
 */
import type { CalendarEvent, CrmDraft, CrmItem, EventDraft, PersonMatch, SyncedFieldName, SyncedFields } from './model';
import type { CrmWrite, EventWrite } from './ports';
import type { LinkRecord, LinkedCrmInfo, Tombstone } from './status-store';

export interface SyncCalendars {
  targetCalendarId: string;
  sourceCalendarIds: string[];
}

export interface PlannedActionSummary {
  side: 'crm' | 'calendar';
  action: 'create' | 'update' | 'delete' | 'archive' | 'set-sync-flag' | 'link' | 'unlink' | 'skip' | 'conflict';
  crmId: string | null;
  eventId: string | null;
  subject: string;
  reason: string;
  sendsInvitation: boolean;
}

export interface PlannedConflict {
  crmId: string;
  eventId: string;
  field: SyncedFieldName;
  crmValue: unknown;
  calendarValue: unknown;
  winner: 'crm' | 'calendar';
  policy: string;
}

/** Link state a pair op starts from; `null` fields mean "treat that whole side as changed" (a fresh match). */
export interface PairBase {
  id: string;
  crmId: string;
  eventId: string;
  calendarId: string;
  iCalUId: string | null;
  origin: 'crm' | 'calendar';
  old: LinkRecord | null;
}

/** A linked (or just matched) pair: field merges per SPEC §5.1, or only a status refresh. */
export interface PairOp {
  kind: 'pair';
  /** The event write is a delete: once both writes succeeded the link is forgotten. */
  unlinkAfter: boolean;
  base: PairBase;
  crmWrites: CrmWrite[];
  eventWrite: EventWrite | null;
  /** Current state of both sides (canonical), used when a side is not written. */
  crmCurrent: SyncedFields;
  crmVersion: string;
  crmInfo: LinkedCrmInfo;
  eventCurrent: SyncedFields;
  eventVersion: string;
  eventIsOrganizer: boolean;
  /** Fields the event takes from the CRM / the CRM takes from the event. */
  push: SyncedFieldName[];
  pull: SyncedFieldName[];
  /** Attendee e-mails without a CRM contact (created first when the createContacts setting is on). */
  unknownEmails: string[];
  conflicts: PlannedConflict[];
  summaries: PlannedActionSummary[];
  reason: string;
  sendsInvitation: boolean;
  /** The event's writesNotifyAttendees as the plan saw it (remembered in the link). */
  eventWritesNotify?: boolean;
  /**
   * Writes to the event held back because they would e-mail its attendees while invitations are off; the link
   * remembers what is owed (LinkRecord.heldPush / heldDelete).
   */
  held?: { push: NonNullable<LinkRecord['heldPush']> | null; delete: boolean };
  /**
   * The link's "iCalUId owed to the CRM" note after this op: true when `crmWrites` ends with a `set-ical-uid`
   * (kept if that write fails) or while one-way CRM → calendar keeps a note from before.
   */
  iCalUIdOwed?: boolean;
}

/**
 * A CRM item without an event gets one: the create's idempotency key and draft (derived in planner/writes.ts).
 * Its link records the listed item's CRM side (crmSideOf: canonical values that share the item's, not copies);
 * the preview's and trail's lines are derived from it (summariesOf). The key and draft are read as properties and
 * derived when read (writes.ts, CrmItemEventCreate): an initial sync of 100,000 items holds each item's values once.
 */
export interface CreateEventOp {
  readonly kind: 'create-event';
  /** The CRM item as listed. */
  readonly item: CrmItem;
  readonly calendarId: string;
  readonly reason: string;
  readonly sendsInvitation: boolean;
  /** Once the event exists, write its iCalUId to the CRM item unless it already has it: one activity per meeting. */
  readonly iCalUIdToCrm?: boolean;
  /** The create's idempotency key (a changed item gets a new one). */
  readonly key: string;
  /** The event written (a modified occurrence of a synced series carries `occurrence`). */
  readonly draft: EventDraft;
}

export interface CreateCrmOp {
  kind: 'create-crm';
  event: CalendarEvent;
  eventCurrent: SyncedFields;
  key: string;
  draft: CrmDraft;
  unknownEmails: string[];
  summaries: PlannedActionSummary[];
  reason: string;
}

/** A pair comes apart: maybe one write (delete the event, archive or flag off the CRM item), then forget the link. */
export interface UnlinkOp {
  kind: 'unlink';
  link: LinkRecord;
  crmWrite: CrmWrite | null;
  eventWrite: EventWrite | null;
  tombstone: Tombstone | null;
  /** Counts toward the mass-deletion breaker. */
  deletes: { crm: boolean; calendar: boolean };
  summaries: PlannedActionSummary[];
  reason: string;
  sendsInvitation: boolean;
  /**
   * The event's deletion is held back (it would e-mail cancellations while invitations are off): instead of being
   * forgotten, the link is stored as this (marked heldDelete) and the deletion goes out once invitations are active.
   */
  keepLink?: LinkRecord;
}

export type PlanOp = PairOp | CreateEventOp | CreateCrmOp | UnlinkOp;

export interface Plan {
  ops: PlanOp[];
  skips: PlannedActionSummary[];
  invitations: number;
  conflicts: number;
  deletions: { crm: number; calendar: number };
  /** Links per side the breaker compares deletions with. */
  linked: number;
  /** Sides whose complete listing came back empty although links exist there. */
  emptySides: ('crm' | 'calendar')[];
  /** Items the plan could not handle yet (a series not synced yet): another pass will pick them up. */
  deferred: number;
  /** One-way "not again" notes that no longer apply (the user turned the item's flag off, so on means on). */
  forgetTombstones: { side: 'crm' | 'calendar'; sourceId: string }[];
  /** "Not again" notes re-derived while re-pairing after a reset (an event whose activity the user archived). */
  newTombstones: Tombstone[];
}

export type { PersonMatch };
