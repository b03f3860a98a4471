/**
 * Reset calendar sync (SPEC §6): forget links, cursors, conflicts, intents and tombstones, keep every event and
 * every CRM item. The store marks the user as re-pairing, so the next run pairs by tag, iCalUId, then
 * subject + start + end, creates no duplicates and sends no mail.
 */
import type { Clock } from '../shared/clock';
import { recordHistoryAction } from './history';
import type { StatusStore } from './status-store';

export async function resetSync(ctx: { store: StatusStore; now: Clock }): Promise<void> {
  await ctx.store.reset();
  await ctx.store.setMeta({ repairing: true });
  const at = ctx.now();
  // Runs and trail survive a reset, so its own History entry does too.
  await recordHistoryAction(ctx.store, {
    id: `reset-${at.getTime().toString(36)}`,
    kind: 'reset',
    at: at.toISOString(),
  });
}
