/**
 * Field mapping and scope rules (SPEC §4, §5): how a CRM item looks as an event ("event space"), how an event's
 * field goes back into the CRM, which fields travel in which direction, and which items are in scope.
 * Everything here is pure and depends only on the item, the settings and the providers' capabilities.
 */
import type { CalendarEvent, CrmItem, SyncedFieldName, SyncedFields, Timing } from './model';
import type { CalendarCapabilities, CrmCapabilities } from './ports';
import type { LinkedCrmInfo } from './status-store';
import type { SyncSettings } from '../shared/settings';
import { canonicalFields, contentHash, crmSubject, hashString } from './canonical';

export interface EngineEnv {
  settings: SyncSettings;
  userEmail: string;
  now: Date;
  crmCaps: CrmCapabilities;
  calCaps: CalendarCapabilities;
}

const STROKE = '\u0336';
const DAY = 86_400_000;

/** "Completed task → title shown struck through (Unicode combining stroke)". */
export function strike(s: string): string {
  return [...s.replaceAll(STROKE, '')].map((c) => c + STROKE).join('');
}

export function unstrike(s: string): string {
  return s.replaceAll(STROKE, '');
}

const windowCache = new WeakMap<EngineEnv, { start: string; now: string }>();

function envTimes(env: EngineEnv): { start: string; now: string } {
  let t = windowCache.get(env);
  if (!t) {
    t = {
      start: new Date(env.now.getTime() - env.settings.pastWindowDays * DAY).toISOString(),
      now: env.now.toISOString(),
    };
    windowCache.set(env, t);
  }
  return t;
}

export function windowStart(env: EngineEnv): string {
  return envTimes(env).start;
}

export function timingEndInstant(t: Timing): string {
  return t.kind === 'timed' ? t.end : `${t.endDate}T00:00:00.000Z`;
}

export function timingStartInstant(t: Timing): string {
  return t.kind === 'timed' ? t.start : `${t.startDate}T00:00:00.000Z`;
}

/** Only left the past window: such items are left alone (SPEC §5.1). Series are always inside. */
export function isPast(f: { timing: Timing | null; recurrence: unknown }, env: EngineEnv): boolean {
  if (!f.timing || f.recurrence) return false;
  return timingEndInstant(f.timing) < windowStart(env);
}

export function crmInfoOf(item: CrmItem): LinkedCrmInfo {
  return {
    type: item.type,
    completed: item.completed ?? false,
    priority: item.priority ?? null,
    url: item.url,
    contacts: item.links.contactIds.length,
  };
}

/** The CRM item's synced fields in canonical CRM shape; null for a task without a due date. */
export function crmCanonical(item: CrmItem, env: EngineEnv): SyncedFields | null {
  if (!item.fields.timing) return null;
  return canonicalFields({ ...item.fields, timing: item.fields.timing }, env.userEmail);
}

export function crmHash(fields: SyncedFields, info: LinkedCrmInfo): string {
  return hashString(`${contentHash(fields)}|${info.type}|${info.completed ? 1 : 0}|${info.priority ?? ''}`);
}

export function eventCanonical(e: CalendarEvent, env: EngineEnv): SyncedFields {
  return canonicalFields(e.fields, env.userEmail);
}

const BUSY_BLOCK = { subject: 'Busy', body: '', location: '', attendees: [] } as const;

/** "Sync as busy block without details": the private item's mirror carries time and free/busy only. */
function busyBlock(f: SyncedFields): SyncedFields {
  return { ...f, ...BUSY_BLOCK, attendees: [], visibility: 'private' };
}

function addMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

