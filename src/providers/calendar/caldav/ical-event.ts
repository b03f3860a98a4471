/**
 * One CalDAV resource (a VCALENDAR with a master VEVENT and its RECURRENCE-ID overrides) ↔ the engine's events.
 * Writing edits the stored component in place, so what the connector does not own survives a round trip: other
 * clients' X- properties, the user's own alarms (only the marked connector alarm is replaced) and attendee lines of
 * addresses the draft keeps (PARTSTAT, RSVP, CN as other clients wrote them).
 */
import ICAL from 'ical.js';
import { describeWithLink, userTextOf } from '../../../shared/body-block';
import type { CalendarEvent, EventDraft, Person, Priority, SyncedFields, Timing } from '../../../sync/model';
import { parseKeepingLines } from './ical-lines';
import { readTime, readTimes, timeProperty, type IcalValue } from './ical-time';
import { isIanaZone, vtimezoneLines } from './time-zones';

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

/** Marks the one VALARM the connector writes; every other alarm is the user's and is never touched. */
export const crmAlarmProperty = 'X-CRM-CONNECTOR-ALARM';

function alarmMinutes(alarm: ICAL.Component): number | null {
  const trigger = alarm.getFirstProperty('trigger');
  const related = trigger?.getFirstParameter('related');
  const value = trigger?.getFirstValue();
  return value instanceof ICAL.Duration && related !== 'END' ? Math.max(0, Math.round(-value.toSeconds() / 60)) : null;
}

/**
 * The connector's alarm: the marked one, or (resources written before the mark existed) an alarm that is exactly
 * what the connector used to write — ACTION:DISPLAY, TRIGGER and DESCRIPTION equal to the summary or "Reminder".
 */
function isOurAlarm(alarm: ICAL.Component, summary: string): boolean {
  if (alarm.hasProperty(crmAlarmProperty.toLowerCase())) return true;
  const names = alarm.getAllProperties().map((p) => p.name);
  if (names.length !== 3 || alarm.getAllSubcomponents().length > 0) return false;
  if (!['action', 'description', 'trigger'].every((n) => names.includes(n))) return false;
  const description = text(alarm, 'description');
  return text(alarm, 'action').toUpperCase() === 'DISPLAY' && (description === summary || description === 'Reminder');
}

