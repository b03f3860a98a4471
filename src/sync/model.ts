/**
 * The engine's domain model (SPEC §5). Providers translate their vendor shapes into these types and back;
 * the engine never sees a vendor shape. Times are ISO-8601 strings so the model is plain data: it can be
 * hashed, stored as JSON and compared without a date library.
 */
import type { ActivityType } from '../shared/settings';

export type { ActivityType };

/** When an item happens. Timed items are instants plus the IANA zone they were written in; all-day items are dates. */
export type Timing =
  | {
      kind: 'timed';
      /** UTC instant, e.g. 2026-11-21T09:00:00.000Z */
      start: string;
      /** UTC instant, >= start */
      end: string;
      /** IANA zone the organiser used, e.g. Europe/Berlin; 'UTC' when unknown */
      timeZone: string;
    }
  | {
      kind: 'all-day';
      /** YYYY-MM-DD, first day */
      startDate: string;
      /** YYYY-MM-DD, exclusive (midnight-to-midnight, as Graph and iCalendar write it) */
      endDate: string;
    };

export interface Person {
  /** Compared case-insensitively; canonical form is lower case. */
  email: string;
  name?: string;
}

/**
 * Recurrence in iCalendar terms, the lingua franca every provider can map to.
 * Modified occurrences are separate items/events carrying `series` (see below); cancelled ones are `exdates`.
 */
export interface Recurrence {
  /** RFC 5545 RRULE value without the "RRULE:" prefix, e.g. FREQ=WEEKLY;BYDAY=MO;COUNT=10 */
  rrule: string;
  /** Original starts of cancelled occurrences: UTC instants for timed series, YYYY-MM-DD for all-day series. */
  exdates: string[];
}

/** Identifies one occurrence of a series: the series' id on that side and the occurrence's original start. */
export interface OccurrenceRef {
  seriesId: string;
  /** Same form as Recurrence.exdates entries. */
  originalStart: string;
}

export type Visibility = 'normal' | 'private';
export type ShowAs = 'busy' | 'free';
export type Priority = 'low' | 'normal' | 'high';

/**
 * The synced fields in the one shape both sides are compared in (SPEC §5 field mapping).
 * A provider fills these from its own data; the engine's canonicalisation (trim, lower-case e-mails, sort
 * attendees, strip the connector's own deep-link and invitee blocks from bodies) runs before hashing.
 */
export interface SyncedFields {
  subject: string;
  timing: Timing;
  /** Plain text. Providers remove the connector's deep link and invitee block before handing it over. */
  body: string;
  location: string;
  visibility: Visibility;
  showAs: ShowAs;
  /** Invitees / attendees, not including the connector's user. */
  attendees: Person[];
  recurrence: Recurrence | null;
  /** null = no reminder */
  reminderMinutes: number | null;
}

export type SyncedFieldName = keyof SyncedFields;

export const syncedFieldNames: readonly SyncedFieldName[] = [
  'subject',
  'timing',
  'body',
  'location',
  'visibility',
  'showAs',
  'attendees',
  'recurrence',
  'reminderMinutes',
];

/** A CRM activity or task as a CRM provider reports it. */
export interface CrmItem {
  /** The CRM's own id, stable for the item's life. */
  id: string;
  type: ActivityType;
  /** Opaque version (etag, SystemModstamp, modifiedon…), used for optimistic concurrency only, never for change detection. */
  version: string;
  /** When the CRM last changed it (ISO instant); used by the most-recent-wins policy. */
  modifiedAt: string;
  /**
   * Synced fields. For a task, timing is the due instant as a zero-length timed range (start = end = due);
   * the engine applies the task event length. A task without a due date has timing null and never syncs.
   */
  fields: Omit<SyncedFields, 'timing'> & { timing: Timing | null };
  /** Tasks only. */
  completed?: boolean;
  priority?: Priority;
  /** The per-record Sync-to-calendar flag (SPEC §4); null when never set, so the default rule applies. */
  syncToCalendar: boolean | null;
  /** Deleted items are reported as removals; archived ones stay visible with this flag. */
  archived: boolean;
  /** iCalUId of the calendar event an imported activity came from (the CRM-side tag; one activity per meeting). */
  iCalUId: string | null;
  /** Where the item was born. Imported items were created by the connector from a calendar event. */
  origin: 'crm' | 'calendar';
  /** Occurrence of a CRM-side series, when the CRM models recurrence with exceptions. */
  occurrence?: OccurrenceRef;
  /** Deep link to the record in the CRM UI (added to the event body). */
  url: string | null;
  /** People and company the activity is linked to. */
  links: { contactIds: string[]; companyIds: string[] };
  /** CRM users (e-mails) the activity is assigned to or shared with. */
  ownerEmails: string[];
}

/** A calendar event as a calendar provider reports it. */
export interface CalendarEvent {
  /** The provider's id (Graph immutable id, CalDAV href, Google id). */
  id: string;
  calendarId: string;
  /** etag / changeKey, for If-Match. */
  version: string;
  /** ISO instant of the last change (lastModifiedDateTime / LAST-MODIFIED / updated). */
  modifiedAt: string;
  /** Shared across copies of one meeting in different mailboxes. */
  iCalUId: string;
  fields: SyncedFields;
  cancelled: boolean;
  /** The CRM id the connector tagged this event with (extended property / X- property / extendedProperties.private). */
  crmTag: string | null;
  /** The user is the organiser (only then may the connector write attendees). */
  isOrganizer: boolean;
  occurrence?: OccurrenceRef;
  /** Colour category the provider shows (task priority). */
  category?: string | null;
  /**
   * Any write to this event (update or delete) makes the calendar e-mail its attendees, whatever the draft's
   * sendInvitations says (Graph: a meeting the user organises with real attendees). Providers that can write
   * silently (CalDAV SCHEDULE-AGENT=CLIENT, Google sendUpdates=none) leave it unset. While invitations are off the
   * engine then holds the write back instead of asking for it (SPEC §5 "never": no request may cause mail).
   */
  writesNotifyAttendees?: boolean;
}

/** What the engine wants an event to look like; the provider renders body decorations and tags. */
export interface EventDraft {
  fields: SyncedFields;
  /** Our tag: the CRM id this event mirrors; '' = no tag (restoring an untagged event after a cleanup undo). */
  crmTag: string;
  /** Deep link back to the CRM record, rendered into the body. */
  crmUrl: string | null;
  /**
   * Invitees written as real attendees (may e-mail them) only when true; otherwise the provider keeps them out
   * of the attendee list (Graph: a marked block in the body; CalDAV: SCHEDULE-AGENT=CLIENT; Google: sendUpdates=none).
   */
  sendInvitations: boolean;
  /** Task priority, shown as a colour category. */
  priority: Priority | null;
  occurrence?: OccurrenceRef;
}

/** What the engine wants a CRM activity to look like. */
export interface CrmDraft {
  type: ActivityType;
  fields: SyncedFields;
  /** The event's iCalUId: the CRM-side tag used to find a lost create and to share one activity across users. */
  iCalUId: string;
  syncToCalendar: boolean;
  /** Contact / lead ids matched from attendee e-mails, and their companies. */
  links: { contactIds: string[]; companyIds: string[] };
  occurrence?: OccurrenceRef;
}

/** A contact or lead found for an attendee e-mail. */
export interface PersonMatch {
  email: string;
  contactId: string;
  kind: 'contact' | 'lead';
  name: string | null;
  companyId: string | null;
  /** The company's display name when the CRM gives it with the person (for the pane; the engine links by id). */
  companyName?: string | null;
}
