/**
 * Reset calendar sync (SPEC §6): forget links, cursors, conflicts, intents and tombstones, keep every event and
 * every CRM item. The store marks the user as re-pairing, so the next run pairs by tag, iCalUId, then
 * subject + start + end, creates no duplicates and sends no mail.
 */
import type { StatusStore } from './status-store';

export async function resetSync(ctx: { store: StatusStore }): Promise<void> {
  await ctx.store.reset();
  await ctx.store.setMeta({ repairing: true });
}
