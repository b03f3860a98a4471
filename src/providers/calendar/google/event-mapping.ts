/** Google Calendar event resources ↔ the engine's events and drafts. */
import { createHash } from 'node:crypto';
import { describeWithLink, userTextOf } from '../../../shared/body-block';
import { instantOf, isIanaZone } from '../../../shared/wall-clock';
import type { CalendarEvent, EventDraft, Person, Priority, SyncedFields, Timing } from '../../../sync/model';

export const tagKey = 'crmConnectorId';
/** The deep link line of descriptions written before the marked block (read only, for old events). */
const deepLinkPrefix = '— CRM record: ';

export interface GoogleDateTime {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

export interface GoogleEvent {
  id: string;
  etag?: string;
  status?: string;
  updated?: string;
  iCalUID?: string;
  summary?: string;
  description?: string;
  location?: string;
  start?: GoogleDateTime;
  end?: GoogleDateTime;
  recurrence?: string[];
  recurringEventId?: string;
  originalStartTime?: GoogleDateTime;
  visibility?: string;
  transparency?: string;
  attendees?: { email?: string; displayName?: string; self?: boolean; resource?: boolean; organizer?: boolean }[];
  organizer?: { email?: string; self?: boolean };
  reminders?: { useDefault?: boolean; overrides?: { method?: string; minutes?: number }[] };
  extendedProperties?: { private?: Record<string, string>; shared?: Record<string, string> };
  colorId?: string | null;
}

/** Google event ids: base32hex characters (a–v, 0–9), 5–1024 long. Derived from the idempotency key. */
export function eventIdFor(idempotencyKey: string): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  const bytes = createHash('sha256').update(idempotencyKey).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return `crm${out}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Engine form of a Google start/originalStartTime: YYYY-MM-DD or a UTC instant. */
export function pointOf(t: GoogleDateTime | undefined): string | null {
  if (!t) return null;
  if (t.date) return t.date;
  if (t.dateTime) return iso(Date.parse(t.dateTime));
  return null;
}

function timingOf(e: GoogleEvent, calendarZone: string): Timing | null {
  if (e.start?.date) return { kind: 'all-day', startDate: e.start.date, endDate: e.end?.date ?? e.start.date };
  if (!e.start?.dateTime) return null;
  const start = iso(Date.parse(e.start.dateTime));
  const end = e.end?.dateTime ? iso(Date.parse(e.end.dateTime)) : start;
  return { kind: 'timed', start, end, timeZone: e.start.timeZone ?? calendarZone };
}

/** The user's description without the connector's block (src/shared/body-block.ts); old link lines too. */
export function stripDeepLink(description: string): string {
  return userTextOf(description, deepLinkPrefix);
}

/** The description written to Google: the user's text byte for byte, then the connector's block (deep link). */
export const descriptionFor = describeWithLink;

/** EXDATE lines of a recurrence array, in engine form (UTC instants or dates). */
function exdatesOf(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const m = /^EXDATE([^:]*):(.*)$/i.exec(line.trim());
    if (!m) continue;
    const tzid = /TZID=([^;:]+)/i.exec(m[1] ?? '')?.[1] ?? null;
    for (const v of (m[2] ?? '').split(',')) {
      const d = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/.exec(v.trim());
      if (!d) continue;
      if (!d[4]) {
        out.push(`${d[1]}-${d[2]}-${d[3]}`);
        continue;
      }
      const local = `${d[1]}-${d[2]}-${d[3]}T${d[4]}:${d[5]}:${d[6]}`;
      out.push(d[7] || !tzid ? iso(Date.parse(`${local}Z`)) : iso(zonedToUtc(local, tzid)));
    }
  }
  return out;
}

function zonedToUtc(local: string, zone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(local);
  if (!m || !isIanaZone(zone)) return Date.parse(`${local}Z`);
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return instantOf({ year, month, day, hour, minute, second }, zone);
}

export interface MappingContext {
  calendarId: string;
  calendarZone: string;
  defaultReminderMinutes: number | null;
  selfEmail: string | null;
}

export function fieldsOf(e: GoogleEvent, ctx: MappingContext, extraExdates: string[]): SyncedFields | null {
  const timing = timingOf(e, ctx.calendarZone);
  if (!timing) return null;
  const attendees: Person[] = [];
  for (const a of e.attendees ?? []) {
    const email = a.email?.trim().toLowerCase();
    if (!email || a.self || a.resource || email === ctx.selfEmail || attendees.some((p) => p.email === email)) continue;
    attendees.push(a.displayName ? { email, name: a.displayName } : { email });
  }
  const rrule = (e.recurrence ?? []).find((l) => /^RRULE:/i.test(l));
  const reminders = e.reminders;
  const reminderMinutes =
    !reminders || reminders.useDefault ? ctx.defaultReminderMinutes : (reminders.overrides?.[0]?.minutes ?? null);
  return {
    subject: e.summary ?? '',
    timing,
    body: stripDeepLink(e.description ?? ''),
    location: e.location ?? '',
    visibility: e.visibility === 'private' || e.visibility === 'confidential' ? 'private' : 'normal',
    showAs: e.transparency === 'transparent' ? 'free' : 'busy',
    attendees,
    recurrence: rrule
      ? {
          rrule: rrule.replace(/^RRULE:/i, ''),
          exdates: [...new Set([...exdatesOf(e.recurrence ?? []), ...extraExdates])].sort(),
        }
      : null,
    reminderMinutes,
  };
}

export function toCalendarEvent(
  e: GoogleEvent,
  ctx: MappingContext,
  extraExdates: string[] = [],
): CalendarEvent | null {
  const fields = fieldsOf(e, ctx, extraExdates);
  if (!fields) return null;
  const event: CalendarEvent = {
    id: e.id,
    calendarId: ctx.calendarId,
    version: e.etag ?? '',
    modifiedAt: e.updated ? iso(Date.parse(e.updated)) : new Date(0).toISOString(),
    iCalUId: e.iCalUID ?? e.id,
    fields,
    cancelled: e.status === 'cancelled',
    crmTag: e.extendedProperties?.private?.[tagKey] || null,
    // Google marks the organizer with self: true only when it is the user; no organizer = the user's own event.
    isOrganizer:
      !e.organizer ||
      e.organizer.self === true ||
      (!!ctx.selfEmail && e.organizer.email?.toLowerCase() === ctx.selfEmail),
    category: e.colorId ?? null,
  };
  const originalStart = pointOf(e.originalStartTime);
  if (e.recurringEventId && originalStart) {
    event.occurrence = { seriesId: e.recurringEventId, originalStart };
    event.fields.recurrence = null;
    // Instances share the series' iCalUID; the engine keys "one activity per meeting" on it (see CalDAV).
    event.iCalUId = `${event.iCalUId}#${originalStart}`;
  }
  return event;
}

