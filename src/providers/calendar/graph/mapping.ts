import type { Attendee, Event } from '@microsoft/microsoft-graph-types';
import type { CalendarEvent, EventDraft, Person, SyncedFields, Timing } from '../../../sync/model';
import { parseBody, htmlToText, renderBody } from './body';
import { isOurCategory, priorityCategories } from './categories';
import { cancelledToExdates, graphToRrule, rruleToGraph } from './recurrence';
import { graphUtcToIso, localDateTime, toIana, zonedToUtc } from './timezones';

/** The single-value extended property that carries our CRM id (SPEC §12: filterable by value). */
export const tagPropertyId = 'String {7d3a6c52-1f0e-4b8a-9c61-5e2f4a9b0c13} Name CrmCalendarConnectorItemId';

/** The event properties the provider reads. cancelledOccurrences is only returned when selected. */
export const eventSelect = [
  'id',
  'changeKey',
  'lastModifiedDateTime',
  'iCalUId',
  'subject',
  'body',
  'start',
  'end',
  'isAllDay',
  'location',
  'sensitivity',
  'showAs',
  'attendees',
  'recurrence',
  'isReminderOn',
  'reminderMinutesBeforeStart',
  'isCancelled',
  'isOrganizer',
  'categories',
  'type',
  'seriesMasterId',
  'originalStart',
  'originalStartTimeZone',
  'cancelledOccurrences',
  'isOnlineMeeting',
].join(',');

export const tagExpand = `singleValueExtendedProperties($filter=id eq '${tagPropertyId}')`;

/** $select and $expand for reading events with our tag, URL-encoded. */
export const eventQuery = `$select=${eventSelect}&$expand=${encodeURIComponent(tagExpand)}`;

function toInstant(dt: { dateTime?: string | null; timeZone?: string | null } | null | undefined): string {
  const raw = dt?.dateTime ?? '1970-01-01T00:00:00';
  const zone = dt?.timeZone ?? 'UTC';
  if (zone === 'UTC' || zone === 'Etc/UTC' || zone === 'tzone://Microsoft/Utc') return graphUtcToIso(raw);
  return zonedToUtc(raw, toIana(zone)).toISOString();
}

export function readTiming(ev: Event): Timing {
  if (ev.isAllDay) {
    return {
      kind: 'all-day',
      startDate: (ev.start?.dateTime ?? '').slice(0, 10),
      endDate: (ev.end?.dateTime ?? '').slice(0, 10),
    };
  }
  return {
    kind: 'timed',
    start: toInstant(ev.start),
    end: toInstant(ev.end),
    timeZone: toIana(ev.originalStartTimeZone),
  };
}

function readAttendees(ev: Event, selfEmail: string | null): Person[] {
  const self = selfEmail?.toLowerCase() ?? null;
  return (ev.attendees ?? [])
    .filter((a: Attendee) => a.type !== 'resource' && a.emailAddress?.address)
    .map((a) => ({
      email: a.emailAddress!.address!.toLowerCase(),
      ...(a.emailAddress?.name && a.emailAddress.name !== a.emailAddress.address ? { name: a.emailAddress.name } : {}),
    }))
    .filter((p) => p.email !== self);
}

export function readTag(ev: Event): string | null {
  const prop = (ev.singleValueExtendedProperties ?? []).find(
    (p) => (p.id ?? '').toLowerCase() === tagPropertyId.toLowerCase(),
  );
  return prop?.value ?? null;
}

/** A Graph event (read with eventSelect and the text-body preference) in the engine's vocabulary. */
export function toCalendarEvent(ev: Event, calendarId: string, selfEmail: string | null): CalendarEvent {
  const timing = readTiming(ev);
  const rawBody = ev.body?.content ?? '';
  const parsed = parseBody(ev.body?.contentType === 'html' ? htmlToText(rawBody) : rawBody, {
    onlineMeeting: ev.isOnlineMeeting ?? false,
  });
  const attendees = readAttendees(ev, selfEmail);
  const recurrence =
    ev.type === 'seriesMaster' && ev.recurrence
      ? {
          rrule: graphToRrule(ev.recurrence, timing),
          exdates: cancelledToExdates(ev.cancelledOccurrences ?? [], timing),
        }
      : null;
  const fields: SyncedFields = {
    subject: ev.subject ?? '',
    timing,
    body: parsed.text,
    location: ev.location?.displayName ?? '',
    visibility: !ev.sensitivity || ev.sensitivity === 'normal' ? 'normal' : 'private',
    showAs: ev.showAs === 'free' ? 'free' : 'busy',
    attendees: attendees.length ? attendees : parsed.invitees,
    recurrence,
    reminderMinutes: ev.isReminderOn ? (ev.reminderMinutesBeforeStart ?? 15) : null,
  };
  const out: CalendarEvent = {
    id: ev.id ?? '',
    calendarId,
    version: ev.changeKey ?? '',
    modifiedAt: ev.lastModifiedDateTime ? new Date(ev.lastModifiedDateTime).toISOString() : new Date(0).toISOString(),
    iCalUId: ev.iCalUId ?? '',
    fields,
    cancelled: ev.isCancelled ?? false,
    crmTag: readTag(ev),
    isOrganizer: ev.isOrganizer ?? true,
    category: (ev.categories ?? []).find(isOurCategory) ?? null,
  };
  // Graph mails the attendees of a meeting the user organises on any PATCH or DELETE of it, and nothing in the
  // request can stop that: the engine must know before it plans a write in a silent run (SPEC §5 "never").
  if (out.isOrganizer && attendees.length > 0) out.writesNotifyAttendees = true;
  if ((ev.type === 'exception' || ev.type === 'occurrence') && ev.seriesMasterId) {
    const originalStart = ev.originalStart ? new Date(ev.originalStart).toISOString() : toInstant(ev.start);
    out.occurrence = {
      seriesId: ev.seriesMasterId,
      originalStart: timing.kind === 'all-day' ? allDayOriginalDate(ev, originalStart) : originalStart,
    };
  }
  return out;
}