/** The synced reminder: the connector's alarm when there is one, otherwise the first relative alarm. */
function readReminder(comp: ICAL.Component): number | null {
  const alarms = comp.getAllSubcomponents('valarm');
  const ours = alarms.find((a) => a.hasProperty(crmAlarmProperty.toLowerCase()));
  if (ours) return alarmMinutes(ours);
  for (const alarm of alarms) {
    const minutes = alarmMinutes(alarm);
    if (minutes !== null) return minutes;
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

/** What a listing could not take as it was: events skipped (unreadable) and values repaired, each with a reason. */
export interface ParseNotes {
  skipped: { id: string; reason: string }[];
  warnings: { id: string; reason: string }[];
}

/** An event the connector cannot read or map; the message says why, for the run report and the trail. */
export class UnreadableEvent extends Error {}

const validFreqs = new Set(['SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY']);

/**
 * DATE / DATE-TIME values as written (ical.js normalizes an impossible date such as 2027-13-45 into another one
 * instead of refusing it): every value of `name` must be a real calendar date and time.
 */
function checkDates(comp: ICAL.Component, name: string): void {
  for (const prop of comp.getAllProperties(name)) {
    for (const raw of prop.jCal.slice(3)) {
      if (typeof raw !== 'string') continue;
      const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?/.exec(raw);
      const [y, mo, d, h, mi, se] = (m?.slice(1) ?? []).map((v) => Number(v ?? 0));
      const ms = m ? Date.UTC(y!, mo! - 1, d!, h!, mi!, se!) : NaN;
      const back = new Date(ms);
      const real =
        Number.isFinite(ms) &&
        back.getUTCFullYear() === y &&
        back.getUTCMonth() === mo! - 1 &&
        back.getUTCDate() === d &&
        back.getUTCHours() === h &&
        back.getUTCMinutes() === mi;
      if (!real) throw new UnreadableEvent(`its ${name.toUpperCase()} "${raw}" is not a valid date`);
    }
  }
}

/** A TZID must be defined in the file (VTIMEZONE) or be an IANA zone: else its times would be guessed. */
function checkZones(comp: ICAL.Component, name: string): void {
  for (const prop of comp.getAllProperties(name)) {
    const tzid = prop.getFirstParameter('tzid');
    if (!tzid) continue;
    const v = prop.getFirstValue();
    const resolved = v instanceof ICAL.Time && v.zone && v.zone.tzid !== 'floating';
    if (!resolved && !isIanaZone(tzid)) {
      throw new UnreadableEvent(
        `its time zone "${tzid}" (${name.toUpperCase()}) is neither defined in the file (VTIMEZONE) nor a known zone`,
      );
    }
  }
}

function checkRecurrence(comp: ICAL.Component): void {
  for (const prop of comp.getAllProperties('rrule')) {
    let rule: unknown;
    try {
      rule = prop.getFirstValue();
    } catch (e) {
      throw new UnreadableEvent(
        `its recurrence rule (RRULE) cannot be read: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    const freq = rule instanceof ICAL.Recur ? rule.freq : null;
    if (!freq || !validFreqs.has(String(freq).toUpperCase())) {
      throw new UnreadableEvent('its recurrence rule (RRULE) has no valid FREQ');
    }
  }
}

/**
 * The timing of one component, checked: an unreadable start, date, zone or rule throws UnreadableEvent; an end
 * before the start is repaired (end = start; an all-day event gets one day) and noted as a warning under `id`.
 */
function checkedTiming(comp: ICAL.Component, id: string, notes: ParseNotes | undefined): Timing {
  if (!comp.hasProperty('dtstart')) throw new UnreadableEvent('it has no start (DTSTART)');
  for (const name of ['dtstart', 'dtend', 'recurrence-id']) {
    checkDates(comp, name);
    checkZones(comp, name);
  }
  checkRecurrence(comp);
  const timing = readTiming(comp);
  if (!timing) throw new UnreadableEvent('its start (DTSTART) cannot be read');
  if (timing.kind === 'timed' && Date.parse(timing.end) < Date.parse(timing.start)) {
    notes?.warnings.push({
      id,
      reason: `The event ends (${timing.end}) before it starts (${timing.start}): read with its end at its start.`,
    });
    return { ...timing, end: timing.start };
  }
  if (timing.kind === 'all-day' && timing.endDate <= timing.startDate) {
    notes?.warnings.push({
      id,
      reason: `The all-day event ends (${timing.endDate}) before it starts (${timing.startDate}): read as one day.`,
    });
    return { ...timing, endDate: addDays(timing.startDate, 1) };
  }
  return timing;
}

/**
 * The events one resource holds: the master (or single event) first, then its modified occurrences. What cannot be
 * read is left out and, with `notes`, recorded there with its reason: an unreadable master leaves the whole
 * resource out (its occurrences mean nothing without it); an unreadable override only itself.
 */
export function parseResource(ref: ResourceRef, ics: string, self: SelfIdentity, notes?: ParseNotes): CalendarEvent[] {
  const root = ICAL.Component.fromString(ics);
  const vevents = root.getAllSubcomponents('vevent');
  const master = vevents.find((v) => !v.hasProperty('recurrence-id')) ?? null;
  const overrides = vevents.filter((v) => v.hasProperty('recurrence-id'));
  const skip = (id: string, e: unknown): void => {
    if (!(e instanceof Error)) throw e;
    const why = e instanceof UnreadableEvent ? e.message : `its iCalendar cannot be read (${e.message})`;
    notes?.skipped.push({ id, reason: `The calendar event cannot be synced: ${why}.` });
  };
  const out: CalendarEvent[] = [];
  if (master) {
    try {
      const timing = checkedTiming(master, ref.href, notes);
      // Cancelled overrides are cancelled occurrences: the model keeps those as the master's exdates.
      const cancelledStarts = overrides
        .filter((o) => text(o, 'status').toUpperCase() === 'CANCELLED')
        .map((o) => readTime(o, 'recurrence-id'))
        .filter((v): v is IcalValue => v !== null)
        .map(valueKey);
      const exdates = [...new Set([...readTimes(master, 'exdate').map(valueKey), ...cancelledStarts])].sort();
      out.push(toEvent(ref, ref.href, master, timing, self, exdates));
    } catch (e) {
      skip(ref.href, e);
      return [];
    }
  }
  for (const o of overrides) {
    let rid: IcalValue | null;
    try {
      checkDates(o, 'recurrence-id');
      rid = readTime(o, 'recurrence-id');
    } catch (e) {
      // No original start to name it by: named by the resource and what is wrong, the master is still listed.
      skip(`${ref.href}#RECURRENCE-ID`, e);
      continue;
    }
    if (!rid || text(o, 'status').toUpperCase() === 'CANCELLED') continue;
    const originalStart = valueKey(rid);
    const id = occurrenceEventId(ref.href, originalStart);
    try {
      const timing = checkedTiming(o, id, notes);
      const event = toEvent(ref, id, o, timing, self, []);
      event.fields.recurrence = null;
      event.occurrence = { seriesId: ref.href, originalStart };
      // Overrides share the series' UID in iCalendar; the engine keys "one activity per meeting" on iCalUId, so an
      // occurrence gets UID + RECURRENCE-ID, which every attendee's copy of that occurrence also yields (as Graph does).
      event.iCalUId = occurrenceICalUId(event.iCalUId, originalStart);
      out.push(event);
    } catch (e) {
      skip(id, e);
    }
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

/**
 * What the connector maps, by group: a group is rewritten only when the draft's value differs from what the
 * component already says (read the way the engine reads it), so a line another client wrote in its own form —
 * CLASS:CONFIDENTIAL, LOCATION;ALTREP=…, SUMMARY;LANGUAGE=…, DTSTART+DURATION — stays as it is while the CRM does
 * not change that value. DTSTAMP and LAST-MODIFIED always say when we wrote.
 */
const mappedGroups = {
  summary: ['summary'],
  timing: ['dtstart', 'dtend', 'duration'],
  description: ['description'],
  location: ['location'],
  class: ['class'],
  transp: ['transp'],
  recurrence: ['rrule', 'exdate'],
  tag: [crmTagProperty.toLowerCase()],
} as const;

function escapeParam(v: string): string {
  return /[;:,"]/.test(v) ? `"${v.replace(/"/g, "'")}"` : v;
}

function icsNow(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
}

/**
 * Attendees by address: lines of addresses the draft keeps stay as they are (PARTSTAT, RSVP, CN and whatever other
 * clients set), only addresses the draft drops are removed and only new ones are added. The connected user's own
 * lines are not synced and stay. SCHEDULE-AGENT is the one parameter the connector owns on a kept line: without
 * invitations it must say CLIENT, or a scheduling server would mail the change to that attendee.
 */
function applyAttendees(comp: ICAL.Component, draft: EventDraft, self: SelfIdentity): void {
  const wanted = new Map(draft.fields.attendees.map((p) => [p.email.toLowerCase(), p]));
  const agent = draft.sendInvitations ? '' : ';SCHEDULE-AGENT=CLIENT';
  const present = new Set<string>();
  for (const prop of comp.getAllProperties('attendee')) {
    const email = mailAddress(prop.getFirstValue());
    if (self.addresses.includes(email)) continue;
    if (!wanted.has(email) || present.has(email)) {
      comp.removeProperty(prop);
      continue;
    }
    present.add(email);
    if (!draft.sendInvitations && String(prop.getFirstParameter('schedule-agent') ?? '').toUpperCase() !== 'CLIENT') {
      prop.setParameter('schedule-agent', 'CLIENT');
    }
  }
  if (wanted.size === 0) return;
  const me = self.addresses[0];
  const organizer = comp.getFirstProperty('organizer');
  if (!organizer && me) comp.addProperty(ICAL.Property.fromString(`ORGANIZER${agent}:mailto:${me}`));
  else if (organizer && !draft.sendInvitations) organizer.setParameter('schedule-agent', 'CLIENT');
  else if (organizer) organizer.removeParameter('schedule-agent');
  for (const [email, p] of wanted) {
    if (present.has(email)) continue;
    const cn = p.name ? `;CN=${escapeParam(p.name)}` : '';
    comp.addProperty(
      ICAL.Property.fromString(`ATTENDEE${cn};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION${agent}:mailto:${email}`),
    );
  }
}

/**
 * Only the connector's alarm is replaced or removed; the user's own alarms stay byte for byte. When the resource has
 * no alarm of ours and the reminder read from the user's alarm is already what the CRM wants, nothing is added
 * (a second, duplicate alarm would ring twice).
 */
function applyReminder(
  comp: ICAL.Component,
  minutes: number | null,
  subject: string,
  previousSummary: string,
  previousReminder: number | null,
): void {
  const ours = comp.getAllSubcomponents('valarm').filter((a) => isOurAlarm(a, previousSummary));
  for (const alarm of ours) comp.removeSubcomponent(alarm);
  if (minutes === null) return;
  if (ours.length === 0 && previousReminder === minutes) return;
  const alarm = new ICAL.Component('valarm');
  alarm.addPropertyWithValue('action', 'DISPLAY');
  alarm.addPropertyWithValue('description', subject || 'Reminder');
  alarm.addProperty(ICAL.Property.fromString(`TRIGGER:${minutes === 0 ? 'PT0S' : `-PT${minutes}M`}`));
  alarm.addPropertyWithValue(crmAlarmProperty.toLowerCase(), '1');
  comp.addSubcomponent(alarm);
}

function sameInstant(a: string, b: string): boolean {
  return Date.parse(a) === Date.parse(b);
}

function sameTiming(a: Timing | null, b: Timing): boolean {
  if (!a || a.kind !== b.kind) return false;
  if (a.kind === 'all-day' && b.kind === 'all-day') return a.startDate === b.startDate && a.endDate === b.endDate;
  if (a.kind === 'timed' && b.kind === 'timed')
    return sameInstant(a.start, b.start) && sameInstant(a.end, b.end) && a.timeZone === b.timeZone;
  return false;
}

function exdateKey(x: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(x) ? x : new Date(Date.parse(x)).toISOString();
}

/** Whether the component's RRULE and EXDATEs already say what the draft's recurrence says. */
function sameRecurrence(comp: ICAL.Component, want: SyncedFields['recurrence']): boolean {
  const rules = comp.getAllProperties('rrule');
  if (!want) return rules.length === 0 && !comp.hasProperty('exdate');
  const rule = rules.length === 1 ? rules[0]!.getFirstValue() : null;
  if (!(rule instanceof ICAL.Recur)) return false;
  if (freqFirst(rule.toString()) !== freqFirst(want.rrule.replace(/^RRULE:/i, ''))) return false;
  const have = [...new Set(readTimes(comp, 'exdate').map(valueKey))].sort();
  const wanted = [...new Set(want.exdates.map(exdateKey))].sort();
  return have.length === wanted.length && have.every((x, i) => x === wanted[i]);
}

/**
 * PRIORITY and COLOR are the connector's only while the CRM gives a priority: without one (null) they are left as
 * another client set them; with one, lines already saying our value stay, others are replaced.
 */
function applyPriority(comp: ICAL.Component, priority: Priority | null): void {
  if (!priority) return;
  const want = priorityValue[priority];
  const priorities = comp.getAllProperties('priority');
  if (priorities.length !== 1 || Number(priorities[0]!.getFirstValue()) !== want.priority) {
    comp.removeAllProperties('priority');
    comp.addPropertyWithValue('priority', want.priority);
  }
  const colors = comp.getAllProperties('color');
  if (colors.length !== 1 || String(colors[0]!.getFirstValue()).toLowerCase() !== want.color) {
    comp.removeAllProperties('color');
    comp.addPropertyWithValue('color', want.color);
  }
}

/** Rewrites what the draft changes in one VEVENT; every other line stays as it was read. */
function applyDraft(
  comp: ICAL.Component,
  draft: EventDraft,
  opts: { self: SelfIdentity; now: Date; recurrenceId: string | null; zone: string | null },
): void {
  const previousSummary = text(comp, 'summary');
  const previousReminder = readReminder(comp);
  const f = draft.fields;
  const description = describeWithLink(f.body, draft.crmUrl);
  const cls = text(comp, 'class').toUpperCase();
  const single = (name: string): boolean => comp.getAllProperties(name).length === 1;
  // Which mapped values already hold (then their lines are not touched). A new component gets every line.
  const fresh = !comp.hasProperty('dtstart');
  const holds: Record<keyof typeof mappedGroups, boolean> = {
    summary: single('summary') && text(comp, 'summary') === f.subject,
    timing: sameTiming(readTiming(comp), f.timing),
    description: description
      ? single('description') && text(comp, 'description') === description
      : !comp.hasProperty('description'),
    location: f.location ? single('location') && text(comp, 'location') === f.location : !comp.hasProperty('location'),
    class:
      (cls === 'PRIVATE' || cls === 'CONFIDENTIAL') === (f.visibility === 'private') &&
      comp.getAllProperties('class').length <= 1,
    transp:
      (text(comp, 'transp').toUpperCase() === 'TRANSPARENT') === (f.showAs === 'free') &&
      comp.getAllProperties('transp').length <= 1,
    recurrence: opts.recurrenceId !== null || sameRecurrence(comp, f.recurrence),
    tag: draft.crmTag
      ? single(crmTagProperty.toLowerCase()) && text(comp, crmTagProperty.toLowerCase()).trim() === draft.crmTag
      : true,
  };
  if (fresh) for (const g of Object.keys(holds) as (keyof typeof holds)[]) if (g !== 'recurrence') holds[g] = false;
  for (const [group, names] of Object.entries(mappedGroups) as [keyof typeof mappedGroups, readonly string[]][]) {
    if (!holds[group]) for (const name of names) comp.removeAllProperties(name);
  }
  // A series that stops recurring loses its extra dates too (they would keep it recurring).
  if (opts.recurrenceId === null && !f.recurrence) comp.removeAllProperties('rdate');
  comp.removeAllProperties('dtstamp');
  comp.removeAllProperties('last-modified');
  const now = icsNow(opts.now);
  comp.addProperty(ICAL.Property.fromString(`DTSTAMP:${now}`));
  comp.addProperty(ICAL.Property.fromString(`LAST-MODIFIED:${now}`));
  if (!holds.summary) comp.addPropertyWithValue('summary', f.subject);
  if (!holds.timing) {
    if (f.timing.kind === 'all-day') {
      comp.addProperty(timeProperty('DTSTART', f.timing.startDate, null));
      comp.addProperty(timeProperty('DTEND', f.timing.endDate, null));
    } else {
      comp.addProperty(timeProperty('DTSTART', f.timing.start, opts.zone));
      comp.addProperty(timeProperty('DTEND', f.timing.end, opts.zone));
    }
  }
  // The user's text byte for byte, then the connector's marked block (shared with Graph and Google).
  if (!holds.description && description) comp.addPropertyWithValue('description', description);
  if (!holds.location && f.location) comp.addPropertyWithValue('location', f.location);
  if (!holds.class) comp.addPropertyWithValue('class', f.visibility === 'private' ? 'PRIVATE' : 'PUBLIC');
  if (!holds.transp) comp.addPropertyWithValue('transp', f.showAs === 'free' ? 'TRANSPARENT' : 'OPAQUE');
  applyAttendees(comp, draft, opts.self);
  if (!holds.recurrence && f.recurrence) {
    comp.addProperty(ICAL.Property.fromString(`RRULE:${f.recurrence.rrule.replace(/^RRULE:/i, '')}`));
    for (const ex of f.recurrence.exdates) comp.addProperty(timeProperty('EXDATE', ex, opts.zone));
  }
  if (opts.recurrenceId !== null) {
    comp.removeAllProperties('recurrence-id');
    comp.addProperty(timeProperty('RECURRENCE-ID', opts.recurrenceId, opts.zone));
  }
  applyReminder(comp, f.reminderMinutes, f.subject, previousSummary, previousReminder);
  applyPriority(comp, draft.priority);
  if (!holds.tag && draft.crmTag) comp.addPropertyWithValue(crmTagProperty.toLowerCase(), draft.crmTag);
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
  const kept = parseKeepingLines(ics);
  const root = kept.root;
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
  return kept.serialise();
}

/** Removes a modified occurrence and cancels it in the master (EXDATE): the occurrence is gone. */
export function cancelOccurrence(ics: string, originalStart: string): string {
  const kept = parseKeepingLines(ics);
  const root = kept.root;
  const vevents = root.getAllSubcomponents('vevent');
  for (const v of vevents) {
    const rid = readTime(v, 'recurrence-id');
    if (rid && valueKey(rid) === originalStart) root.removeSubcomponent(v);
  }
  const master = vevents.find((v) => !v.hasProperty('recurrence-id'));
  if (master && !readTimes(master, 'exdate').some((x) => valueKey(x) === originalStart)) {
    master.addProperty(timeProperty('EXDATE', originalStart, masterZone(root)));
  }
  return kept.serialise();
}

/**
 * Marks organiser and attendees SCHEDULE-AGENT=CLIENT so that a following DELETE makes the server send no
 * cancellation (RFC 6638 §7.1); null when the resource already schedules nothing.
 */
export function silenceScheduling(ics: string): string | null {
  const kept = parseKeepingLines(ics);
  const root = kept.root;
  let changed = false;
  for (const ev of root.getAllSubcomponents('vevent')) {
    for (const prop of [...ev.getAllProperties('attendee'), ...ev.getAllProperties('organizer')]) {
      if (String(prop.getFirstParameter('schedule-agent') ?? '').toUpperCase() !== 'CLIENT') {
        prop.setParameter('schedule-agent', 'CLIENT');
        changed = changed || prop.name === 'attendee';
      }
    }
  }
  return changed ? kept.serialise() : null;
}

/** Drops STATUS:CANCELLED from the master, for a resource that is being created again. */
export function uncancel(ics: string): string {
  const kept = parseKeepingLines(ics);
  const root = kept.root;
  const master = root.getAllSubcomponents('vevent').find((v) => !v.hasProperty('recurrence-id'));
  if (master && text(master, 'status').toUpperCase() === 'CANCELLED') master.removeAllProperties('status');
  return kept.serialise();
}
