/**
 * A linked pair, planned: sight it in the listings, classify its two sides once (link-state.ts), take the named
 * override or else the decision table's cell (overrides.ts, decision-table.ts), and carry the decision out.
 */
import type { LinkRecord, Tombstone } from '../status-store';
import type { PairBase } from '../plan';
import { crmCanonical, crmHash, crmInfoOf } from '../mapping';
import type { PlanContext } from './context';
import { decide, type Decision } from './decision-table';
import { classifyLink, FALLBACK_INFO, sightLink, untouched, type LinkState } from './link-state';
import { occurrenceKeptOut, staleMirror } from './overrides';
import { planPair } from './pair';
import { planUnlink, type UnlinkWrites } from './unlink';
import { eventHash } from './writes';

export function planLinkedPair(ctx: PlanContext, link: LinkRecord): void {
  const sighting = sightLink(ctx, link);
  if (!sighting || untouched(ctx, sighting)) return;
  const state = classifyLink(ctx, sighting);
  const direction = ctx.env.settings.direction;
  const decision = staleMirror(state, direction) ?? decide(direction, state.crm, state.calendar);
  execute(ctx, state, decision);
}

/** What each decision of the table does to the pair. */
function execute(ctx: PlanContext, s: LinkState, decision: Decision): void {
  const { link } = s;
  const unlink = (reason: string, w: UnlinkWrites = {}): void =>
    planUnlink(ctx, link, s.subject, reason, { tombstone: occurrenceKeptOut(s, ctx.env), ...w });
  const bothReasons = `${s.crmReason} ${s.calendarReason}`;
  switch (decision) {
    case 'nothing':
    case 'update-crm':
    case 'update-event':
    case 'merge-per-field':
      return mergeLinked(ctx, s);
    case 'flag-off-or-archive-crm':
      return unlink(s.calendarReason, { crm: link.origin === 'crm' ? 'flag-off' : 'archive' });
    case 'archive-crm':
      return unlink(s.calendarReason, { crm: 'archive' });
    case 'delete-event':
      return unlink(s.crmReason, { deleteEvent: true });
    case 'delete-own-event':
      return unlink(s.crmReason, { deleteEvent: link.origin === 'crm' });
    case 'delete-stale-mirror':
      return unlink(bothReasons, { deleteEvent: true, cancelled: true });
    case 'unlink':
      return unlink(bothReasons);
    case 'keep-import-home':
      return unlink(s.calendarReason, { tombstone: importNotPushedBack(ctx, s) });
    case 'not-re-created':
      return unlink(`${s.calendarReason} One-way sync: it is not re-created until the CRM item changes.`, {
        tombstone: notAgain(
          ctx,
          'calendar',
          link.crmId,
          s.item && s.crmCurrent ? crmHash(s.crmCurrent, s.crmInfo) : link.crmHash,
        ),
      });
    case 'not-re-imported':
      return unlink(`${s.crmReason} One-way sync: it is not re-imported until the event changes.`, {
        tombstone: notAgain(
          ctx,
          'crm',
          link.eventId,
          s.ev ? eventHash(s.eventCurrent, s.ev.cancelled) : link.eventHash,
        ),
      });
  }
}

function notAgain(ctx: PlanContext, side: 'crm' | 'calendar', sourceId: string, sourceHash: string): Tombstone {
  return { side, sourceId, sourceHash, createdAt: ctx.env.now.toISOString() };
}

/**
 * An imported activity whose event left scope is unlinked only; its meeting is still in the calendar, so the
 * activity must not come back as a second event (not until it changes).
 */
function importNotPushedBack(ctx: PlanContext, s: LinkState): Tombstone {
  const { link, item } = s;
  const cur = item ? crmCanonical(item, ctx.env) : link.crmFields;
  const info = item ? crmInfoOf(item) : (link.crmInfo ?? FALLBACK_INFO);
  return notAgain(ctx, 'calendar', link.crmId, cur ? crmHash(cur, info) : link.crmHash);
}

/** The cells where both sides exist: one field merge against the link's last-synced values. */
function mergeLinked(ctx: PlanContext, s: LinkState): void {
  const { link, item, ev } = s;
  // A task without a due date has nothing to merge (one-way calendar → CRM keeps its link as it is).
  if (!s.crmCurrent) return;
  const resync = ctx.input.resync;
  const base: PairBase = {
    id: link.id,
    crmId: link.crmId,
    eventId: link.eventId,
    calendarId: link.calendarId,
    iCalUId: link.iCalUId,
    origin: link.origin,
    old: link,
  };
  planPair(ctx, base, {
    crm: {
      current: s.crmCurrent,
      version: item?.version ?? link.crmVersion,
      info: s.crmInfo,
      modifiedAt: item?.modifiedAt ?? null,
      links: item?.links ?? null,
      iCalUId: item ? item.iCalUId : undefined,
      owners: null,
      previous:
        link.crmHash === '' || (resync && link.origin === 'crm')
          ? null
          : { fields: link.crmFields, info: link.crmInfo ?? FALLBACK_INFO, shown: link.heldPush?.shown },
    },
    event: {
      current: s.eventCurrent,
      version: ev?.version ?? link.eventVersion,
      modifiedAt: ev?.modifiedAt ?? null,
      isOrganizer: ev?.isOrganizer ?? link.eventIsOrganizer ?? link.origin === 'crm',
      writesNotify: ctx.writesNotify(link),
      occurrence: ev?.occurrence,
      previous: link.eventHash === '' || (resync && link.origin === 'calendar') ? null : link.eventFields,
    },
    reason: '',
  });
}
