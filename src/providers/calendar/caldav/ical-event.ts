/**
 * One CalDAV resource (a VCALENDAR with a master VEVENT and its RECURRENCE-ID overrides) ↔ the engine's events.
 * Writing edits the stored component in place, so properties the connector does not own (PARTSTAT, other
 * clients' X- properties, alarms' extra fields) survive a round trip.
 */
import ICAL from 'ical.js';
import { describeWithLink, userTextOf } from '../../../shared/body-block';
import type { CalendarEvent, EventDraft, Person, Priority, SyncedFields, Timing } from '../../../sync/model';
import { readTime, readTimes, timeProperty, type IcalValue } from './ical-time';
import { vtimezoneLines } from './time-zones';

/** Our tag: the CRM id an event mirrors. */
export const crmTagProperty = 'X-CRM-CONNECTOR-ID';
const prodId = '-//CRM Calendar Connector//CalDAV//EN';
const deepLinkPrefix = '— CRM record: ';

/** Who "we" are on this server: the addresses ORGANIZER / ATTENDEE use for the connected user. */
export interface SelfIdentity {
  addresses: string[];
}

export interface ResourceRef {
  href: string;
  etag: string;
  calendarId: string;
}

/** Event id of an override: the resource href plus the occurrence's original start. */
export function occurrenceEventId(href: string, originalStart: string): string {
  return `${href}#${originalStart}`;
}

export function occurrenceICalUId(uid: string, originalStart: string): string {
  return `${uid}#${originalStart}`;
}

export function splitEventId(id: string): { href: string; originalStart: string | null } {
  const i = id.indexOf('#');
  return i < 0 ? { href: id, originalStart: null } : { href: id.slice(0, i), originalStart: id.slice(i + 1) };
}

function text(comp: ICAL.Component, name: string): string {
  const v = comp.getFirstPropertyValue(name);
  return typeof v === 'string' ? v : '';
}

function mailAddress(value: unknown): string {
  return String(value ?? '')
    .replace(/^mailto:/i, '')
    .trim()
    .toLowerCase();
}

function valueKey(v: IcalValue): string {
  return v.kind === 'date' ? v.date : v.iso;
}

/** The user's DESCRIPTION without the connector's block (src/shared/body-block.ts); old link lines too. */
export function stripDeepLink(description: string): string {
  return userTextOf(description, deepLinkPrefix);
}

function readTiming(comp: ICAL.Component): Timing | null {
  const start = readTime(comp, 'dtstart');
  if (!start) return null;
  let end = readTime(comp, 'dtend');
  if (start.kind === 'date') {
    const endDate =
      end?.kind === 'date' ? end.date : addDays(start.date, durationDays(comp.getFirstPropertyValue('duration')) || 1);
    return { kind: 'all-day', startDate: start.date, endDate };
  }
  if (!end || end.kind !== 'instant') {
    const dur = comp.getFirstPropertyValue('duration');
    const seconds = dur instanceof ICAL.Duration ? dur.toSeconds() : 0;
    end = { kind: 'instant', iso: new Date(Date.parse(start.iso) + seconds * 1000).toISOString(), tzid: start.tzid };
  }
  return { kind: 'timed', start: start.iso, end: end.iso, timeZone: start.tzid ?? 'UTC' };
}

function durationDays(d: unknown): number {
  return d instanceof ICAL.Duration ? Math.round(d.toSeconds() / 86_400) : 0;
}

export function addDays(date: string, days: number): string {
  const ms = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(ms).toISOString().slice(0, 10);
}

function readReminder(comp: ICAL.Component): number | null {
  for (const alarm of comp.getAllSubcomponents('valarm')) {
    const trigger = alarm.getFirstProperty('trigger');
    const related = trigger?.getFirstParameter('related');
    const value = trigger?.getFirstValue();
    if (value instanceof ICAL.Duration && related !== 'END') return Math.max(0, Math.round(-value.toSeconds() / 60));
  }
  return null;
}