/** How a CRM item (canonical CRM shape + info) looks as an event. */
export function crmView(f: SyncedFields, info: LinkedCrmInfo, env: EngineEnv, busy: boolean): SyncedFields {
  let v: SyncedFields = f;
  if (info.type === 'task') {
    const t = f.timing;
    const timing: Timing =
      t.kind === 'timed'
        ? {
            kind: 'timed',
            start: t.start,
            end: addMinutes(t.start, env.settings.taskEventMinutes),
            timeZone: t.timeZone,
          }
        : t;
    v = {
      ...v,
      timing,
      subject: info.completed ? strike(f.subject) : f.subject,
      showAs: info.completed ? 'free' : f.showAs,
    };
  }
  if (env.crmCaps.reminders === false) v = { ...v, reminderMinutes: env.settings.defaultReminderMinutes };
  if (!env.settings.syncInvitees) v = { ...v, attendees: [] };
  return busy ? busyBlock(v) : v;
}

export function eventView(f: SyncedFields, busy: boolean): SyncedFields {
  return busy ? busyBlock(f) : f;
}

/** The CRM-shaped value of one event field (the reverse of crmView for that field). */
export function crmValueFromEvent<K extends SyncedFieldName>(
  name: K,
  ev: SyncedFields,
  info: LinkedCrmInfo,
): SyncedFields[K] {
  if (name === 'subject')
    return crmSubject(info.type === 'task' ? unstrike(ev.subject) : ev.subject) as SyncedFields[K];
  if (info.type === 'task') {
    if (name === 'timing' && ev.timing.kind === 'timed') {
      return {
        kind: 'timed',
        start: ev.timing.start,
        end: ev.timing.start,
        timeZone: ev.timing.timeZone,
      } as SyncedFields[K];
    }
  }
  return ev[name];
}

/** Which fields travel CRM → calendar (push) and calendar → CRM (pull) for one pair. */
export interface FieldRules {
  push: ReadonlySet<SyncedFieldName>;
  pull: ReadonlySet<SyncedFieldName>;
}

export function fieldRules(
  env: EngineEnv,
  info: LinkedCrmInfo,
  isOrganizer: boolean,
  busy: boolean,
  origin: 'crm' | 'calendar' = 'crm',
): FieldRules {
  const { settings, crmCaps, calCaps } = env;
  const push = new Set<SyncedFieldName>(['subject', 'timing', 'body', 'location', 'visibility', 'showAs']);
  const pull = new Set<SyncedFieldName>(['subject', 'timing', 'body', 'location', 'visibility']);
  if (info.type !== 'task') pull.add('showAs');
  push.add('reminderMinutes');
  if (crmCaps.reminders !== false) pull.add('reminderMinutes');
  if (crmCaps.recurrence && calCaps.recurrence) {
    push.add('recurrence');
    pull.add('recurrence');
  }
  if (settings.syncInvitees && !busy) {
    // Only the organiser's copy can carry attendees the connector writes.
    if (isOrganizer && crmCaps.invitees) push.add('attendees');
    if (crmCaps.invitees) pull.add('attendees');
  }
  if (busy) {
    // The mirror of a private item is a busy block: details travel only from the origin (as the block's values).
    for (const n of ['subject', 'body', 'location', 'attendees'] as const) {
      if (origin === 'crm') {
        pull.delete(n);
        if (n !== 'attendees' || (isOrganizer && crmCaps.invitees)) push.add(n);
      } else {
        push.delete(n);
        if (n !== 'attendees' || crmCaps.invitees) pull.add(n);
      }
    }
  }
  for (const f of crmCaps.missingFields?.[info.type] ?? []) {
    push.delete(f);
    pull.delete(f);
  }
  if (settings.direction === 'crm-to-calendar') pull.clear();
  if (settings.direction === 'calendar-to-crm') push.clear();
  return { push, pull };
}

/** Activity default of the Sync-to-calendar flag (SPEC §4). */
export function defaultSyncFlag(item: CrmItem, env: EngineEnv): boolean {
  if (item.type === 'task' || item.type === 'note') return false;
  const t = item.fields.timing;
  if (!t) return false;
  return timingStartInstant(t) >= envTimes(env).now;
}

/** A linked item keeps the flag it had when first seen, so time passing never turns an existing mirror off. */
export function effectiveSyncFlag(item: CrmItem, linked: boolean, env: EngineEnv): boolean {
  if (item.syncToCalendar !== null) return item.syncToCalendar;
  return linked || defaultSyncFlag(item, env);
}

