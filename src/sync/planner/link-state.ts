/**
 * A linked pair's two sides, classified once (SPEC §5.1): the CRM side is unchanged / changed / deleted (deleted,
 * archived or flag off) / left scope; the calendar side is unchanged / changed / deleted / cancelled (or, for an
 * imported pair, left scope). "Changed" compares canonical values with the link's last-synced ones, never versions.
 */
import type { CalendarEvent, CrmItem, SyncedFields } from '../model';
import type { LinkRecord, LinkedCrmInfo } from '../status-store';
import { crmCanonical, crmHash, crmInfoOf, crmScope, eventCanonical, eventScope, isPast } from '../mapping';
import type { CalendarSide, CrmSide } from './decision-table';
import type { PlanContext } from './context';
import { eventHash, owesICalUId } from './writes';
import { heldDeletionOwed } from './overrides';

/** Stands in for the CRM item's info on links stored before the engine kept it. */
export const FALLBACK_INFO: LinkedCrmInfo = { type: 'meeting', completed: false, priority: null, url: null };

/** What the listings say about a linked pair's two items. */
export interface LinkSighting {
  link: LinkRecord;
  /** The items as listed (undefined: not listed, i.e. as last synced unless deleted). */
  item: CrmItem | undefined;
  ev: CalendarEvent | undefined;
  crmDeleted: boolean;
  evDeleted: boolean;
}

/** Why the CRM side is what it is (finer than the table's row: the overrides and reasons need it). */
export type CrmCause = 'deleted' | 'archived' | 'flag-off' | 'held-delete' | 'left-scope' | null;

export interface LinkState extends LinkSighting {
  crm: CrmSide;
  calendar: CalendarSide;
  crmCause: CrmCause;
  crmReason: string;
  calendarReason: string;
  /** The CRM item's subject (as listed, else as last synced). */
  subject: string;
  /** Canonical values now (as last synced when not listed); null: a task without a due date. */
  crmCurrent: SyncedFields | null;
  crmInfo: LinkedCrmInfo;
  eventCurrent: SyncedFields;
}

/**
 * What the listings say about a link; null when the pair is left alone this run: its calendar is no longer synced,
 * its event is unreadable, or an item only left the past window (SPEC §5.1: such items are left alone).
 */
export function sightLink(ctx: PlanContext, link: LinkRecord): LinkSighting | null {
  if (!ctx.calFull.has(link.calendarId)) return null;
  const item = ctx.crmById.get(link.crmId);
  const ev = ctx.evById.get(link.eventId);
  ctx.handledCrm.add(link.crmId);
  ctx.handledEv.add(link.eventId);
  // The event is there but unreadable (skipped with its reason): its pair waits until it can be read again.
  if (!ev && ctx.evSkipped.has(link.eventId) && !ctx.evRemoved.has(link.eventId)) return null;
  let crmDeleted = ctx.crmRemoved.has(link.crmId);
  let evDeleted = ctx.evRemoved.has(link.eventId);
  if (!item && !crmDeleted && ctx.input.crm.full && !ctx.crmUnchanged.has(link.crmId)) {
    // Absent from a complete listing: deleted, unless it only left the past window (then left alone).
    if (isPast({ timing: link.crmFields.timing, recurrence: link.crmFields.recurrence }, ctx.env)) return null;
    crmDeleted = true;
  }
  if (
    !ev &&
    !evDeleted &&
    ctx.calFull.get(link.calendarId) &&
    !ctx.evUnchanged.get(link.calendarId)?.has(link.eventId)
  ) {
    if (isPast(link.eventFields, ctx.env)) return null;
    evDeleted = true;
  }
  return { link, item, ev, crmDeleted, evDeleted };
}

/**
 * Nothing to plan: both items are as last synced (same versions), nothing is owed or held for a write that may
 * now go out, and the settings did not change. The cheap check every unchanged link of a run takes.
 */
export function untouched(ctx: PlanContext, s: LinkSighting): boolean {
  const { link, item, ev } = s;
  // Same version as last synced ⇒ unchanged (a new version may still be no change: classify checks by content).
  const crmSame = !item || item.version === link.crmVersion;
  const evSame = !ev || ev.version === link.eventVersion;
  return (
    crmSame &&
    evSame &&
    !s.crmDeleted &&
    !s.evDeleted &&
    !ctx.input.resync &&
    link.crmHash !== '' &&
    link.eventHash !== '' &&
    !(ctx.invites && (link.heldPush || link.heldDelete)) &&
    !owesICalUId(ctx.env, link, () => item?.type ?? link.crmInfo?.type ?? 'meeting', item ? item.iCalUId : undefined)
  );
}

