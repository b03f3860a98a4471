/**
 * The two sides are listed at once (issue 23): a run waits for the longer listing, not for both in turn. And a side
 * that fails while the other is still listing ends the run with that side's error, never as an unhandled rejection.
 * A steady run asks the servers before it reads its links; a complete listing waits for them (the filter drops
 * 100,000 unchanged items as they arrive only when it knows the links).
 */
import type { CalendarProvider, CrmProvider } from '../../src/sync/ports';
import { ProviderError } from '../../src/sync/errors';
import { calendarCursorKey } from '../../src/sync/run';
import { makeWorld, type World } from './helpers';

/** Each listing recorded as it starts and ends; `gate` holds the CRM's listing until it is released. */
function observeListings(
  w: World,
  crmListing: (inner: () => ReturnType<CrmProvider['listChanges']>) => ReturnType<CrmProvider['listChanges']>,
) {
  const log: string[] = [];
  const crm = w.ctx.crm;
  const cal = w.ctx.calendar;
  w.ctx.crm = Object.assign(Object.create(crm) as CrmProvider, {
    listChanges: async (...args: Parameters<CrmProvider['listChanges']>) => {
      log.push('crm start');
      const r = await crmListing(() => crm.listChanges(...args));
      log.push('crm end');
      return r;
    },
  });
  w.ctx.calendar = Object.assign(Object.create(cal) as CalendarProvider, {
    listChanges: async (...args: Parameters<CalendarProvider['listChanges']>) => {
      log.push('calendar start');
      const r = await cal.listChanges(...args);
      log.push('calendar end');
      return r;
    },
  });
  return log;
}

/** A promise settled from outside. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

test('the calendar is listed while the CRM listing is still out, and the run plans both', async () => {
  const w = makeWorld();
  const item = w.crmCreate();
  const calendarAsked = latch();
  const log = observeListings(w, async (inner) => {
    // The CRM answers only once the calendar has been asked: listed in turn, this run would never end.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      calendarAsked.promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the calendar was not listed meanwhile')), 2000);
      }),
    ]).finally(() => clearTimeout(timer));
    return inner();
  });
  const calendarListing = w.ctx.calendar.listChanges.bind(w.ctx.calendar);
  w.ctx.calendar.listChanges = (...args) => {
    calendarAsked.open();
    return calendarListing(...args);
  };
  const r = await w.run();
  expect(r.errors).toEqual([]);
  expect(r.status).toBe('succeeded');
  expect(log.indexOf('calendar start')).toBeLessThan(log.indexOf('crm end'));
  expect(w.eventsFor(item.id)).toHaveLength(1);
});

test('a calendar that fails while the CRM is still listing fails the run with its error, nothing written', async () => {
  const w = makeWorld();
  w.crmCreate();
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const crmMayAnswer = latch();
    observeListings(w, async (inner) => {
      await crmMayAnswer.promise;
      return inner();
    });
    w.ctx.calendar.listChanges = () =>
      Promise.reject(new ProviderError('permanent', 'The calendar answered 500 to its listing.'));
    const running = w.run();
    // Let the calendar's rejection settle (and any unhandled-rejection report fire) before the CRM answers.
    await new Promise((resolve) => setTimeout(resolve, 20));
    crmMayAnswer.open();
    const r = await running;
    expect(r.status).toBe('failed');
    expect(JSON.stringify(r.errors)).toContain('The calendar answered 500');
    expect(w.writes()).toEqual({ crm: 0, calendar: 0 });
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('a CRM that fails while the calendar is still listing fails the run with the CRM error', async () => {
  const w = makeWorld();
  w.crmCreate();
  const calendarMayAnswer = latch();
  const cal = w.ctx.calendar;
  const calendarListing = cal.listChanges.bind(cal);
  let calendarEnded = false;
  w.ctx.calendar = Object.assign(Object.create(cal) as CalendarProvider, {
    listChanges: async (...args: Parameters<CalendarProvider['listChanges']>) => {
      await calendarMayAnswer.promise;
      const r = await calendarListing(...args);
      calendarEnded = true;
      return r;
    },
  });
  w.ctx.crm.listChanges = () => Promise.reject(new ProviderError('permanent', 'The CRM answered 500 to its listing.'));
  const running = w.run();
  await new Promise((resolve) => setTimeout(resolve, 20));
  calendarMayAnswer.open();
  const r = await running;
  expect(r.status).toBe('failed');
  expect(JSON.stringify(r.errors)).toContain('The CRM answered 500');
  // The run ended after the calendar's listing did: nothing of this run is left running behind its report.
  expect(calendarEnded).toBe(true);
  expect(w.writes()).toEqual({ crm: 0, calendar: 0 });
});

/** The store's link reads recorded in `log` as they start and end. */
function observeLinkReads(w: World, log: string[]): void {
  const load = w.store.loadLinks.bind(w.store);
  w.store.loadLinks = async () => {
    log.push('links start');
    // A turn of the event loop, as a database read takes: the listings' requests go out meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    const links = await load();
    log.push('links end');
    return links;
  };
}