/**
 * The date of an all-day occurrence. originalStart is an instant "always in UTC" (event resource, originalStart):
 * an all-day occurrence in a zone east of UTC starts the evening before in UTC, so its date is taken in the
 * event's own zone (originalStartTimeZone), not from the UTC string.
 */
export function allDayOriginalDate(ev: Pick<Event, 'originalStartTimeZone'>, originalStartIso: string): string {
  const zone = toIana(ev.originalStartTimeZone);
  return localDateTime(originalStartIso, zone).slice(0, 10);
}

function writeTiming(t: Timing): Pick<Event, 'start' | 'end' | 'isAllDay'> {
  if (t.kind === 'all-day') {
    return {
      isAllDay: true,
      start: { dateTime: `${t.startDate}T00:00:00`, timeZone: 'UTC' },
      end: { dateTime: `${t.endDate}T00:00:00`, timeZone: 'UTC' },
    };
  }
  const zone = t.timeZone || 'UTC';
  return {
    isAllDay: false,
    start: { dateTime: localDateTime(t.start, zone), timeZone: zone },
    end: { dateTime: localDateTime(t.end, zone), timeZone: zone },
  };
}

/** The people listed in our body block: the invitees, when the engine does not allow invitations. */
export function blockInvitees(draft: EventDraft): Person[] {
  return draft.sendInvitations ? [] : draft.fields.attendees;
}

export interface RenderOptions {
  /** Occurrence writes must not carry a recurrence (Graph rejects it on instances). */
  isOccurrence: boolean;
  /** Whether this is a create (attendees and categories are written in full) or an update. */
  create: boolean;
}

/**
 * The Graph event body for a draft. Attendees are written only when the engine allows invitations; otherwise
 * the invitees go into the marked body block and the attendee list is left untouched (SPEC §5 *never* mode).
 */
export function renderDraft(draft: EventDraft, o: RenderOptions): Event {
  const f = draft.fields;
  const invitations = draft.sendInvitations;
  const ev: Event = {
    subject: f.subject,
    // An update's body is worked out from the body Graph has now (planBody), never rebuilt from scratch.
    ...(o.create
      ? {
          body: {
            contentType: 'html',
            content: renderBody({ text: f.body, crmUrl: draft.crmUrl, invitees: blockInvitees(draft) }),
          },
        }
      : {}),
    ...writeTiming(f.timing),
    location: { displayName: f.location },
    sensitivity: f.visibility === 'private' ? 'private' : 'normal',
    showAs: f.showAs,
    isReminderOn: f.reminderMinutes !== null,
    ...(f.reminderMinutes !== null ? { reminderMinutesBeforeStart: f.reminderMinutes } : {}),
  };
  // The tag is written at creation, and on every occurrence write: an occurrence "create" is a PATCH of an
  // existing instance, and an extended property is created in an existing event by a PATCH carrying it
  // (singlevaluelegacyextendedproperty-post-singlevalueextendedproperties.md), so the exception is found by tag
  // after a lost answer. A single event or series keeps the tag it was created with (its CRM id never changes).
  if (o.create || o.isOccurrence) ev.singleValueExtendedProperties = [{ id: tagPropertyId, value: draft.crmTag }];
  if (!o.isOccurrence) {
    ev.recurrence = f.recurrence ? rruleToGraph(f.recurrence.rrule, f.timing) : null;
    if (o.create && !f.recurrence) delete ev.recurrence;
  }
  if (draft.priority) ev.categories = [priorityCategories[draft.priority].name];
  else if (o.create) ev.categories = [];
  if (invitations) {
    ev.attendees = f.attendees.map((p) => ({
      emailAddress: { address: p.email, ...(p.name ? { name: p.name } : {}) },
      type: 'required',
    }));
  }
  return ev;
}