/** The pair's two sides as the decision table's row and column. */
export function classifyLink(ctx: PlanContext, s: LinkSighting): LinkState {
  const { link, item, ev } = s;
  const env = ctx.env;
  const crmCurrent = item ? crmCanonical(item, env) : link.crmFields;
  const crmInfo = item ? crmInfoOf(item) : (link.crmInfo ?? FALLBACK_INFO);
  const eventCurrent = ev ? eventCanonical(ev, env) : link.eventFields;
  const crm = crmSide(ctx, s, crmCurrent, crmInfo);
  const calendar = calendarSide(ctx, s, eventCurrent);
  return {
    ...s,
    ...crm,
    ...calendar,
    subject: item?.fields.subject ?? link.crmFields.subject,
    crmCurrent,
    crmInfo,
    eventCurrent,
  };
}

function crmSide(
  ctx: PlanContext,
  s: LinkSighting,
  current: SyncedFields | null,
  info: LinkedCrmInfo,
): { crm: CrmSide; crmCause: CrmCause; crmReason: string } {
  const { link, item } = s;
  const env = ctx.env;
  // One-way calendar → CRM: the CRM is the target, its calendar scope (type, flag) does not apply; only a
  // deletion or an archive counts.
  const scoped = env.settings.direction !== 'calendar-to-crm';
  if (s.crmDeleted) return { crm: 'deleted', crmCause: 'deleted', crmReason: 'The CRM item was deleted.' };
  if (heldDeletionOwed(link, item)) {
    return {
      crm: 'deleted',
      crmCause: 'held-delete',
      crmReason: 'The CRM item no longer has a calendar event (deleted, archived, out of scope or flag off).',
    };
  }
  if (item) {
    const scope = crmScope(item, true, env);
    // An imported pair's scope is the event's (calendarSide); from the CRM side only archive / flag off count.
    const counts = link.origin === 'crm' || scope.in || scope.code === 'archived' || scope.code === 'flag-off';
    if (!scope.in && counts) {
      const cause = scope.code === 'archived' ? 'archived' : scope.code === 'flag-off' ? 'flag-off' : 'left-scope';
      if (cause === 'archived') return { crm: 'deleted', crmCause: cause, crmReason: scope.reason };
      if (scoped)
        return { crm: cause === 'flag-off' ? 'deleted' : 'left-scope', crmCause: cause, crmReason: scope.reason };
      return { crm: crmChange(ctx, s, current, info), crmCause: cause, crmReason: scope.reason };
    }
  }
  if (!current && scoped) {
    return { crm: 'left-scope', crmCause: 'left-scope', crmReason: 'Tasks without a due date never sync.' };
  }
  return { crm: crmChange(ctx, s, current, info), crmCause: null, crmReason: '' };
}

/** The CRM item's synced values differ from the last-synced ones (or the link has none to compare with). */
function crmChange(
  ctx: PlanContext,
  s: LinkSighting,
  current: SyncedFields | null,
  info: LinkedCrmInfo,
): 'unchanged' | 'changed' {
  const { link, item } = s;
  if (link.crmHash === '' || (ctx.input.resync && link.origin === 'crm') || link.heldPush || !current) return 'changed';
  if (!item || item.version === link.crmVersion) return 'unchanged';
  return crmHash(current, info) === link.crmHash ? 'unchanged' : 'changed';
}

function calendarSide(
  ctx: PlanContext,
  s: LinkSighting,
  current: SyncedFields,
): { calendar: CalendarSide; calendarReason: string } {
  const { link, ev } = s;
  if (s.evDeleted) return { calendar: 'deleted', calendarReason: 'The event was deleted in the calendar.' };
  if (ev?.cancelled) return { calendar: 'cancelled', calendarReason: 'The event was cancelled.' };
  if (ev && link.origin === 'calendar') {
    const scope = eventScope(ev, ctx.sources, true, ctx.env);
    if (!scope.in) return { calendar: 'left-scope', calendarReason: scope.reason };
  }
  if (link.eventHash === '' || (ctx.input.resync && link.origin === 'calendar')) {
    return { calendar: 'changed', calendarReason: '' };
  }
  if (!ev || ev.version === link.eventVersion) return { calendar: 'unchanged', calendarReason: '' };
  return { calendar: eventHash(current, false) === link.eventHash ? 'unchanged' : 'changed', calendarReason: '' };
}
