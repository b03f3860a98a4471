/**
 * Unlinked CRM items (SPEC §5.1 "Unlinked items", CRM side; SPEC §5 CRM → calendar): a CRM item in scope with its
 * flag on and no event gets one, unless a "not again" note says its event was deleted in the calendar. (An event
 * carrying its tag was linked already, by unlinked-events.ts.)
 */
import type { CrmItem } from '../model';
import type { CreateEventOp } from '../plan';
import { crmScope, crmView, isBusy } from '../mapping';
import type { PlanContext } from './context';
import { createEventOp, crmSideOf, PERMANENT, writesICalUId } from './writes';

export function planUnlinkedCrmItems(ctx: PlanContext): void {
  for (const item of ctx.input.crm.upserts) {
    if (ctx.linkByCrm.has(item.id) || ctx.handledCrm.has(item.id)) continue;
    ctx.handledCrm.add(item.id);
    planUnlinkedCrmItem(ctx, item);
  }
}

function planUnlinkedCrmItem(ctx: PlanContext, item: CrmItem): void {
  const env = ctx.env;
  const skip = (reason: string): void =>
    ctx.skip({ side: 'calendar', crmId: item.id, eventId: null, subject: item.fields.subject, reason });
  const scope = crmScope(item, false, env);
  const tomb = ctx.tombstone('calendar', item.id);
  if (!scope.in) {
    if (scope.code !== 'archived') skip(scope.reason);
    // The user turned the flag off: a one-way "not again" note no longer applies (on means on next time).
    if (scope.code === 'flag-off' && tomb && tomb.sourceHash !== PERMANENT) {
      ctx.forget.push({ side: 'calendar', sourceId: item.id });
    }
    return;
  }
  // In scope: it has a timing (a task without a due date is out of scope).
  const crm = crmSideOf(item, env)!;
  if (tomb && (tomb.sourceHash === crm.hash || tomb.sourceHash === PERMANENT)) {
    skip('Its event was deleted in the calendar: not re-created until the CRM item changes.');
    return;
  }
  if (item.origin === 'calendar') {
    // Its meeting is (or was) in a calendar already: re-paired by iCalUId when it is in scope, never copied
    // back as a second event.
    skip('Imported from a calendar meeting: it is not copied back as a second event.');
    return;
  }
  let occurrence: CreateEventOp['draft']['occurrence'];
  if (item.occurrence) {
    const series = ctx.linkByCrm.get(item.occurrence.seriesId);
    if (!series) {
      ctx.deferred += 1;
      skip('Modified occurrence of a series that is not synced yet: it follows the series.');
      return;
    }
    occurrence = { seriesId: series.eventId, originalStart: item.occurrence.originalStart };
  }
  const busy = isBusy(crm.current.visibility === 'private', env);
  const sends = ctx.invites && crmView(crm.current, crm.info, env, busy).attendees.length > 0;
  if (sends) ctx.invitations += 1;
  // Written unless the CRM cannot store it or is the one-way source; the applier skips it when the new event's
  // iCalUId is the one the item already has.
  const iCalUIdToCrm = writesICalUId(env, item.type);
  ctx.ops.push(
    createEventOp(
      item,
      {
        calendarId: ctx.input.calendars.targetCalendarId,
        reason: 'In scope with Sync to calendar on: a calendar event is created.',
        sendsInvitation: sends,
        iCalUIdToCrm,
        ...(occurrence ? { occurrence } : {}),
      },
      env,
    ),
  );
}
