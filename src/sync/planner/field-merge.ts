/**
 * Field merge of one pair (SPEC §5.1 "merge per field"): which fields the event takes from the CRM (push) and the
 * CRM takes from the event (pull), and the conflicts. Both sides are compared in event space (crmView/eventView).
 */
import type { CrmItem, OccurrenceRef, SyncedFieldName, SyncedFields } from '../model';
import { syncedFieldNames } from '../model';
import type { LinkedCrmInfo } from '../status-store';
import type { PairBase, PlannedConflict } from '../plan';
import { fieldKey } from '../canonical';
import { crmValueFromEvent, crmView, eventView, fieldRules, isBusy, type EngineEnv, type FieldRules } from '../mapping';
import { mirrorTakesField } from './overrides';

/** Both sides of a pair as the merge needs them. */
export interface PairSides {
  crm: {
    current: SyncedFields;
    version: string;
    info: LinkedCrmInfo;
    modifiedAt: string | null;
    links: CrmItem['links'] | null;
    /** The CRM item's iCalUId tag; undefined when the item is not in this listing. */
    iCalUId: string | null | undefined;
    /** Owners to join (a colleague's activity for the same meeting); null: not asked. */
    owners: string[] | null;
    /**
     * Last-synced values; null: treat the whole side as changed. `shown`: fields owed to the event (held back), as
     * the event still shows them: compared instead.
     */
    previous: { fields: SyncedFields; info: LinkedCrmInfo; shown?: Partial<SyncedFields> | undefined } | null;
  };
  event: {
    current: SyncedFields;
    version: string;
    modifiedAt: string | null;
    isOrganizer: boolean;
    /** Any write to the event e-mails its attendees (CalendarEvent.writesNotifyAttendees). */
    writesNotify: boolean;
    occurrence: OccurrenceRef | undefined;
    /** Last-synced values; null: treat the whole side as changed. */
    previous: SyncedFields | null;
  };
  /** Why the pair is planned (a fresh match says why it matched); '' for a linked pair. */
  reason: string;
}

/** Both sides in event space, now and as last synced, with the field rules of the pair. */
export interface PairViews {
  rules: FieldRules;
  /** The CRM side is seen as a busy block (its origin is private, busy-block mode). */
  crmBusy: boolean;
  crm: SyncedFields;
  crmPrevious: SyncedFields | null;
  event: SyncedFields;
  eventPrevious: SyncedFields | null;
}

export function pairViews(env: EngineEnv, base: PairBase, s: PairSides): PairViews {
  const origin = base.origin === 'crm' ? s.crm.current : s.event.current;
  const busy = isBusy(origin.visibility === 'private', env);
  const rules = fieldRules(env, s.crm.info, s.event.isOrganizer, busy, base.origin);
  // Only the origin side is seen as a busy block; the mirror is compared as it is, so it becomes one.
  const crmBusy = busy && base.origin === 'crm';
  const evBusy = busy && base.origin === 'calendar';
  const prev = s.crm.previous;
  return {
    rules,
    crmBusy,
    crm: crmView(s.crm.current, s.crm.info, env, crmBusy),
    crmPrevious: prev ? { ...crmView(prev.fields, prev.info, env, crmBusy), ...(prev.shown ?? {}) } : null,
    event: eventView(s.event.current, evBusy),
    eventPrevious: s.event.previous ? eventView(s.event.previous, evBusy) : null,
  };
}

export interface FieldMerge {
  push: SyncedFieldName[];
  pull: SyncedFieldName[];
  conflicts: PlannedConflict[];
}

