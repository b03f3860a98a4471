/**
 * The listing filter (ports ListingFilter): items listed exactly as last synced are dropped while listing, so a
 * complete listing of 100k unchanged items is never held whole. Dropped items must still count as present: an item
 * a complete listing really leaves out is gone, one it dropped as unchanged is not.
 */
import type { CrmProvider, CalendarProvider, ListingFilter } from '../../src/sync/ports';
import { calendarCursorKey, crmCursorKey } from '../../src/sync/run';
import type { CalendarEvent, CrmItem } from '../../src/sync/model';
import { ProviderError } from '../../src/sync/errors';
import { fields, makeWorld, type World } from './helpers';

/** Wraps the world's providers to count what each listing returned and what the filter dropped. */
function watchListings(w: World): {
  returned: { crm: number; calendar: number };
  dropped: { crm: number; calendar: number };
} {
  const seen = { returned: { crm: 0, calendar: 0 }, dropped: { crm: 0, calendar: 0 } };
  const counting = <T>(side: 'crm' | 'calendar', keep: ListingFilter<T> | undefined): ListingFilter<T> | undefined =>
    keep &&
    ((x: T) => {
      const kept = keep(x);
      if (!kept) seen.dropped[side] += 1;
      return kept;
    });
  const crm: CrmProvider = w.crm;
  const cal: CalendarProvider = w.cal;
  w.ctx.crm = {
    ...crm,
    capabilities: crm.capabilities,
    listChanges: async (cursor, window, keep) => {
      const c = await crm.listChanges.call(w.crm, cursor, window, counting<CrmItem>('crm', keep));
      seen.returned.crm += c.upserts.length;
      return c;
    },
    findByICalUId: (ids) => crm.findByICalUId.call(w.crm, ids),
    lookupPeople: (emails) => crm.lookupPeople.call(w.crm, emails),
    writeItems: (writes) => crm.writeItems.call(w.crm, writes),
  };
  w.ctx.calendar = {
    ...cal,
    capabilities: cal.capabilities,
    listCalendars: () => cal.listCalendars.call(w.cal),
    listChanges: async (id, cursor, window, keep) => {
      const c = await cal.listChanges.call(w.cal, id, cursor, window, counting<CalendarEvent>('calendar', keep));
      seen.returned.calendar += c.upserts.length;
      return c;
    },
    findByTag: (id, crmIds) => cal.findByTag.call(w.cal, id, crmIds),
    writeEvents: (id, writes) => cal.writeEvents.call(w.cal, id, writes),
  };
  return seen;
}

/** The next listing of that side is complete (as after an expired cursor). */
async function listInFull(w: World, side: 'crm' | 'calendar'): Promise<void> {
  await w.store.setCursor(side === 'crm' ? crmCursorKey() : calendarCursorKey('primary'), null);
}

/** A synced world of three meetings whose next listings are complete again. */
async function syncedThree(): Promise<{ w: World; ids: string[] }> {
  const w = makeWorld();
  const ids = [1, 2, 3].map((n) => w.crmCreate({}, { subject: `Meeting ${n}` }).id);
  await w.run();
  await w.run();
  await listInFull(w, 'crm');
  await listInFull(w, 'calendar');
  return { w, ids };
}

