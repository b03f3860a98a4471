/**
 * Shorter JSON for the values a stored link keeps: positional arrays instead of objects, so a row does not repeat
 * the same key names 100,000 times (they were a third of a row), enum values as indexes, instants as numbers. Only values in exactly the model's shape are
 * packed; anything else (an extra key, a missing one) is kept as the object it is, so every value round-trips
 * exactly. Unpacking returns fresh objects.
 */
import type { Person, ShowAs, SyncedFieldName, SyncedFields, Timing, Visibility } from '../model';
import { syncedFieldNames } from '../model';
import type { LinkedCrmInfo } from '../status-store';

type Plain = Record<string, unknown>;

function isPlainObject(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The keys JSON keeps (an undefined value is no value) are exactly `keys`. */
function hasExactKeys(v: unknown, keys: readonly string[]): v is Plain {
  if (!isPlainObject(v)) return false;
  const defined = Object.keys(v).filter((k) => v[k] !== undefined);
  return defined.length === keys.length && keys.every((k) => v[k] !== undefined);
}

const TIMED_KEYS = ['kind', 'start', 'end', 'timeZone'];
const ALL_DAY_KEYS = ['kind', 'startDate', 'endDate'];

/**
 * A UTC instant as its epoch milliseconds (13 digits instead of 26 characters) when it is exactly the ISO form
 * Date writes back; any other string as it is.
 */
function packInstant(s: string): number | string {
  const ms = Date.parse(s);
  return Number.isFinite(ms) && new Date(ms).toISOString() === s ? ms : s;
}

function unpackInstant(packed: unknown): unknown {
  return typeof packed === 'number' ? new Date(packed).toISOString() : packed;
}

/**
 * Timed as [start, end, timeZone] (instants packed), all-day as [startDate, endDate]; null when in neither exact
 * shape. Timed instants must be strings, so a number in the packed form is always a packed instant.
 */
function packTiming(t: unknown): unknown[] | null {
  if (hasExactKeys(t, TIMED_KEYS) && t.kind === 'timed' && typeof t.start === 'string' && typeof t.end === 'string')
    return [packInstant(t.start), packInstant(t.end), t.timeZone];
  if (hasExactKeys(t, ALL_DAY_KEYS) && t.kind === 'all-day') return [t.startDate, t.endDate];
  return null;
}

function unpackTiming(packed: unknown[]): Timing {
  return (
    packed.length === 3
      ? { kind: 'timed', start: unpackInstant(packed[0]), end: unpackInstant(packed[1]), timeZone: packed[2] }
      : { kind: 'all-day', startDate: packed[0], endDate: packed[1] }
  ) as Timing;
}

/** A person as the bare e-mail string, or [email, name]; null when in neither exact shape. */
function packPerson(p: unknown): unknown {
  if (hasExactKeys(p, ['email']) && typeof p.email === 'string') return p.email;
  if (hasExactKeys(p, ['email', 'name'])) return [p.email, p.name];
  return null;
}

function unpackPerson(packed: unknown): Person {
  if (typeof packed === 'string') return { email: packed };
  const [email, name] = packed as [string, string];
  return { email, name };
}

/** The two-valued fields as their index in these lists. */
const VISIBILITIES: readonly Visibility[] = ['normal', 'private'];
const SHOW_AS: readonly ShowAs[] = ['busy', 'free'];

/**
 * Synced fields as an array in syncedFieldNames order, timing, attendees, visibility and showAs packed too. Only a
 * complete set of fields whose every part is in the model's shape is packed: the array form has no exceptions.
 */
export function packFields(f: SyncedFields): unknown {
  if (!hasExactKeys(f, syncedFieldNames)) return f;
  const timing = packTiming(f.timing);
  const attendees: unknown[] | null = Array.isArray(f.attendees) ? f.attendees.map(packPerson) : null;
  const visibility = VISIBILITIES.indexOf(f.visibility);
  const showAs = SHOW_AS.indexOf(f.showAs);
  if (timing === null || attendees === null || attendees.includes(null) || visibility < 0 || showAs < 0) return f;
  const packed: Record<SyncedFieldName, unknown> = { ...f, timing, attendees, visibility, showAs };
  return syncedFieldNames.map((n) => packed[n]);
}

export function unpackFields(packed: unknown): SyncedFields {
  if (!Array.isArray(packed)) return packed as SyncedFields;
  const f: Plain = {};
  syncedFieldNames.forEach((n, i) => (f[n] = packed[i]));
  f.timing = unpackTiming(f.timing as unknown[]);
  f.attendees = (f.attendees as unknown[]).map(unpackPerson);
  f.visibility = VISIBILITIES[f.visibility as number];
  f.showAs = SHOW_AS[f.showAs as number];
  return f as unknown as SyncedFields;
}

const INFO_KEYS = ['type', 'completed', 'priority', 'url'];
const INFO_KEYS_WITH_CONTACTS = [...INFO_KEYS, 'contacts'];

/** [type, completed, priority, url], plus contacts when set; the object itself when in neither exact shape. */
export function packCrmInfo(info: LinkedCrmInfo): unknown {
  if (hasExactKeys(info, INFO_KEYS)) return [info.type, info.completed, info.priority, info.url];
  if (hasExactKeys(info, INFO_KEYS_WITH_CONTACTS))
    return [info.type, info.completed, info.priority, info.url, info.contacts];
  return info;
}

export function unpackCrmInfo(packed: unknown): LinkedCrmInfo {
  if (!Array.isArray(packed)) return packed as LinkedCrmInfo;
  const [type, completed, priority, url] = packed as [
    LinkedCrmInfo['type'],
    boolean,
    LinkedCrmInfo['priority'],
    string | null,
  ];
  return packed.length === 5
    ? { type, completed, priority, url, contacts: packed[4] as number }
    : { type, completed, priority, url };
}