export function mergeFields(env: EngineEnv, base: PairBase, s: PairSides, v: PairViews): FieldMerge {
  const direction = env.settings.direction;
  const { rules } = v;
  const changed = (f: SyncedFieldName, now: SyncedFields, prev: SyncedFields | null): boolean =>
    prev === null || fieldKey(f, now) !== fieldKey(f, prev);
  const crmChangedAny =
    v.crmPrevious === null || syncedFieldNames.some((f) => rules.push.has(f) && changed(f, v.crm, v.crmPrevious));
  const evChangedAny =
    v.eventPrevious === null || syncedFieldNames.some((f) => rules.pull.has(f) && changed(f, v.event, v.eventPrevious));
  const out: FieldMerge = { push: [], pull: [], conflicts: [] };
  for (const f of syncedFieldNames) {
    const inPush = rules.push.has(f);
    const inPull = rules.pull.has(f);
    if (!inPush && !inPull) continue;
    if (fieldKey(f, v.crm) === fieldKey(f, v.event)) continue;
    if (direction === 'crm-to-calendar') {
      if (mirrorTakesField(crmChangedAny, inPush)) out.push.push(f);
      continue;
    }
    if (direction === 'calendar-to-crm') {
      if (mirrorTakesField(evChangedAny, inPull)) out.pull.push(f);
      continue;
    }
    mergeTwoWay(f, changed(f, v.crm, v.crmPrevious), changed(f, v.event, v.eventPrevious), inPush, inPull, out, () =>
      conflict(env, base, s, v, f),
    );
  }
  return out;
}

/** One field, two-way: the side that changed wins; both changed → the conflict policy. */
function mergeTwoWay(
  f: SyncedFieldName,
  crmChanged: boolean,
  evChanged: boolean,
  inPush: boolean,
  inPull: boolean,
  out: FieldMerge,
  conflictOf: () => PlannedConflict,
): void {
  // A change the other side cannot carry (attendees of a meeting the user does not organise, a task's
  // free/busy) is undone from the side that is authoritative for that field, so the pair converges.
  if (crmChanged && !evChanged) {
    if (inPush) out.push.push(f);
    else out.pull.push(f);
  } else if (evChanged && !crmChanged) {
    if (inPull) out.pull.push(f);
    else out.push.push(f);
  } else if (crmChanged && evChanged) {
    if (inPush && inPull) {
      const c = conflictOf();
      out.conflicts.push(c);
      (c.winner === 'crm' ? out.push : out.pull).push(f);
    } else if (inPush) out.push.push(f);
    else if (inPull) out.pull.push(f);
  }
}

function conflict(env: EngineEnv, base: PairBase, s: PairSides, v: PairViews, f: SyncedFieldName): PlannedConflict {
  return {
    crmId: base.crmId,
    eventId: base.eventId,
    field: f,
    crmValue: v.crm[f],
    calendarValue: v.event[f],
    winner: conflictWinner(env, s.crm.modifiedAt, s.event.modifiedAt),
    policy: env.settings.conflictPolicy,
  };
}

function conflictWinner(env: EngineEnv, crmAt: string | null, evAt: string | null): 'crm' | 'calendar' {
  const policy = env.settings.conflictPolicy;
  if (policy === 'crm-wins') return 'crm';
  if (policy === 'calendar-wins') return 'calendar';
  if (crmAt && evAt) return Date.parse(evAt) > Date.parse(crmAt) ? 'calendar' : 'crm';
  return evAt && !crmAt ? 'calendar' : 'crm';
}

/**
 * What the CRM will hold after the pull, seen as an event. A pulled value can look different on the event (a
 * completed task's title is struck through): the event then takes that form too (added to `push`).
 */
export function pulledPatch(
  env: EngineEnv,
  s: PairSides,
  v: PairViews,
  merge: FieldMerge,
): { patch: Partial<SyncedFields>; patched: SyncedFieldName[]; next: SyncedFields } {
  const patch: Partial<SyncedFields> = {};
  for (const f of merge.pull) {
    const value = crmValueFromEvent(f, v.event, s.crm.info);
    const next = { ...s.crm.current, [f]: value } as SyncedFields;
    if (fieldKey(f, next) !== fieldKey(f, s.crm.current)) (patch as Record<string, unknown>)[f] = value;
  }
  const patched = Object.keys(patch) as SyncedFieldName[];
  const next = patched.length > 0 ? crmView({ ...s.crm.current, ...patch }, s.crm.info, env, v.crmBusy) : v.crm;
  for (const f of merge.pull) {
    if (v.rules.push.has(f) && !merge.push.includes(f) && fieldKey(f, next) !== fieldKey(f, v.event))
      merge.push.push(f);
  }
  return { patch, patched, next };
}