describe('complete listings drop what is unchanged', () => {
  test('nothing unchanged reaches the planner, and a quiet run stays quiet', async () => {
    const { w } = await syncedThree();
    const seen = watchListings(w);
    const before = w.writes();
    const r = await w.run();
    expect(r.status).toBe('succeeded');
    expect(w.writes()).toEqual(before);
    expect(seen.dropped).toEqual({ crm: 3, calendar: 3 });
    expect(seen.returned).toEqual({ crm: 0, calendar: 0 });
    expect(r.pendingDeletions).toBeNull();
  });

  test('an item a complete listing really leaves out is still gone: its event is deleted', async () => {
    const { w, ids } = await syncedThree();
    const [gone, kept] = ids as [string, string];
    const events = w.cal.all().length;
    w.crm.userDelete(gone);
    await listInFull(w, 'crm');
    const seen = watchListings(w);
    await w.run();
    expect(seen.dropped.crm).toBe(2);
    expect(w.eventsFor(gone)).toHaveLength(0);
    expect(w.eventsFor(kept)).toHaveLength(1);
    expect(w.cal.all()).toHaveLength(events - 1);
  });

  test('an event a complete listing really leaves out is still gone: its activity is archived', async () => {
    const { w, ids } = await syncedThree();
    const [first] = ids as [string];
    const [ev] = w.eventsFor(first);
    w.cal.userDelete(ev!.id);
    await listInFull(w, 'calendar');
    const seen = watchListings(w);
    await w.run();
    expect(seen.dropped.calendar).toBe(2);
    expect(w.crm.get(first)!.syncToCalendar).toBe(false);
    expect(w.crm.all().filter((i) => i.syncToCalendar !== false)).toHaveLength(2);
  });

  test('a changed item on one side is planned against the unchanged other side from the link', async () => {
    const { w, ids } = await syncedThree();
    const [first] = ids as [string];
    w.crm.userUpdate(first, { location: 'Room 7' });
    const seen = watchListings(w);
    await w.run();
    expect(seen.returned.crm).toBe(1);
    expect(seen.dropped.calendar).toBe(3);
    expect(w.eventsFor(first)[0]!.fields.location).toBe('Room 7');
  });

  test('a provider that ignores the filter gives the same outcome', async () => {
    const { w, ids } = await syncedThree();
    const [gone] = ids as [string];
    w.crm.userDelete(gone);
    await listInFull(w, 'crm');
    const crm: CrmProvider = w.crm;
    w.ctx.crm = {
      ...crm,
      capabilities: crm.capabilities,
      listChanges: (cursor, window) => crm.listChanges.call(w.crm, cursor, window),
      findByICalUId: (x) => crm.findByICalUId.call(w.crm, x),
      lookupPeople: (x) => crm.lookupPeople.call(w.crm, x),
      writeItems: (x) => crm.writeItems.call(w.crm, x),
    };
    const before = w.writes();
    const r = await w.run();
    expect(r.errors).toEqual([]);
    expect(w.eventsFor(gone)).toHaveLength(0);
    expect(w.writes().calendar - before.calendar).toBe(1);
    expect(w.writes().crm).toBe(before.crm);
  });

  test('a second event carrying the tag of an item listed unchanged is reported as a duplicate', async () => {
    const { w, ids } = await syncedThree();
    const [first] = ids as [string];
    const copy = w.cal.userCreate('primary', { fields: fields({ subject: 'Meeting 1' }), crmTag: first });
    const preview = await w.preview();
    const skip = preview.actions.find((a) => a.eventId === copy.id);
    expect(skip?.reason).toMatch(/A second event carries this CRM item’s tag/);
  });

  test('after a settings change nothing is dropped: every pair is re-derived from what is listed', async () => {
    const { w } = await syncedThree();
    w.setSettings({ defaultReminderMinutes: 30 });
    const seen = watchListings(w);
    await w.run();
    expect(seen.dropped).toEqual({ crm: 0, calendar: 0 });
    expect(seen.returned).toEqual({ crm: 3, calendar: 3 });
  });

  test('a retried listing starts afresh: an item dropped by the failed attempt and deleted since is gone', async () => {
    const { w, ids } = await syncedThree();
    const [gone] = ids as [string];
    const crm: CrmProvider = w.crm;
    let attempts = 0;
    w.ctx.crm = {
      ...crm,
      capabilities: crm.capabilities,
      listChanges: async (cursor, window, keep) => {
        attempts += 1;
        if (attempts === 1) {
          // The first page was filtered (every item dropped as unchanged), then the connection broke; the user
          // deleted one of them before the retry.
          await crm.listChanges.call(w.crm, cursor, window, keep);
          w.crm.userDelete(gone);
          throw new ProviderError('transient', 'connection reset');
        }
        return crm.listChanges.call(w.crm, cursor, window, keep);
      },
      findByICalUId: (x) => crm.findByICalUId.call(w.crm, x),
      lookupPeople: (x) => crm.lookupPeople.call(w.crm, x),
      writeItems: (x) => crm.writeItems.call(w.crm, x),
    };
    const r = await w.run();
    expect(attempts).toBe(2);
    expect(r.errors).toEqual([]);
    expect(w.eventsFor(gone)).toHaveLength(0);
  });
});
