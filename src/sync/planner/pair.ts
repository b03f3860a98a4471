/**
 * One pair merged (SPEC §5.1, the cells where both sides exist): the field merge decides push / pull / conflicts,
 * event-writes.ts and crm-writes.ts turn that into writes, and the pair op records what the link becomes. A pair
 * whose link would not change at all is left out of the plan.
 */
import type { PairBase, PairOp, PlannedActionSummary } from '../plan';
import { crmHash } from '../mapping';
import type { PlanContext } from './context';
import { mergeFields, pairViews, pulledPatch, type PairSides } from './field-merge';
import { planEventWrite, pullLeavesScope } from './event-writes';
import { planCrmWrites } from './crm-writes';
import { eventHash } from './writes';

export function planPair(ctx: PlanContext, base: PairBase, s: PairSides): void {
  const env = ctx.env;
  const views = pairViews(env, base, s);
  const merge = mergeFields(env, base, s, views);
  const ids = { crmId: base.crmId, eventId: base.eventId, subject: s.crm.current.subject };
  const summaries: PlannedActionSummary[] = merge.conflicts.map((c) => ({
    ...ids,
    side: c.winner === 'crm' ? 'calendar' : 'crm',
    action: 'conflict',
    reason: `“${c.field}” changed on both sides; ${c.winner === 'crm' ? 'the CRM' : 'the calendar'} value wins (${c.policy}).`,
    sendsInvitation: false,
  }));
  ctx.conflicts += merge.conflicts.length;
  const { patch, patched, next } = pulledPatch(env, s, views, merge);
  const leavesScope = pullLeavesScope(env, base, s, patch);
  const ev = planEventWrite(ctx, base, s, views, merge.push, next, leavesScope, summaries);
  const crm = planCrmWrites(ctx, base, s, patch, leavesScope, summaries);
  const old = base.old;
  const unchangedStatus =
    old !== null &&
    ev.eventWrite === null &&
    ev.held === undefined &&
    !old.heldPush &&
    !old.heldDelete &&
    crm.crmWrites.length === 0 &&
    old.crmVersion === s.crm.version &&
    old.eventVersion === s.event.version &&
    old.crmHash === crmHash(s.crm.current, s.crm.info) &&
    old.eventHash === eventHash(s.event.current, false) &&
    (old.iCalUIdOwed === true) === crm.iCalUIdOwed;
  if (unchangedStatus) return;
  if (old === null) {
    summaries.unshift({
      ...ids,
      side: base.origin === 'crm' ? 'calendar' : 'crm',
      action: 'link',
      reason: s.reason,
      sendsInvitation: false,
    });
  }
  ctx.ops.push({
    kind: 'pair',
    unlinkAfter: leavesScope && !ev.held,
    base,
    crmWrites: crm.crmWrites,
    eventWrite: ev.eventWrite,
    crmCurrent: s.crm.current,
    crmVersion: s.crm.version,
    crmInfo: s.crm.info,
    eventCurrent: s.event.current,
    eventVersion: s.event.version,
    eventIsOrganizer: s.event.isOrganizer,
    push: merge.push,
    pull: merge.pull.filter((f) => patched.includes(f)),
    unknownEmails: crm.unknownEmails,
    conflicts: merge.conflicts,
    summaries,
    reason: s.reason || summaries.map((x) => x.reason).join(' '),
    sendsInvitation: ev.sends,
    ...(s.event.writesNotify ? { eventWritesNotify: true } : {}),
    ...(ev.held ? { held: ev.held } : {}),
    ...(crm.iCalUIdOwed ? { iCalUIdOwed: true } : {}),
  } satisfies PairOp);
}
