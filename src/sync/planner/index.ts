/**
 * The planner: a pure function from (changes on both sides, status, effective settings) to a plan (SPEC §5, §5.1).
 * It performs no I/O and reads no clock: everything it needs is in PlanInput, so every rule is unit-testable.
 *
 * Read it beside SPEC §5.1, in this order:
 * - link-state.ts — a linked pair's two sides, classified once (the table's row and column);
 * - decision-table.ts — §5.1 as a table per sync direction; overrides.ts — the named exceptions to it;
 * - linked-pair.ts — a linked pair: classify, decide, carry the decision out;
 * - pair.ts with field-merge.ts, event-writes.ts, crm-writes.ts — the merge of a pair whose sides both exist;
 * - unlink.ts — a pair coming apart; unlinked-events.ts and unlinked-crm-items.ts — items without a link;
 * - writes.ts — keys, drafts and owed writes (shared with the preview, the applier and the listing filter);
 * - context.ts — the input, indexed, and the plan being built.
 */
import type { Plan } from '../plan';
import { PlanContext, type PlanInput } from './context';
import { planLinkedPair } from './linked-pair';
import { planUnlinkedCrmItems } from './unlinked-crm-items';
import { planUnlinkedEvents } from './unlinked-events';

export type { PlanInput, Listing } from './context';
export {
  PERMANENT,
  createKey,
  crmSideOf,
  crmItemUnchanged,
  eventHash,
  eventUnchanged,
  invitationsActive,
  linkId,
  summariesOf,
  writesICalUId,
} from './writes';

export function plan(input: PlanInput): Plan {
  const ctx = new PlanContext(input);
  for (const link of input.links) planLinkedPair(ctx, link);
  planUnlinkedEvents(ctx);
  if (ctx.env.settings.direction !== 'calendar-to-crm') planUnlinkedCrmItems(ctx);
  else for (const item of input.crm.upserts) ctx.handledCrm.add(item.id);
  return ctx.result();
}
