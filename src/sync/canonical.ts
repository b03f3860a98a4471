/**
 * Canonical form and content hash of the synced fields (SPEC §5.1: "changed" means a canonical value differs,
 * never a version bump). Both sides are compared in this one form, so cosmetic differences a provider introduces
 * (case of e-mails, order of attendees, CRLF, trailing blanks, instants written with or without milliseconds) are
 * not changes, and a write that changes nothing is never made.
 */
import type { Person, Recurrence, SyncedFieldName, SyncedFields, Timing } from './model';
import { syncedFieldNames } from './model';

function normText(s: string): string {
  if (PLAIN_TEXT.test(s)) return s.trim(); // one line of ASCII: nothing else to normalise
  return s
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[ \t]+$/, ''))
    .join('\n')
    .trim();
}

/**
 * The CRM subject of an event that has no title (issue 17). CRMs refuse an empty subject (Salesforce, Dynamics,
 * SuiteCRM's list views show a blank row) or show an unclickable blank line, so an untitled event is imported under
 * this placeholder, the wording Google Calendar and the pane's History use. The placeholder and an empty title are
 * the same value to the comparison (fieldKey), so it is never written back to the calendar as a title change.
 */
export const UNTITLED_SUBJECT = '(No title)';

/** The subject a CRM gets for an event's title: the title, or the placeholder when it is blank. */
export function crmSubject(title: string): string {
  return title.trim() === '' ? UNTITLED_SUBJECT : title;
}

const CANONICAL_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const PLAIN_TEXT = /^[\x20-\x7e]*$/;

export function normInstant(iso: string): string {
  if (CANONICAL_INSTANT.test(iso)) return iso;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t).toISOString();
}

function normTiming(t: Timing): Timing {
  if (t.kind === 'all-day')
    return { kind: 'all-day', startDate: t.startDate.slice(0, 10), endDate: t.endDate.slice(0, 10) };
  return { kind: 'timed', start: normInstant(t.start), end: normInstant(t.end), timeZone: t.timeZone || 'UTC' };
}

function normExdate(d: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(d) ? d : normInstant(d);
}

function normRecurrence(r: Recurrence | null): Recurrence | null {
  if (!r) return null;
  const rule = r.rrule
    .trim()
    .replace(/^RRULE:/i, '')
    .toUpperCase()
    .split(';')
    .filter((p) => p.length > 0)
    .sort()
    .join(';');
  return { rrule: rule, exdates: [...new Set(r.exdates.map(normExdate))].sort() };
}

/** Attendees without the connector's user, one per e-mail (lower case), sorted; the first non-empty name is kept. */
export function normAttendees(people: Person[], userEmail: string): Person[] {
  const me = userEmail.trim().toLowerCase();
  const byEmail = new Map<string, Person>();
  for (const p of people) {
    const email = p.email.trim().toLowerCase();
    if (!email || email === me) continue;
    const prev = byEmail.get(email);
    const name = p.name?.trim();
    if (!prev) byEmail.set(email, name ? { email, name } : { email });
    else if (!prev.name && name) prev.name = name;
  }
  return [...byEmail.values()].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
}

export function canonicalFields(f: SyncedFields, userEmail: string): SyncedFields {
  return {
    subject: normText(f.subject),
    timing: normTiming(f.timing),
    body: normText(f.body),
    location: normText(f.location),
    visibility: f.visibility === 'private' ? 'private' : 'normal',
    showAs: f.showAs === 'free' ? 'free' : 'busy',
    attendees: normAttendees(f.attendees, userEmail),
    recurrence: normRecurrence(f.recurrence),
    reminderMinutes: f.reminderMinutes ?? null,
  };
}

/**
 * The comparison key of one canonical field value. Time zones and attendee names are carried but are not part of
 * the key: providers report instants in UTC and names as their directory knows them, neither is a user's change.
 */
export function fieldKey(name: SyncedFieldName, f: SyncedFields): string {
  switch (name) {
    case 'timing': {
      const t = f.timing;
      return t.kind === 'all-day' ? `d|${t.startDate}|${t.endDate}` : `t|${t.start}|${t.end}`;
    }
    case 'attendees':
      return f.attendees.map((a) => a.email).join(',');
    case 'recurrence':
      return f.recurrence ? `${f.recurrence.rrule}|${f.recurrence.exdates.join(',')}` : '';
    case 'reminderMinutes':
      return f.reminderMinutes === null ? '' : String(f.reminderMinutes);
    case 'subject':
      return crmSubject(f.subject);
    default:
      return f[name];
  }
}

export function fieldsEqual(name: SyncedFieldName, a: SyncedFields, b: SyncedFields): boolean {
  return fieldKey(name, a) === fieldKey(name, b);
}

/** 53-bit string hash (cyrb53): fast, deterministic, no I/O; collisions only cost a per-field comparison. */
function cyrb53(str: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

export function hashString(s: string): string {
  return cyrb53(s);
}

/** Content hash of canonical fields: equal hashes ⇔ (practically) no synced field changed. */
export function contentHash(f: SyncedFields): string {
  return cyrb53(syncedFieldNames.map((n) => fieldKey(n, f)).join('\u0000'));
}
