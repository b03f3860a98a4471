/**
 * What a calendar listing cannot vouch for (issue 19), on the engine's in-memory world: a linked event an update
 * finds gone is a calendar deletion (SPEC §5.1), an event the provider could not read is a counted skip that is
 * never taken for deleted, and a repaired value is a warning in the trail.
 */
import type { CalendarProvider, ChangeSet } from '../../src/sync/ports';
import type { CalendarEvent } from '../../src/sync/model';
import { makeWorld } from './helpers';

/** The world's calendar with its listings rewritten (as a provider whose server answers that way). */
function rewriteListings(
  w: ReturnType<typeof makeWorld>,
  rewrite: (c: ChangeSet<CalendarEvent>) => ChangeSet<CalendarEvent>,
): void {
  const inner = w.cal;
  w.ctx.calendar = Object.assign(Object.create(inner) as CalendarProvider, {
    listChanges: async (...args: Parameters<CalendarProvider['listChanges']>) =>
      rewrite(await inner.listChanges(...args)),
  });
}

test('an update that finds the linked event gone turns the flag off instead of failing every run', async () => {
  const w = makeWorld();
  w.crmCreate({}, { subject: 'Another meeting' }); // so that no listing comes back empty (the deletion breaker)
  const item = w.crmCreate();
  await w.run();
  const [ev] = w.eventsFor(item.id);
  // The calendar deletes it, and its listing does not say so (a content-hash sync token); the CRM item changes.
  rewriteListings(w, (c) => ({ ...c, full: false, removedIds: [] }));
  w.cal.userDelete(ev!.id);
  w.crm.userUpdate(item.id, { subject: 'Edited in the CRM' });
  const r = await w.run();
  expect(r.errors).toEqual([]);
  expect(r.status).toBe('succeeded');
  expect(w.crm.get(item.id)).toMatchObject({ syncToCalendar: false, archived: false });
  expect(w.eventsFor(item.id)).toHaveLength(0);
  const again = await w.run();
  expect(again.errors).toEqual([]);
  expect(w.eventsFor(item.id)).toHaveLength(0);
});

test('an unreadable linked event is a counted skip with its reason, never a deletion', async () => {
  const w = makeWorld();
  const item = w.crmCreate();
  await w.run();
  const [ev] = w.eventsFor(item.id);
  const reason = 'The calendar event cannot be synced: its time zone "Mars/Olympus" is not known.';
  // A complete listing in which the event is present but unreadable.
  rewriteListings(w, (c) => ({
    ...c,
    full: true,
    upserts: c.upserts.filter((e) => e.id !== ev!.id),
    skipped: [{ id: ev!.id, reason }],
  }));
  w.store.setCursor('calendar:primary', null);
  const r = await w.run();
  expect(r.errors).toEqual([]);
  expect(r.skipped).toBe(1);
  expect(r.calendar.deleted + r.crm.updated + r.crm.archived).toBe(0);
  expect(w.crm.get(item.id)?.syncToCalendar).not.toBe(false);
  expect((await w.store.loadLinks()).map((l) => l.eventId)).toEqual([ev!.id]);
  const trail = await w.store.listTrail({ runId: r.runId }, 50);
  expect(trail).toContainEqual(
    expect.objectContaining({ eventId: ev!.id, crmId: item.id, action: 'crm:skip', reason }),
  );
});

test('a repaired value is a warning in the trail', async () => {
  const w = makeWorld();
  const item = w.crmCreate();
  await w.run();
  const [ev] = w.eventsFor(item.id);
  const reason = 'The event ends before it starts: read with its end at its start.';
  rewriteListings(w, (c) => ({ ...c, warnings: [{ id: ev!.id, reason }] }));
  const r = await w.run();
  const trail = await w.store.listTrail({ runId: r.runId }, 50);
  expect(trail).toContainEqual(expect.objectContaining({ eventId: ev!.id, action: 'calendar:warning', reason }));
});
