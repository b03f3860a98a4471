/**
 * CRM writes of a merged pair, in the order they are sent: the update the merge pulls from the event (with the
 * people its attendees match), joining a colleague's activity for the same meeting (add-owner), and last the
 * CRM-side tag of a CRM-born meeting (set-ical-uid).
 */
import type { CrmItem, SyncedFields } from '../model';
import type { CrmWrite } from '../ports';
import type { PairBase, PlannedActionSummary } from '../plan';
import type { PlanContext } from './context';
import type { PairSides } from './field-merge';
import { owesICalUId, writesICalUId } from './writes';

export interface CrmSide {
  crmWrites: CrmWrite[];
  /** Attendee e-mails without a CRM contact (created first when the createContacts setting is on). */
  unknownEmails: string[];
  /** The link's "iCalUId owed to the CRM" note after this op (PairOp.iCalUIdOwed). */
  iCalUIdOwed: boolean;
}

export function planCrmWrites(
  ctx: PlanContext,
  base: PairBase,
  s: PairSides,
  patch: Partial<SyncedFields>,
  leavesScope: boolean,
  summaries: PlannedActionSummary[],
): CrmSide {
  const env = ctx.env;
  const ids = { crmId: base.crmId, eventId: base.eventId, subject: s.crm.current.subject };
  const crmWrites: CrmWrite[] = [];
  let unknownEmails: string[] = [];
  const patched = Object.keys(patch);
  if (patched.length > 0) {
    let links: CrmItem['links'] | undefined;
    if (patch.attendees) {
      const m = ctx.matchPeople(patch.attendees);
      unknownEmails = m.unknown;
      const known = new Set(s.crm.links?.contactIds ?? []);
      if (m.links.contactIds.some((c) => !known.has(c)) || unknownEmails.length > 0) links = m.links;
    }
    crmWrites.push({
      op: 'update',
      id: base.crmId,
      ifMatch: s.crm.version,
      fields: patch,
      ...(links ? { links } : {}),
    });
    summaries.push({
      ...ids,
      side: 'crm',
      action: 'update',
      reason: s.reason || `The event changed (${patched.join(', ')}).`,
      sendsInvitation: false,
    });
  }
  // After the update: adding an owner bumps the version the update's If-Match names.
  const owners = s.crm.owners;
  if (owners && !owners.some((o) => o.toLowerCase() === env.userEmail.toLowerCase())) {
    crmWrites.push({ op: 'add-owner', id: base.crmId, email: env.userEmail });
    summaries.push({
      ...ids,
      side: 'crm',
      action: 'link',
      reason: 'Another CRM user already has this meeting: you are added to the same activity.',
      sendsInvitation: false,
    });
  }
  // Last: the CRM-side tag of a CRM-born meeting, so an invited colleague's connector finds this activity.
  const iCalUIdWrite =
    !leavesScope &&
    owesICalUId(env, { ...base, iCalUIdOwed: base.old?.iCalUIdOwed }, () => s.crm.info.type, s.crm.iCalUId);
  if (iCalUIdWrite) {
    crmWrites.push({ op: 'set-ical-uid', id: base.crmId, iCalUId: base.iCalUId! });
    summaries.push({
      ...ids,
      side: 'crm',
      action: 'update',
      reason: 'The event’s iCalUId is stored on the CRM item, so invited colleagues share this activity.',
      sendsInvitation: false,
    });
  }
  // One-way CRM → calendar never writes it, but keeps the note for a later switch of direction.
  const iCalUIdOwed = iCalUIdWrite || (base.old?.iCalUIdOwed === true && !writesICalUId(env, s.crm.info.type));
  return { crmWrites, unknownEmails, iCalUIdOwed };
}
