/**
 * The interfaces the engine needs from the outside world. Providers (src/providers/*) implement the two
 * provider ports; the server implements StatusStore over its database; tests use the in-memory fakes.
 * Designed for the real APIs: opaque incremental cursors with a full-listing fallback, batched writes,
 * idempotent creates found again by tag, optimistic concurrency.
 */
import type { CalendarEvent, CrmDraft, CrmItem, EventDraft, PersonMatch, SyncedFieldName, SyncedFields } from './model';
import type { ProviderError } from './errors';
import type { ActivityType } from '../shared/settings';

/** The listing window (SPEC §5): from `past window` days ago; `to` is the provider's rolling horizon or null. */
export interface ListWindow {
  from: string;
  to: string | null;
}

/** One incremental listing. */
export interface ChangeSet<T> {
  /** Items created or changed since the cursor (all items in the window when `full`). */
  upserts: T[];
  /** Ids explicitly deleted since the cursor. Never includes items that merely left the window. */
  removedIds: string[];
  /**
   * True when this is a complete listing of the window (first run, expired cursor, re-baseline):
   * an id known to the engine but absent here is gone only if it is inside the window.
   */
  full: boolean;
  /** Opaque; handed back next time. */
  nextCursor: string;
  /**
   * Items the provider listed but cannot read or map (unparseable, values no CRM accepts): present, never taken for
   * deleted, and each an item-level skip with its reason in the run report and the trail (SPEC §7).
   */
  skipped?: ListingSkip[];
  /** Items listed with a value repaired on the way in (an end before the start…): a warning each, in the trail. */
  warnings?: ListingSkip[];
}

/** One item a listing could not take as it was. */
export interface ListingSkip {
  id: string;
  /** A sentence naming what is wrong (and, for a warning, what was done about it). */
  reason: string;
}

/**
 * Decides, item by item as a listing arrives, whether the engine needs it: `false` for an item it already has
 * exactly as listed (the version it last synced). At 100,000 items a complete listing would otherwise be held
 * whole only to be found unchanged. A provider that pages calls it on each finished item as every page comes in and
 * leaves out what it rejects; ignoring it is still correct (the engine filters what comes back), only larger.
 * The engine remembers what it rejected as listed and unchanged, so a rejected item is simply not returned. In a
 * steady run (every listing from a cursor) the engine lists before its links are read: until they are, the filter
 * keeps everything, and the engine filters what came back.
 */
export type ListingFilter<T> = (item: T) => boolean;

/**
 * One write's outcome. `notes` are sentences for the item's trail about what the provider deliberately left alone
 * (e.g. an online meeting's description it could not rewrite without losing the join information).
 */
export type WriteResult<T> = { ok: true; value: T; notes?: string[] } | { ok: false; error: ProviderError };

export interface CalendarInfo {
  id: string;
  name: string;
  isDefault: boolean;
  canWrite: boolean;
  color?: string | null;
}

export interface CalendarCapabilities {
  recurrence: boolean;
  /** Can tag events with our CRM id and find them by it. */
  tags: boolean;
  /** Can write attendees without e-mailing them (CalDAV SCHEDULE-AGENT=CLIENT, Google sendUpdates=none). */
  silentAttendees: boolean;
  /** Largest number of writes sent in one request. */
  maxBatch: number;
  /** Honours an idempotency key on create (Graph transactionId, Google client-chosen id, CalDAV If-None-Match on a chosen href). */
  idempotentCreate: boolean;
}

export type EventWrite =
  | { op: 'create'; idempotencyKey: string; draft: EventDraft }
  | { op: 'update'; id: string; ifMatch: string | null; draft: EventDraft }
  | { op: 'delete'; id: string; ifMatch: string | null; sendCancellations: boolean };

