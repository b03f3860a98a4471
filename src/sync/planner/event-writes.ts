/**
 * Event writes of a merged pair: the update the merge pushes to the event, or its deletion when a pulled change
 * takes a CRM-born item out of scope — or neither, held back while invitations are off (held-writes override).
 */
import type { CrmItem, SyncedFieldName, SyncedFields } from '../model';
import type { EventWrite } from '../ports';
import type { PairBase, PairOp, PlannedActionSummary } from '../plan';
import { crmScope, type EngineEnv } from '../mapping';
import type { PlanContext } from './context';
import type { PairSides, PairViews } from './field-merge';
import { holdsEventWrite } from './overrides';

export interface EventSide {
  eventWrite: EventWrite | null;
  sends: boolean;
  held: PairOp['held'];
  /** The event is deleted because the CRM item left scope: the link goes once both writes succeeded. */
  leavesScope: boolean;
}

/**
 * The pulled change takes a CRM-born item out of scope (its last invitee was removed in the calendar, say): the
 * CRM is updated and the event deleted in this same run, as the next run would otherwise do.
 */
export function pullLeavesScope(env: EngineEnv, base: PairBase, s: PairSides, patch: Partial<SyncedFields>): boolean {
  if (base.origin !== 'crm' || base.old === null || Object.keys(patch).length === 0) return false;
  const info = s.crm.info;
  const item: CrmItem = {
    id: base.crmId,
    type: info.type,
    version: s.crm.version,
    modifiedAt: '',
    fields: { ...s.crm.current, ...patch },
    syncToCalendar: true,
    archived: false,
    iCalUId: null,
    origin: 'crm',
    url: info.url,
    links: {
      contactIds: s.crm.links?.contactIds ?? new Array<string>(info.contacts ?? 0).fill('?'),
      companyIds: [],
    },
    ownerEmails: [],
  };
  return !crmScope(item, true, env).in;
}

export function planEventWrite(
  ctx: PlanContext,
  base: PairBase,
  s: PairSides,
  v: PairViews,
  push: SyncedFieldName[],
  next: SyncedFields,
  leavesScope: boolean,
  summaries: PlannedActionSummary[],
): EventSide {
  const ids = { crmId: base.crmId, eventId: base.eventId, subject: s.crm.current.subject };
  if (holdsEventWrite(ctx.invites, s.event.writesNotify) && (leavesScope || push.length > 0)) {
    return { eventWrite: null, sends: false, held: hold(ctx, v, push, leavesScope, ids), leavesScope };
  }
  if (leavesScope) {
    push.length = 0;
    const sends =
      ctx.invites && ((s.event.isOrganizer && s.event.current.attendees.length > 0) || s.event.writesNotify);
    if (sends) ctx.invitations += 1;
    ctx.deletions.calendar += 1;
    summaries.push({
      ...ids,
      side: 'calendar',
      action: 'delete',
      reason: 'After the calendar change the CRM item is out of scope: its event is removed.',
      sendsInvitation: sends,
    });
    return {
      eventWrite: { op: 'delete', id: base.eventId, ifMatch: null, sendCancellations: sends },
      sends,
      held: undefined,
      leavesScope,
    };
  }
  if (push.length === 0) return { eventWrite: null, sends: false, held: undefined, leavesScope };
  const fields: SyncedFields = { ...s.event.current };
  for (const f of push) (fields as unknown as Record<string, unknown>)[f] = next[f];
  // A write that mails anyway (writesNotify) is an update the attendees get: allowed, and counted, with invitations on.
  const sends = ctx.invites && ((s.event.isOrganizer && fields.attendees.length > 0) || s.event.writesNotify);
  if (sends) ctx.invitations += 1;
  summaries.push({
    ...ids,
    side: 'calendar',
    action: 'update',
    reason: s.reason || `The CRM item changed (${push.join(', ')}).`,
    sendsInvitation: sends,
  });
  const eventWrite: EventWrite = {
    op: 'update',
    id: base.eventId,
    ifMatch: s.event.version,
    draft: {
      fields,
      crmTag: base.crmId,
      crmUrl: s.crm.info.url,
      sendInvitations: sends,
      priority: s.crm.info.priority,
      ...(s.event.occurrence ? { occurrence: s.event.occurrence } : {}),
    },
  };
  return { eventWrite, sends, held: undefined, leavesScope };
}

/**
 * Held writes override: a write to this event would e-mail its attendees whatever we ask, so while invitations are
 * off the CRM change is kept and owed to the event (remembered in the link, pushed once invitations are on).
 */
function hold(
  ctx: PlanContext,
  v: PairViews,
  push: SyncedFieldName[],
  leavesScope: boolean,
  ids: { crmId: string; eventId: string; subject: string },
): PairOp['held'] {
  // What the event still shows: next time the CRM's view is compared with this, so the change stays owed.
  const fields = leavesScope ? [] : [...push];
  const shown: Partial<SyncedFields> = {};
  for (const f of fields) (shown as Record<string, unknown>)[f] = v.event[f];
  push.length = 0;
  ctx.skip({
    ...ids,
    side: 'calendar',
    reason: leavesScope
      ? 'After the calendar change the CRM item is out of scope. Deleting this meeting in the calendar would e-mail its attendees; invitations are off: it is left in place and deleted once invitations are on.'
      : `Updating this meeting in the calendar would e-mail its attendees; invitations are off: the CRM change (${fields.join(', ')}) is kept and not written to the calendar until invitations are on.`,
  });
  return { push: fields.length > 0 ? { shown } : null, delete: leavesScope };
}
