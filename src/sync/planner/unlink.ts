/**
 * Unlink: a pair comes apart. Maybe one write — delete the event, archive the CRM item or turn its Sync-to-calendar
 * flag off — then the link is forgotten (SPEC §5.1 cells "…; unlink").
 */
import type { CrmWrite, EventWrite } from '../ports';
import type { LinkRecord, Tombstone } from '../status-store';
import type { PlannedActionSummary, UnlinkOp } from '../plan';
import type { PlanContext } from './context';
import { PERMANENT } from './writes';
import { holdsEventWrite, occurrenceStays } from './overrides';

export interface UnlinkWrites {
  deleteEvent?: boolean;
  /** The event is cancelled already: deleting it tells nobody anything new. */
  cancelled?: boolean;
  crm?: 'archive' | 'flag-off' | null;
  /** A "not again" note to leave. */
  tombstone?: Tombstone | null;
}

export function planUnlink(ctx: PlanContext, link: LinkRecord, subject: string, reason: string, w: UnlinkWrites): void {
  if (w.deleteEvent) {
    const stays = occurrenceStays(link, reason, ctx.env);
    if (stays) {
      w = { ...w, deleteEvent: false, tombstone: stays.tombstone };
      reason = stays.reason;
    }
  }
  const base = { crmId: link.crmId, eventId: link.eventId, subject };
  // Deleting a cancelled event tells nobody anything new, unless the calendar mails on any write to it anyway.
  const quiet = w.cancelled === true && !ctx.writesNotify(link);
  if (w.deleteEvent && !quiet && holdsEventWrite(ctx.invites, ctx.writesNotify(link))) {
    holdDeletion(ctx, link, base, reason);
    return;
  }
  const summaries: PlannedActionSummary[] = [];
  let eventWrite: EventWrite | null = null;
  let sends = false;
  if (w.deleteEvent) {
    // The event as it is now when listed: attendees the user added in the calendar since are cancelled too.
    const now = ctx.evById.get(link.eventId);
    const organizer = now?.isOrganizer ?? link.eventIsOrganizer ?? link.origin === 'crm';
    const attendees = (now?.fields ?? link.eventFields).attendees.length;
    sends = ctx.invites && !quiet && ((organizer && attendees > 0) || ctx.writesNotify(link));
    eventWrite = { op: 'delete', id: link.eventId, ifMatch: null, sendCancellations: sends };
    if (sends) ctx.invitations += 1;
    ctx.deletions.calendar += 1;
    summaries.push({ ...base, side: 'calendar', action: 'delete', reason, sendsInvitation: sends });
  }
  const crm = crmWrite(ctx, link, w, summaries, base, reason);
  summaries.push({ ...base, side: 'calendar', action: 'unlink', reason, sendsInvitation: false });
  const op: UnlinkOp = {
    kind: 'unlink',
    link,
    crmWrite: crm.write,
    eventWrite,
    tombstone: crm.tombstone,
    deletes: { crm: crm.write !== null, calendar: eventWrite !== null },
    summaries,
    reason: reason.trim(),
    sendsInvitation: sends,
  };
  ctx.ops.push(op);
}

/** The CRM side of an unlink: archive or flag off where the CRM can, else a note in our own store. */
function crmWrite(
  ctx: PlanContext,
  link: LinkRecord,
  w: UnlinkWrites,
  summaries: PlannedActionSummary[],
  base: { crmId: string; eventId: string; subject: string },
  reason: string,
): { write: CrmWrite | null; tombstone: Tombstone | null } {
  const caps = ctx.env.crmCaps;
  if (w.crm === 'archive' && caps.archive) {
    ctx.deletions.crm += 1;
    summaries.push({ ...base, side: 'crm', action: 'archive', reason, sendsInvitation: false });
    return { write: { op: 'archive', id: link.crmId }, tombstone: w.tombstone ?? null };
  }
  if (w.crm === 'flag-off' && caps.syncFlagField) {
    ctx.deletions.crm += 1;
    summaries.push({ ...base, side: 'crm', action: 'set-sync-flag', reason, sendsInvitation: false });
    return { write: { op: 'set-sync-flag', id: link.crmId, value: false }, tombstone: w.tombstone ?? null };
  }
  if (w.crm) {
    // The CRM cannot archive / has no flag field: remember in our own store that this item must not come back
    // (permanently, as an archive or a flag turned off would be).
    const at = ctx.env.now.toISOString();
    return { write: null, tombstone: { side: 'calendar', sourceId: link.crmId, sourceHash: PERMANENT, createdAt: at } };
  }
  return { write: null, tombstone: w.tombstone ?? null };
}

/**
 * Held writes override: deleting the event would e-mail cancellations while invitations are off (SPEC §5), so
 * the deletion is owed instead. The link stays, marked, so nothing re-plans it until invitations are active or
 * either side changes again.
 */
function holdDeletion(
  ctx: PlanContext,
  link: LinkRecord,
  base: { crmId: string; eventId: string; subject: string },
  reason: string,
): void {
  if (link.heldDelete) return;
  const why = `${reason.trim()} Deleting this meeting in the calendar would e-mail its attendees; invitations are off: it is left in place and deleted once invitations are on.`;
  ctx.skip({ ...base, side: 'calendar', reason: why });
  ctx.ops.push({
    kind: 'unlink',
    link,
    crmWrite: null,
    eventWrite: null,
    tombstone: null,
    deletes: { crm: false, calendar: false },
    summaries: [],
    reason: why,
    sendsInvitation: false,
    keepLink: { ...link, heldDelete: true, eventWritesNotify: true },
  });
}