function readAttendees(comp: ICAL.Component, self: SelfIdentity): Person[] {
  const out: Person[] = [];
  for (const prop of comp.getAllProperties('attendee')) {
    const email = mailAddress(prop.getFirstValue());
    if (!email || self.addresses.includes(email) || out.some((p) => p.email === email)) continue;
    const name = prop.getFirstParameter('cn');
    out.push(name ? { email, name } : { email });
  }
  return out;
}

function readFields(comp: ICAL.Component, timing: Timing, self: SelfIdentity, exdates: string[]): SyncedFields {
  const rrule = comp.getFirstPropertyValue('rrule');
  const cls = text(comp, 'class').toUpperCase();
  return {
    subject: text(comp, 'summary'),
    timing,
    body: stripDeepLink(text(comp, 'description')),
    location: text(comp, 'location'),
    visibility: cls === 'PRIVATE' || cls === 'CONFIDENTIAL' ? 'private' : 'normal',
    showAs: text(comp, 'transp').toUpperCase() === 'TRANSPARENT' ? 'free' : 'busy',
    attendees: readAttendees(comp, self),
    recurrence: rrule instanceof ICAL.Recur ? { rrule: freqFirst(rrule.toString()), exdates } : null,
    reminderMinutes: readReminder(comp),
  };
}

/** Servers reorder RRULE parts (Radicale writes COUNT before FREQ); FREQ first is what every reader expects. */
function freqFirst(rule: string): string {
  const parts = rule.split(';').filter(Boolean);
  return [...parts.filter((p) => /^FREQ=/i.test(p)), ...parts.filter((p) => !/^FREQ=/i.test(p))].join(';');
}

function modifiedAt(comp: ICAL.Component): string {
  const v = readTime(comp, 'last-modified') ?? readTime(comp, 'dtstamp');
  return v?.kind === 'instant' ? v.iso : new Date(0).toISOString();
}

function isOrganizer(comp: ICAL.Component, self: SelfIdentity): boolean {
  const org = comp.getFirstPropertyValue('organizer');
  return !org || self.addresses.includes(mailAddress(org));
}

/** The events one resource holds: the master (or single event) first, then its modified occurrences. */
export function parseResource(ref: ResourceRef, ics: string, self: SelfIdentity): CalendarEvent[] {
  const root = ICAL.Component.fromString(ics);
  const vevents = root.getAllSubcomponents('vevent');
  const master = vevents.find((v) => !v.hasProperty('recurrence-id')) ?? null;
  const overrides = vevents.filter((v) => v.hasProperty('recurrence-id'));
  // Cancelled overrides are cancelled occurrences: the model keeps those as the master's exdates.
  const cancelledStarts = overrides
    .filter((o) => text(o, 'status').toUpperCase() === 'CANCELLED')
    .map((o) => readTime(o, 'recurrence-id'))
    .filter((v): v is IcalValue => v !== null)
    .map(valueKey);
  const out: CalendarEvent[] = [];
  if (master) {
    const timing = readTiming(master);
    if (timing) {
      const exdates = [...new Set([...readTimes(master, 'exdate').map(valueKey), ...cancelledStarts])].sort();
      out.push(toEvent(ref, ref.href, master, timing, self, exdates));
    }
  }
  for (const o of overrides) {
    const rid = readTime(o, 'recurrence-id');
    const timing = readTiming(o);
    if (!rid || !timing || text(o, 'status').toUpperCase() === 'CANCELLED') continue;
    const originalStart = valueKey(rid);
    const event = toEvent(ref, occurrenceEventId(ref.href, originalStart), o, timing, self, []);
    event.fields.recurrence = null;
    event.occurrence = { seriesId: ref.href, originalStart };
    // Overrides share the series' UID in iCalendar; the engine keys "one activity per meeting" on iCalUId, so an
    // occurrence gets UID + RECURRENCE-ID, which every attendee's copy of that occurrence also yields (as Graph does).
    event.iCalUId = occurrenceICalUId(event.iCalUId, originalStart);
    out.push(event);
  }
  return out;
}

