/**
 * The mass-deletion breaker (SPEC §5): a run that would delete more than max(10, 25 %) of one side's linked items,
 * or sees one side come back empty while links exist, stops before deleting anything and asks for confirmation.
 * On the CRM side "deleting" means archiving or turning the Sync-to-calendar flag off (CRM data is never deleted).
 */
import type { Plan } from './plan';

export function deletionThreshold(linked: number): number {
  return Math.max(10, Math.floor(linked * 0.25));
}

export function checkBreaker(plan: Plan): { crm: number; calendar: number; reason: string } | null {
  const { crm, calendar } = plan.deletions;
  const limit = deletionThreshold(plan.linked);
  if (plan.emptySides.length > 0) {
    const side = plan.emptySides.includes('crm') ? 'The CRM' : 'The calendar';
    return {
      crm,
      calendar,
      reason: `${side} returned no items although ${plan.linked} items are linked; nothing was deleted. Confirm to apply the deletions.`,
    };
  }
  if (crm > limit || calendar > limit) {
    return {
      crm,
      calendar,
      reason: `This run would remove ${calendar} calendar event(s) and archive or unflag ${crm} CRM item(s) of ${plan.linked} linked (limit ${limit}); nothing was deleted. Confirm to apply the deletions.`,
    };
  }
  return null;
}