export type CrmScope =
  { in: true } | { in: false; code: 'archived' | 'flag-off' | 'left-scope' | 'no-due-date' | 'past'; reason: string };

export function hasRelated(attendees: { email: string }[], contactIds: string[], env: EngineEnv): boolean {
  const me = env.userEmail.toLowerCase();
  return attendees.some((a) => a.email.trim().toLowerCase() !== me) || contactIds.length > 0;
}

/** Whether a CRM item should have an event (CRM → calendar). */
export function crmScope(item: CrmItem, linked: boolean, env: EngineEnv): CrmScope {
  const { settings } = env;
  if (item.archived) return { in: false, code: 'archived', reason: 'The CRM item is archived.' };
  if (item.type === 'note') return { in: false, code: 'left-scope', reason: 'Notes are never synced to the calendar.' };
  if (!settings.activityTypes.includes(item.type) || !env.crmCaps.types.includes(item.type)) {
    return {
      in: false,
      code: 'left-scope',
      reason: `Activity type "${item.type}" is not among the activity types pushed to the calendar.`,
    };
  }
  if (item.type === 'task' && !item.fields.timing) {
    return { in: false, code: 'no-due-date', reason: 'Tasks without a due date never sync.' };
  }
  if (!item.fields.timing) return { in: false, code: 'no-due-date', reason: 'The activity has no date.' };
  if (item.fields.visibility === 'private' && settings.privateEvents === 'skip') {
    return { in: false, code: 'left-scope', reason: 'Private items are skipped (private events setting).' };
  }
  if (settings.syncRecords === 'related' && !hasRelated(item.fields.attendees, item.links.contactIds, env)) {
    return {
      in: false,
      code: 'left-scope',
      reason: 'Only related items sync (no invitee or contact besides you).',
    };
  }
  if (!effectiveSyncFlag(item, linked, env)) {
    return { in: false, code: 'flag-off', reason: 'Sync to calendar is off for this item.' };
  }
  if (!linked && isPast(item.fields, env)) {
    return { in: false, code: 'past', reason: 'The item ended before the past window.' };
  }
  return { in: true };
}

export type EventScope =
  { in: true } | { in: false; code: 'cancelled' | 'left-scope' | 'past' | 'not-source'; reason: string };

/** Whether an event in a calendar should have a CRM activity (calendar → CRM). */
export function eventScope(
  e: CalendarEvent,
  sourceIds: ReadonlySet<string>,
  linked: boolean,
  env: EngineEnv,
): EventScope {
  const { settings } = env;
  if (!sourceIds.has(e.calendarId)) {
    return { in: false, code: 'not-source', reason: 'The event is not in a source calendar.' };
  }
  if (e.cancelled) return { in: false, code: 'cancelled', reason: 'The event is cancelled.' };
  if (e.fields.visibility === 'private' && settings.privateEvents === 'skip') {
    return { in: false, code: 'left-scope', reason: 'Private events are skipped (private events setting).' };
  }
  if (settings.syncRecords === 'related' && !hasRelated(e.fields.attendees, [], env)) {
    return { in: false, code: 'left-scope', reason: 'Only related events sync (no invitee besides you).' };
  }
  if (!linked && isPast(e.fields, env)) {
    return { in: false, code: 'past', reason: 'The event ended before the past window.' };
  }
  return { in: true };
}

/** Busy-block mode applies to a pair whose origin item is private. */
export function isBusy(privateOrigin: boolean, env: EngineEnv): boolean {
  return privateOrigin && env.settings.privateEvents === 'busy';
}

/** Fingerprint for re-pairing after a reset: subject + start + end. */
export function fingerprint(subject: string, timing: Timing): string {
  const t = timing.kind === 'timed' ? `${timing.start}|${timing.end}` : `${timing.startDate}|${timing.endDate}`;
  return `${unstrike(subject).trim().toLowerCase()}|${t}`;
}