function toEvent(
  ref: ResourceRef,
  id: string,
  comp: ICAL.Component,
  timing: Timing,
  self: SelfIdentity,
  exdates: string[],
): CalendarEvent {
  const tag = text(comp, crmTagProperty.toLowerCase()).trim();
  return {
    id,
    calendarId: ref.calendarId,
    version: ref.etag,
    modifiedAt: modifiedAt(comp),
    iCalUId: text(comp, 'uid'),
    fields: readFields(comp, timing, self, exdates),
    cancelled: text(comp, 'status').toUpperCase() === 'CANCELLED',
    crmTag: tag || null,
    isOrganizer: isOrganizer(comp, self),
    category: text(comp, 'color') || null,
  };
}

const priorityValue: Record<Priority, { priority: number; color: string }> = {
  high: { priority: 1, color: 'red' },
  normal: { priority: 5, color: 'blue' },
  low: { priority: 9, color: 'gray' },
};

const ownedProperties = [
  'summary',
  'dtstart',
  'dtend',
  'duration',
  'description',
  'location',
  'class',
  'transp',
  'attendee',
  'rrule',
  'exdate',
  'rdate',
  'priority',
  'color',
  'last-modified',
  'dtstamp',
  crmTagProperty.toLowerCase(),
];

function escapeParam(v: string): string {
  return /[;:,"]/.test(v) ? `"${v.replace(/"/g, "'")}"` : v;
}

function icsNow(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
}

/** Rewrites the owned properties of one VEVENT from a draft. */
function applyDraft(
  comp: ICAL.Component,
  draft: EventDraft,
  opts: { self: SelfIdentity; now: Date; recurrenceId: string | null; zone: string | null },
): void {
  for (const name of ownedProperties) comp.removeAllProperties(name);
  comp.removeAllSubcomponents('valarm');
  const f = draft.fields;
  const now = icsNow(opts.now);
  comp.addProperty(ICAL.Property.fromString(`DTSTAMP:${now}`));
  comp.addProperty(ICAL.Property.fromString(`LAST-MODIFIED:${now}`));
  comp.addPropertyWithValue('summary', f.subject);
  if (f.timing.kind === 'all-day') {
    comp.addProperty(timeProperty('DTSTART', f.timing.startDate, null));
    comp.addProperty(timeProperty('DTEND', f.timing.endDate, null));
  } else {
    comp.addProperty(timeProperty('DTSTART', f.timing.start, opts.zone));
    comp.addProperty(timeProperty('DTEND', f.timing.end, opts.zone));
  }
  // The user's text byte for byte, then the connector's marked block (shared with Graph and Google).
  const description = describeWithLink(f.body, draft.crmUrl);
  if (description) comp.addPropertyWithValue('description', description);
  if (f.location) comp.addPropertyWithValue('location', f.location);
  comp.addPropertyWithValue('class', f.visibility === 'private' ? 'PRIVATE' : 'PUBLIC');
  comp.addPropertyWithValue('transp', f.showAs === 'free' ? 'TRANSPARENT' : 'OPAQUE');
  if (f.attendees.length > 0) {
    const agent = draft.sendInvitations ? '' : ';SCHEDULE-AGENT=CLIENT';
    const me = opts.self.addresses[0];
    const organizer = comp.getFirstProperty('organizer');
    if (!organizer && me) comp.addProperty(ICAL.Property.fromString(`ORGANIZER${agent}:mailto:${me}`));
    else if (organizer && !draft.sendInvitations) organizer.setParameter('schedule-agent', 'CLIENT');
    else if (organizer) organizer.removeParameter('schedule-agent');
    for (const p of f.attendees) {
      const cn = p.name ? `;CN=${escapeParam(p.name)}` : '';
      comp.addProperty(
        ICAL.Property.fromString(
          `ATTENDEE${cn};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION${agent}:mailto:${p.email.toLowerCase()}`,
        ),
      );
    }
  }
  if (opts.recurrenceId === null && f.recurrence) {
    comp.addProperty(ICAL.Property.fromString(`RRULE:${f.recurrence.rrule.replace(/^RRULE:/i, '')}`));
    for (const ex of f.recurrence.exdates) comp.addProperty(timeProperty('EXDATE', ex, opts.zone));
  }
  if (opts.recurrenceId !== null) {
    comp.removeAllProperties('recurrence-id');
    comp.addProperty(timeProperty('RECURRENCE-ID', opts.recurrenceId, opts.zone));
  }
  if (f.reminderMinutes !== null) {
    const alarm = new ICAL.Component('valarm');
    alarm.addPropertyWithValue('action', 'DISPLAY');
    alarm.addPropertyWithValue('description', f.subject || 'Reminder');
    alarm.addProperty(
      ICAL.Property.fromString(`TRIGGER:${f.reminderMinutes === 0 ? 'PT0S' : `-PT${f.reminderMinutes}M`}`),
    );
    comp.addSubcomponent(alarm);
  }
  if (draft.priority) {
    comp.addPropertyWithValue('priority', priorityValue[draft.priority].priority);
    comp.addPropertyWithValue('color', priorityValue[draft.priority].color);
  }
  if (draft.crmTag) comp.addPropertyWithValue(crmTagProperty.toLowerCase(), draft.crmTag);
  const seq = Number(comp.getFirstPropertyValue('sequence') ?? 0);
  comp.updatePropertyWithValue('sequence', Number.isFinite(seq) ? seq + 1 : 1);
}

function masterZone(root: ICAL.Component): string | null {
  const master = root.getAllSubcomponents('vevent').find((v) => !v.hasProperty('recurrence-id'));
  const start = master?.getFirstProperty('dtstart');
  return start?.getFirstParameter('tzid') ?? (master ? 'UTC' : null);
}

/** Adds a VTIMEZONE for every TZID the resource uses and does not define yet. */
function ensureTimezones(root: ICAL.Component, year: number): void {
  const defined = new Set(root.getAllSubcomponents('vtimezone').map((z) => String(z.getFirstPropertyValue('tzid'))));
  const used = new Set<string>();
  for (const ev of root.getAllSubcomponents('vevent')) {
    for (const prop of ev.getAllProperties()) {
      const tzid = prop.getFirstParameter('tzid');
      if (tzid) used.add(tzid);
    }
  }
  for (const tzid of used) {
    if (defined.has(tzid)) continue;
    const tz = ICAL.Component.fromString(vtimezoneLines(tzid, year).join('\r\n'));
    root.addSubcomponent(tz);
  }
  // VTIMEZONEs conventionally precede the events; ical.js keeps insertion order, so re-append the events.
  for (const ev of root.getAllSubcomponents('vevent')) {
    root.removeSubcomponent(ev);
    root.addSubcomponent(ev);
  }
}

export interface RenderOptions {
  self: SelfIdentity;
  now: Date;
}

/** A new resource for a draft (a single event or a series master). */
export function renderNewResource(uid: string, draft: EventDraft, opts: RenderOptions): string {
  const root = new ICAL.Component('vcalendar');
  root.addPropertyWithValue('prodid', prodId);
  root.addPropertyWithValue('version', '2.0');
  const ev = new ICAL.Component('vevent');
  ev.addPropertyWithValue('uid', uid);
  root.addSubcomponent(ev);
  const zone = draft.fields.timing.kind === 'timed' ? draft.fields.timing.timeZone : null;
  applyDraft(ev, draft, { ...opts, recurrenceId: null, zone });
  ensureTimezones(root, yearOf(draft));
  return root.toString();
}

function yearOf(draft: EventDraft): number {
  const t = draft.fields.timing;
  return Number((t.kind === 'timed' ? t.start : t.startDate).slice(0, 4));
}

/**
 * Rewrites the master (originalStart null) or the override for `originalStart` inside an existing resource,
 * creating the override when it does not exist yet.
 */
export function renderIntoResource(
  ics: string,
  originalStart: string | null,
  draft: EventDraft,
  opts: RenderOptions,
): string {
  const root = ICAL.Component.fromString(ics);
  const vevents = root.getAllSubcomponents('vevent');
  const master = vevents.find((v) => !v.hasProperty('recurrence-id'));
  let target: ICAL.Component | undefined;
  if (originalStart === null) target = master;
  else {
    target = vevents.find((v) => {
      const rid = readTime(v, 'recurrence-id');
      return rid !== null && valueKey(rid) === originalStart;
    });
    if (!target) {
      target = new ICAL.Component('vevent');
      target.addPropertyWithValue('uid', master ? text(master, 'uid') : text(vevents[0] ?? root, 'uid'));
      root.addSubcomponent(target);
    }
  }
  if (!target) throw new Error('resource holds no master event');
  const zone =
    originalStart !== null
      ? masterZone(root)
      : draft.fields.timing.kind === 'timed'
        ? draft.fields.timing.timeZone
        : null;
  const writeZone = draft.fields.timing.kind === 'timed' ? draft.fields.timing.timeZone : zone;
  applyDraft(target, draft, { ...opts, recurrenceId: originalStart, zone: writeZone });
  if (originalStart !== null) {
    // RECURRENCE-ID must use the master's zone and value type (RFC 5545 §3.8.4.4).
    target.removeAllProperties('recurrence-id');
    target.addProperty(timeProperty('RECURRENCE-ID', originalStart, zone));
  }
  ensureTimezones(root, yearOf(draft));
  return root.toString();
}

/** Removes a modified occurrence and cancels it in the master (EXDATE): the occurrence is gone. */
export function cancelOccurrence(ics: string, originalStart: string): string {
  const root = ICAL.Component.fromString(ics);
  const vevents = root.getAllSubcomponents('vevent');
  for (const v of vevents) {
    const rid = readTime(v, 'recurrence-id');
    if (rid && valueKey(rid) === originalStart) root.removeSubcomponent(v);
  }
  const master = vevents.find((v) => !v.hasProperty('recurrence-id'));
  if (master && !readTimes(master, 'exdate').some((x) => valueKey(x) === originalStart)) {
    master.addProperty(timeProperty('EXDATE', originalStart, masterZone(root)));
  }
  return root.toString();
}

/**
 * Marks organiser and attendees SCHEDULE-AGENT=CLIENT so that a following DELETE makes the server send no
 * cancellation (RFC 6638 §7.1); null when the resource already schedules nothing.
 */
export function silenceScheduling(ics: string): string | null {
  const root = ICAL.Component.fromString(ics);
  let changed = false;
  for (const ev of root.getAllSubcomponents('vevent')) {
    for (const prop of [...ev.getAllProperties('attendee'), ...ev.getAllProperties('organizer')]) {
      if (String(prop.getFirstParameter('schedule-agent') ?? '').toUpperCase() !== 'CLIENT') {
        prop.setParameter('schedule-agent', 'CLIENT');
        changed = changed || prop.name === 'attendee';
      }
    }
  }
  return changed ? root.toString() : null;
}

/** Drops STATUS:CANCELLED from the master, for a resource that is being created again. */
export function uncancel(ics: string): string {
  const root = ICAL.Component.fromString(ics);
  const master = root.getAllSubcomponents('vevent').find((v) => !v.hasProperty('recurrence-id'));
  if (master && text(master, 'status').toUpperCase() === 'CANCELLED') master.removeAllProperties('status');
  return root.toString();
}