test('a steady run asks the servers before it has read its links, and plans what changed', async () => {
  const w = makeWorld();
  const item = w.crmCreate();
  await w.run();
  await w.run();
  w.crm.userUpdate(item.id, { subject: 'Moved' });
  const log = observeListings(w, (inner) => inner());
  observeLinkReads(w, log);
  const r = await w.run();
  expect(r.status).toBe('succeeded');
  expect(w.eventsFor(item.id).map((e) => e.fields.subject)).toEqual(['Moved']);
  expect(log.indexOf('links end')).toBeGreaterThanOrEqual(0);
  expect(log.indexOf('calendar start')).toBeLessThan(log.indexOf('links end'));
  expect(log.indexOf('crm start')).toBeLessThan(log.indexOf('links end'));
});

// A quiet run (issue 23): neither side lists anything and every link is settled, so no link can need anything.
test('a quiet run reads no links and plans nothing', async () => {
  const w = makeWorld();
  w.crmCreate();
  w.crmCreate();
  await w.run();
  await w.run();
  const log = observeListings(w, (inner) => inner());
  observeLinkReads(w, log);
  const before = w.writes();
  const r = await w.run();
  expect(r.status).toBe('succeeded');
  expect(w.writes()).toEqual(before);
  expect(log).toEqual(expect.arrayContaining(['crm end', 'calendar end']));
  expect(log).not.toContain('links start');
});

test('nothing listed, but a link that is not settled: the run reads its links and does what the link owes', async () => {
  const w = makeWorld();
  const item = w.crmCreate();
  await w.run();
  await w.run();
  // The event's iCalUId is still owed to the CRM item (a write-back a crash interrupted): the note on the link.
  const [link] = await w.store.loadLinks();
  if (!link) throw new Error('no link');
  await w.store.upsertLink({ ...link, iCalUIdOwed: true });
  const log: string[] = [];
  observeLinkReads(w, log);
  const crmWrites = w.writes().crm;
  const r = await w.run();
  expect(r.status).toBe('succeeded');
  expect(log).toContain('links end');
  expect(w.writes().crm).toBe(crmWrites + 1);
  expect(w.crm.get(item.id)?.iCalUId).toBe(link.iCalUId);
  expect((await w.store.loadLinks())[0]?.iCalUIdOwed).not.toBe(true);
});

test('a complete listing waits for the links, so unchanged items are dropped as they arrive', async () => {
  const w = makeWorld();
  w.crmCreate();
  await w.run();
  await w.run();
  await w.store.setCursor(calendarCursorKey('primary'), null);
  const log = observeListings(w, (inner) => inner());
  observeLinkReads(w, log);
  const r = await w.run();
  expect(r.status).toBe('succeeded');
  expect(log.indexOf('links end')).toBeGreaterThanOrEqual(0);
  expect(log.indexOf('links end')).toBeLessThan(log.indexOf('calendar start'));
  expect(log.indexOf('links end')).toBeLessThan(log.indexOf('crm start'));
});
