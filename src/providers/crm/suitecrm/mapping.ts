/**
 * SuiteCRM records ↔ the engine's model. Ids carry their module ("Meetings:<uuid>") because a write names only
 * the id. SuiteCRM stores date-times in UTC without a zone; it has no all-day flag, so the connector writes an
 * all-day item as midnight-to-midnight UTC and reads such a whole-day span back as all-day.
 */
import crypto from 'node:crypto';
import type { CrmItem, Person, Priority, SyncedFields, Timing } from '../../../sync/model';
import type { JsonApiResource } from './client';
import { readICalUIdTag } from '../ical-uid-tag';

export type ActivityModule = 'Meetings' | 'Calls' | 'Tasks';
export const activityModules: readonly ActivityModule[] = ['Meetings', 'Calls', 'Tasks'];

export function composeId(module: string, id: string): string {
  return `${module}:${id}`;
}

export function splitId(value: string): { module: string; id: string } | null {
  const i = value.indexOf(':');
  if (i <= 0) return null;
  return { module: value.slice(0, i), id: value.slice(i + 1) };
}

/** ISO 8601 (as the API renders) → ISO instant; '' → null. */
export function fromApiDate(value: unknown): string | null {
  if (typeof value !== 'string' || !value.trim()) return null;
  const ms = Date.parse(value.includes('T') || value.includes('+') ? value : `${value.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** ISO instant → the DB format the V8 API writes into beans (UTC). */
export function toDbDate(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19).replace('T', ' ');
}

const dayMs = 86_400_000;

/**
 * Calls and Tasks have no location field in SuiteCRM: the event's location is kept on the description's last
 * line, in a marker the connector writes and reads back (so a location never gets lost in a round trip).
 */
const locationLine = /(?:^|\n)\[\[location: (.*)\]\]$/;

export function splitLocation(description: string): { body: string; location: string } {
  const m = locationLine.exec(description);
  return m ? { body: description.slice(0, m.index), location: m[1] ?? '' } : { body: description, location: '' };
}

export function joinLocation(body: string, location: string): string {
  const clean = location.replace(/\s+/g, ' ').trim();
  return clean ? `${body}${body ? '\n' : ''}[[location: ${clean}]]` : body;
}

function timingOf(start: string | null, end: string | null): Timing | null {
  if (!start) return null;
  const e = end && end >= start ? end : start;
  const span = Date.parse(e) - Date.parse(start);
  if (start.endsWith('T00:00:00.000Z') && e.endsWith('T00:00:00.000Z') && span > 0 && span % dayMs === 0) {
    return { kind: 'all-day', startDate: start.slice(0, 10), endDate: e.slice(0, 10) };
  }
  return { kind: 'timed', start, end: e, timeZone: 'UTC' };
}

export function timingToDb(t: Timing): { start: string; end: string; minutes: number } {
  const [start, end] =
    t.kind === 'timed' ? [t.start, t.end] : [`${t.startDate}T00:00:00.000Z`, `${t.endDate}T00:00:00.000Z`];
  return {
    start: toDbDate(start),
    end: toDbDate(end),
    minutes: Math.round((Date.parse(end) - Date.parse(start)) / 60_000),
  };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

export function reminderFromSeconds(v: unknown): number | null {
  const n = Number(str(v));
  return str(v) === '' || !Number.isFinite(n) || n < 0 ? null : Math.round(n / 60);
}

const priorities: Record<string, Priority> = { High: 'high', Medium: 'normal', Low: 'low' };
export const priorityToSuite: Record<Priority, string> = { high: 'High', normal: 'Medium', low: 'Low' };

/** A person known to the CRM, from the people directory. */
export interface DirectoryPerson {
  id: string; // composed: Contacts:<id> / Leads:<id>
  email: string;
  name: string | null;
  kind: 'contact' | 'lead';
  companyId: string | null; // composed Accounts:<id>
}

export interface RecordContext {
  baseUrl: string;
  /** Related contact/lead ids (composed) of meetings and calls. */
  relatedPeople: string[];
  directory: Map<string, DirectoryPerson>; // by composed id
  me: { id: string | null; email: string | null; mailbox?: string | null };
  syncFlagField: string | null;
}

export function toCrmItem(resource: JsonApiResource, ctx: RecordContext): CrmItem {
  const module = resource.type as ActivityModule;
  const a = resource.attributes ?? {};
  const isTask = module === 'Tasks';
  const start = isTask ? fromApiDate(a['date_due']) : fromApiDate(a['date_start']);
  const end = isTask ? start : fromApiDate(a['date_end']);
  let timing = timingOf(start, end);
  if (isTask && timing?.kind === 'all-day') timing = { kind: 'timed', start: start!, end: start!, timeZone: 'UTC' };
  const peopleIds = isTask
    ? str(a['contact_id'])
      ? [composeId('Contacts', str(a['contact_id']))]
      : []
    : ctx.relatedPeople;
  const people = peopleIds.map((id) => ctx.directory.get(id)).filter((p): p is DirectoryPerson => Boolean(p));
  const attendees: Person[] = people.map((p) => (p.name ? { email: p.email, name: p.name } : { email: p.email }));
  const companyIds = new Set<string>();
  if (str(a['parent_type']) === 'Accounts' && str(a['parent_id']))
    companyIds.add(composeId('Accounts', str(a['parent_id'])));
  const status = str(a['status']);
  const flagRaw = ctx.syncFlagField ? str(a[ctx.syncFlagField]) : '';
  const fields: Omit<SyncedFields, 'timing'> & { timing: Timing | null } = {
    subject: str(a['name']),
    timing,
    ...(module === 'Meetings'
      ? { body: str(a['description']), location: str(a['location']) }
      : splitLocation(str(a['description']))),
    visibility: 'normal',
    showAs: isTask && status === 'Completed' ? 'free' : 'busy',
    attendees,
    recurrence: null,
    reminderMinutes: isTask ? null : reminderFromSeconds(a['reminder_time']),
  };
  const tag = readICalUIdTag(a['outlook_id']);
  const assigned = str(a['assigned_user_id']);
  return {
    id: composeId(module, resource.id),
    type: module === 'Meetings' ? 'meeting' : module === 'Calls' ? 'call' : 'task',
    version: versionOf(resource),
    modifiedAt: fromApiDate(a['date_modified']) ?? new Date(0).toISOString(),
    fields,
    ...(isTask ? { completed: status === 'Completed', priority: priorities[str(a['priority'])] ?? 'normal' } : {}),
    syncToCalendar: flagRaw === '' ? null : flagRaw === '1' || flagRaw === 'true',
    archived: isTask ? status === 'Deferred' : status === 'Not Held',
    iCalUId: tag.iCalUId,
    origin: tag.origin,
    url: `${ctx.baseUrl}/index.php?module=${module}&action=DetailView&record=${encodeURIComponent(resource.id)}`,
    links: { contactIds: peopleIds, companyIds: [...companyIds] },
    ownerEmails: assigned && assigned === ctx.me.id ? ownersOf(ctx.me) : [],
  };
}

/** The connected CRM user's addresses: its SuiteCRM e-mail and the connector user's mailbox (either may be missing). */
function ownersOf(me: RecordContext['me']): string[] {
  const out: string[] = [];
  for (const e of [me.mailbox, me.email]) {
    const v = e?.trim().toLowerCase();
    if (v && !out.includes(v)) out.push(v);
  }
  return out;
}

/** Attributes a version covers: what the connector maps, plus custom (_c) fields such as a Sync-to-calendar flag. */
const versioned = new Set([
  'name',
  'date_start',
  'date_end',
  'date_due',
  'duration_hours',
  'duration_minutes',
  'description',
  'location',
  'status',
  'priority',
  'reminder_time',
  'outlook_id',
  'assigned_user_id',
  'parent_type',
  'parent_id',
  'contact_id',
  'date_modified',
  'deleted',
]);

/**
 * SuiteCRM has no etag and date_modified is only minute-precise: the version is a digest of the record's
 * attributes, compared again right before an If-Match update. Only the attributes above count: a list entry
 * and a single read of the same record differ in others (`set_accept_links` appears only in single reads).
 */
export function versionOf(resource: JsonApiResource): string {
  const a = resource.attributes ?? {};
  const keys = Object.keys(a)
    .filter((k) => versioned.has(k) || k.endsWith('_c'))
    .sort();
  const digest = crypto.createHash('sha256');
  for (const k of keys) digest.update(`${k}\u0000${JSON.stringify(a[k])}\u0001`);
  return digest.digest('base64url').slice(0, 22);
}