/** Google's event colours (colors.get): 11 Tomato for high priority, 8 Graphite for low. */
const priorityColor: Record<Priority, string | null> = { high: '11', normal: null, low: '8' };

function dateTimeOf(value: string, zone: string | null, allDay: boolean): GoogleDateTime {
  if (allDay) return { date: value };
  return zone ? { dateTime: value, timeZone: zone } : { dateTime: value };
}

function exdateLine(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `EXDATE;VALUE=DATE:${value.replace(/-/g, '')}`;
  return `EXDATE:${value.replace(/[-:]/g, '').replace(/\.\d{3}/, '')}`;
}

/** The request body for insert / patch. Fields are always all written so a patch converges the event. */
export function eventBody(draft: EventDraft, id: string | null): Record<string, unknown> {
  const f = draft.fields;
  const allDay = f.timing.kind === 'all-day';
  const zone = f.timing.kind === 'timed' ? f.timing.timeZone : null;
  const description = descriptionFor(f.body, draft.crmUrl);
  const body: Record<string, unknown> = {
    summary: f.subject,
    description,
    location: f.location,
    start: dateTimeOf(f.timing.kind === 'all-day' ? f.timing.startDate : f.timing.start, zone, allDay),
    end: dateTimeOf(f.timing.kind === 'all-day' ? f.timing.endDate : f.timing.end, zone, allDay),
    visibility: f.visibility === 'private' ? 'private' : 'default',
    transparency: f.showAs === 'free' ? 'transparent' : 'opaque',
    attendees: f.attendees.map((p) => (p.name ? { email: p.email, displayName: p.name } : { email: p.email })),
    reminders: {
      useDefault: false,
      overrides: f.reminderMinutes === null ? [] : [{ method: 'popup', minutes: f.reminderMinutes }],
    },
    extendedProperties: { private: { [tagKey]: draft.crmTag } },
  };
  if (id) body.id = id;
  if (!draft.occurrence)
    body.recurrence = f.recurrence
      ? [`RRULE:${f.recurrence.rrule.replace(/^RRULE:/i, '')}`, ...f.recurrence.exdates.map(exdateLine)]
      : [];
  if (draft.priority) body.colorId = priorityColor[draft.priority];
  return body;
}

/** Id of one instance of a recurring event, as Google forms it (seriesId_20270405T070000Z / _20270405). */
export function instanceId(seriesId: string, originalStart: string): string {
  const stamp = /^\d{4}-\d{2}-\d{2}$/.test(originalStart)
    ? originalStart.replace(/-/g, '')
    : originalStart.replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return `${seriesId}_${stamp}`;
}