export interface CalendarProvider {
  readonly kind: string;
  readonly capabilities: CalendarCapabilities;
  /** A cheap real call that proves the credentials work (SPEC §3). */
  testConnection(): Promise<{ account: string }>;
  listCalendars(): Promise<CalendarInfo[]>;
  /** Incremental listing of one calendar; cursor null → full listing. An expired cursor yields a full listing, not an error. */
  listChanges(
    calendarId: string,
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CalendarEvent>,
  ): Promise<ChangeSet<CalendarEvent>>;
  /** Events carrying our tag for any of these CRM ids (finds a create whose answer was lost). */
  findByTag(calendarId: string, crmIds: string[]): Promise<CalendarEvent[]>;
  /** Applies writes in order; results line up with `writes`. Created/updated events are returned as the provider now has them. */
  writeEvents(calendarId: string, writes: EventWrite[]): Promise<WriteResult<CalendarEvent | null>[]>;
  /**
   * The cursor to store after this run's writes, from the one its last listing returned (optional; default: that
   * one). For providers whose cursor cannot see every change made after it on its own: CalDAV servers whose sync token
   * is a hash of the collection report nothing for an event created after the token and deleted before the next run,
   * so the cursor remembers what the run created, to be confirmed next time.
   */
  cursorAfterWrites?(calendarId: string, cursor: string): string;
}

export interface CrmCapabilities {
  types: readonly ActivityType[];
  recurrence: boolean;
  invitees: boolean;
  /** The CRM has a field for the Sync-to-calendar flag. */
  syncFlagField: boolean;
  archive: boolean;
  webhooks: boolean;
  maxBatch: number;
  createContacts: boolean;
  /**
   * The CRM stores a reminder per activity (default true). When false, events get the default-reminder setting
   * and the reminder is not synced back.
   */
  reminders?: boolean;
  /**
   * Synced fields the CRM has no column for, per activity type (a Dynamics phone call has no location, a task no
   * invitees). Such a field is neither written to the CRM nor taken from it for that type: the calendar keeps its
   * own value, and a CRM that cannot hold it never makes the pair disagree forever.
   */
  missingFields?: Partial<Record<ActivityType, readonly SyncedFieldName[]>>;
  /**
   * Activity types whose iCalUId the CRM can store after creation (the `set-ical-uid` write; default: every type
   * in `types`). A CRM-born item of another type is mirrored without writing its event's iCalUId back.
   */
  iCalUIdTypes?: readonly ActivityType[];
}

export type CrmWrite =
  | { op: 'create'; idempotencyKey: string; draft: CrmDraft }
  /** `links` are contacts/companies to add to the item (matched from new attendees); existing links are kept. */
  | { op: 'update'; id: string; ifMatch: string | null; fields: Partial<SyncedFields>; links?: CrmDraft['links'] }
  | { op: 'archive'; id: string }
  /** Undo of an archive (duplicate-cleanup undo, SPEC §6). */
  | { op: 'unarchive'; id: string }
  | { op: 'set-sync-flag'; id: string; value: boolean }
  /** Several CRM users attend one meeting: link this connector user to the existing activity. */
  | { op: 'add-owner'; id: string; email: string }
  /**
   * A CRM-born item was mirrored into the calendar: store the event's iCalUId on it (the CRM-side tag), so that a
   * colleague's connector receiving the invitation finds this activity instead of importing a second one. Only
   * the tag field changes: never a synced field, never anything that e-mails anyone.
   */
  | { op: 'set-ical-uid'; id: string; iCalUId: string };

export interface CrmProvider {
  readonly kind: string;
  readonly capabilities: CrmCapabilities;
  testConnection(): Promise<{ account: string }>;
  /** Incremental listing of the user's activities; cursor null → full listing of the window. */
  listChanges(cursor: string | null, window: ListWindow, keep?: ListingFilter<CrmItem>): Promise<ChangeSet<CrmItem>>;
  /** Activities carrying any of these iCalUIds, whoever owns them (one activity per meeting; lost-create lookup). */
  findByICalUId(iCalUIds: string[]): Promise<CrmItem[]>;
  /** Contacts and leads for a batch of e-mails (case-insensitive). */
  lookupPeople(emails: string[]): Promise<PersonMatch[]>;
  /** Creates a contact for an unknown attendee (only when the createContacts setting is on and the CRM can). */
  createContact?(person: { email: string; name?: string }): Promise<PersonMatch>;
  writeItems(writes: CrmWrite[]): Promise<WriteResult<CrmItem | null>[]>;
}
