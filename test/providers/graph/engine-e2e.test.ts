import { defaultSettings, type SyncSettings } from '../../../src/shared/settings';
import { MemoryCrm, MemoryStatusStore, runSync, type EngineContext } from '../../../src/sync';
import type { SyncedFields } from '../../../src/sync/model';
import type { CrmCapabilities } from '../../../src/sync/ports';
import { teamsBlob, teamsBody } from './bodies';
import { startHarness, type Harness } from './helpers';

/**
 * The engine's run against this provider and the Graph double (SPEC §10 guarantees, scenario form): the engine
 * property harness (test/support/engine-properties.ts) had not landed when this was written.
 */
const USER = 'sam@contoso.example';

function fields(over: Partial<SyncedFields> = {}, startH = 24): SyncedFields {
  const base = Date.parse('2026-11-21T08:00:00.000Z');
  return {
    subject: 'Demo with ACME',
    timing: {
      kind: 'timed',
      start: new Date(base + startH * 3_600_000).toISOString(),
      end: new Date(base + (startH + 1) * 3_600_000).toISOString(),
      timeZone: 'Europe/Berlin',
    },
    body: 'Bring the <pricing> sheet & the contract',
    location: 'ACME HQ',
    visibility: 'normal',
    showAs: 'busy',
    attendees: [{ email: 'buyer@acme.test', name: 'Buyer' }],
    recurrence: null,
    reminderMinutes: 15,
    ...over,
  };
}

interface World {
  h: Harness;
  crm: MemoryCrm;
  ctx: EngineContext;
  run(): ReturnType<typeof runSync>;
  graphWrites(): number;
}

let runNo = 0;
async function world(
  settings: Partial<SyncSettings> = {},
  crmCapabilities: Partial<CrmCapabilities> = {},
): Promise<World> {
  const h = await startHarness();
  const crm = new MemoryCrm({ userEmail: USER, now: () => h.clock.now, capabilities: crmCapabilities });
  const cal = h.double.state.defaultCalendarId;
  const ctx: EngineContext = {
    crm,
    calendar: h.provider,
    store: new MemoryStatusStore(),
    settings: { ...defaultSettings, ...settings },
    userEmail: USER,
    calendars: { targetCalendarId: cal, sourceCalendarIds: [cal] },
    now: () => h.clock.now,
    sleep: async () => undefined,
  };
  return {
    h,
    crm,
    ctx,
    run: () => runSync(ctx, { runId: `g${++runNo}`, trigger: 'manual' }),
    graphWrites: () => h.double.log.filter((l) => l.method !== 'GET' && !l.url.endsWith('/$batch')).length,
  };
}

let w: World;
afterEach(async () => {
  await w.h.double.stop();
});

test('never mode: CRM meetings reach Outlook without mailing anyone; a second run writes nothing', async () => {
  w = await world({ invitations: 'never' });
  const item = w.crm.userCreate({ type: 'meeting', fields: fields() });
  const r1 = await w.run();
  expect(r1.errors).toEqual([]);
  expect(r1.calendar.created).toBe(1);
  const [stored] = [...w.h.double.state.events.values()];
  expect(stored!.ev.attendees).toEqual([]);
  expect(stored!.ev.body?.content).toContain('buyer@acme.test');
  expect(stored!.ev.body?.content).toContain(`href="https://crm.example.test/activities/${item.id}"`);
  expect(w.h.double.mails).toEqual([]);

  const writes = w.graphWrites();
  const crmWrites = w.crm.writeLog.length;
  await w.run();
  await w.run();
  expect(w.graphWrites()).toBe(writes);
  expect(w.crm.writeLog.length).toBe(crmWrites);
  expect(w.h.double.mails).toEqual([]);
});

test('always mode: the invitee gets an invitation, then an update when the CRM item moves', async () => {
  w = await world({ invitations: 'always' });
  const item = w.crm.userCreate({ type: 'meeting', fields: fields() });
  await w.run();
  expect(w.h.double.mails.map((m) => [m.kind, m.to])).toEqual([['invitation', ['buyer@acme.test']]]);
  w.crm.userUpdate(item.id, { location: 'Online' });
  await w.run();
  expect(w.h.double.mails.map((m) => m.kind)).toEqual(['invitation', 'update']);
});

test('two-way: Outlook edits and deletions reach the CRM; an Outlook event is imported once', async () => {
  w = await world({ syncRecords: 'all' });
  const item = w.crm.userCreate({ type: 'meeting', fields: fields() });
  await w.run();
  const [ev] = [...w.h.double.state.events.values()];
  w.h.double.userUpdate(ev!.ev.id!, { location: { displayName: 'Room 9' } });
  const own = w.h.double.userCreate({
    subject: 'Lunch with a prospect',
    start: { dateTime: '2026-11-24T12:00:00', timeZone: 'UTC' },
    end: { dateTime: '2026-11-24T13:00:00', timeZone: 'UTC' },
    attendees: [{ emailAddress: { address: 'lead@prospect.test' }, type: 'required' }],
  });
  const r2 = await w.run();
  expect(r2.errors).toEqual([]);
  expect(w.crm.get(item.id)!.fields.location).toBe('Room 9');
  expect(w.crm.all().filter((i) => i.iCalUId === own.ev.iCalUId)).toHaveLength(1);
  w.h.double.userDelete(ev!.ev.id!);
  await w.run();
  expect(w.crm.get(item.id)!.syncToCalendar).toBe(false);
  const before = w.crm.writeLog.length;
  await w.run();
  expect(w.crm.writeLog.length).toBe(before);
  expect(w.crm.all().filter((i) => i.iCalUId === own.ev.iCalUId)).toHaveLength(1);
});

test('a CRM without recurrence: an Outlook series becomes one activity per occurrence; a CRM edit patches that instance', async () => {
  w = await world({ syncRecords: 'all' }, { recurrence: false });
  const series = w.h.double.userCreate({
    subject: 'Weekly pipeline review',
    start: { dateTime: '2026-11-23T10:00:00', timeZone: 'Europe/Berlin' },
    end: { dateTime: '2026-11-23T11:00:00', timeZone: 'Europe/Berlin' },
    recurrence: {
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'], firstDayOfWeek: 'sunday' },
      range: {
        type: 'numbered',
        startDate: '2026-11-23',
        numberOfOccurrences: 4,
        recurrenceTimeZone: 'Europe/Berlin',
      },
    },
  });
  const r = await w.run();
  expect(r.errors).toEqual([]);
  const items = w.crm.all().sort((a, b) => (a.iCalUId! < b.iCalUId! ? -1 : 1));
  expect(items).toHaveLength(4);
  expect(items.map((i) => (i.fields.timing?.kind === 'timed' ? i.fields.timing.start : ''))).toEqual([
    '2026-11-23T09:00:00.000Z',
    '2026-11-30T09:00:00.000Z',
    '2026-12-07T09:00:00.000Z',
    '2026-12-14T09:00:00.000Z',
  ]);
  expect(items.every((i) => i.iCalUId?.startsWith(`${series.ev.iCalUId}#`) && !i.fields.recurrence)).toBe(true);
  const writes = w.graphWrites();
  expect((await w.run()).crm.created).toBe(0);
  expect(w.graphWrites()).toBe(writes);

  w.crm.userUpdate(items[1]!.id, { body: 'Bring the Q4 forecast' });
  const r2 = await w.run();
  expect(r2.errors).toEqual([]);
  expect(r2.calendar.updated).toBe(1);
  const exceptions = [...w.h.double.state.events.values()].filter((s) => s.ev.type === 'exception');
  expect(exceptions).toHaveLength(1);
  expect(exceptions[0]!.ev.seriesMasterId).toBe(series.ev.id);
  expect(exceptions[0]!.ev.body?.content).toContain('Bring the Q4 forecast');
  const after = w.graphWrites();
  const r3 = await w.run();
  expect(r3.errors).toEqual([]);
  expect(r3.crm).toMatchObject({ created: 0, updated: 0, archived: 0 });
  expect(w.graphWrites()).toBe(after);
  expect(w.crm.all()).toHaveLength(4);
  expect(w.h.double.mails).toHaveLength(0);
});

test('a create whose answer was lost is found by its tag: no duplicate event', async () => {
  w = await world();
  w.crm.userCreate({ type: 'meeting', fields: fields() });
  w.crm.userCreate({ type: 'call', fields: fields({ subject: 'Follow-up call' }, 30) });
  // Graph carries out the $batch, but the answer never arrives.
  w.h.double.dropResponses(1, (method, url) => method === 'POST' && url.endsWith('/$batch'));
  await w.run();
  expect(w.h.double.dropped).toEqual(['POST /v1.0/$batch']);
  await w.run();
  await w.run();
  expect(w.h.double.state.events.size).toBe(2);
  const tags = [...w.h.double.state.events.values()].map((s) => [...s.props.values()][0]?.value);
  expect(new Set(tags).size).toBe(2);
});

test('a lost answer to a modified occurrence written from the CRM: found by its tag, linked, not written again', async () => {
  w = await world({ syncRecords: 'all' });
  const series = w.crm.userCreate({
    type: 'meeting',
    fields: fields({
      attendees: [],
      recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=4', exdates: [] },
      timing: {
        kind: 'timed',
        start: '2026-11-23T09:00:00.000Z',
        end: '2026-11-23T10:00:00.000Z',
        timeZone: 'Europe/Berlin',
      },
    }),
  });
  expect((await w.run()).errors).toEqual([]);
  const moved = w.crm.userCreate({
    type: 'meeting',
    occurrence: { seriesId: series.id, originalStart: '2026-11-30T09:00:00.000Z' },
    fields: fields({
      subject: 'Demo with ACME (moved)',
      attendees: [],
      timing: {
        kind: 'timed',
        start: '2026-11-30T13:00:00.000Z',
        end: '2026-11-30T14:00:00.000Z',
        timeZone: 'Europe/Berlin',
      },
    }),
  });
  // Graph applies the PATCH of the instance, but its answer never arrives.
  const patches = () => w.h.double.log.filter((l) => l.method === 'PATCH').length;
  w.h.double.dropResponses(
    1,
    (m, u) => m === 'POST' && u.endsWith('/$batch') && w.h.double.log.at(-1)?.method === 'PATCH',
  );
  const before = patches();
  const r = await w.run();
  expect(w.h.double.dropped).toEqual(['POST /v1.0/$batch']);
  expect(r.errors).toEqual([]);
  // The retry looked the exception up by its tag (through the series' /instances) instead of writing it again.
  expect(patches() - before).toBe(1);
  const exceptions = [...w.h.double.state.events.values()].filter((e) => e.ev.type === 'exception');
  expect(exceptions).toHaveLength(1);
  expect(exceptions[0]!.ev.subject).toBe('Demo with ACME (moved)');
  const link = (await w.ctx.store.loadLinks()).find((l) => l.crmId === moved.id);
  expect(link?.eventId).toBe(exceptions[0]!.ev.id);
  const quiet = await w.run();
  expect(quiet.calendar).toMatchObject({ created: 0, updated: 0, deleted: 0 });
  expect(quiet.crm).toMatchObject({ created: 0, updated: 0, archived: 0 });
});

test('never mode: a CRM edit to a meeting the user organises with attendees is held back (no mail), sent once invitations are on', async () => {
  w = await world({ syncRecords: 'all', invitations: 'never' });
  const own = w.h.double.userCreate({
    subject: 'Board meeting',
    start: { dateTime: '2026-11-24T12:00:00', timeZone: 'UTC' },
    end: { dateTime: '2026-11-24T13:00:00', timeZone: 'UTC' },
    attendees: [{ emailAddress: { address: 'chair@board.test' }, type: 'required' }],
  });
  const mails = w.h.double.mails.length;
  await w.run();
  const imported = w.crm.all().find((i) => i.iCalUId === own.ev.iCalUId)!;
  w.crm.userUpdate(imported.id, { subject: 'Board meeting (CRM notes)' });
  const writes = w.graphWrites();
  const r = await w.run();
  expect(r.errors).toEqual([]);
  expect(r.skipped).toBeGreaterThanOrEqual(1);
  const trail = await w.ctx.store.listTrail({ eventId: own.ev.id! }, 10);
  expect(trail.map((t) => t.reason).join()).toContain(
    'Updating this meeting in the calendar would e-mail its attendees; invitations are off',
  );
  expect(w.h.double.state.events.get(own.ev.id!)!.ev.subject).toBe('Board meeting');
  expect(w.crm.get(imported.id)!.fields.subject).toBe('Board meeting (CRM notes)'); // the CRM change is kept
  expect(w.graphWrites()).toBe(writes);
  expect(w.h.double.mails.length).toBe(mails);
  // Converged: the next run plans nothing for the pair (no write, no error, no skip again).
  const quiet = await w.run();
  expect(quiet.skipped).toBe(0);
  expect(quiet.errors).toEqual([]);
  expect(quiet.crm.updated + quiet.calendar.updated).toBe(0);
  expect(w.graphWrites()).toBe(writes);
  // Invitations on: the owed change goes out, as an update the attendees are told about.
  w.ctx.settings = { ...w.ctx.settings, invitations: 'always' };
  const on = await w.run();
  expect(on.errors).toEqual([]);
  expect(on.calendar.updated).toBe(1);
  expect(w.h.double.state.events.get(own.ev.id!)!.ev.subject).toBe('Board meeting (CRM notes)');
  expect(w.h.double.mails.length).toBe(mails + 1);
});

describe('online meetings through the engine (issue 18, point 1)', () => {
  const teamsMeeting = (content: string) =>
    w.h.double.userCreate({
      subject: 'Renewal call',
      body: { contentType: 'html', content },
      start: { dateTime: '2026-11-25T09:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-11-25T10:00:00', timeZone: 'UTC' },
      isOnlineMeeting: true,
      onlineMeetingProvider: 'teamsForBusiness',
    });

  test('a CRM edit of a Teams meeting keeps its join blob byte for byte; the next run writes nothing', async () => {
    w = await world({ invitations: 'never', syncRecords: 'all' });
    const ev = teamsMeeting(teamsBody);
    await w.run();
    const item = w.crm.all().find((i) => i.iCalUId === ev.ev.iCalUId)!;
    expect(item.fields.body).toBe("Let's go through the Q4 renewal terms.");
    w.crm.userUpdate(item.id, { body: 'Agenda from the CRM', location: 'Online' });
    const r = await w.run();
    expect(r.errors).toEqual([]);
    const stored = w.h.double.state.events.get(ev.ev.id!)!.ev;
    expect(stored.body!.content).toContain(teamsBlob);
    expect(stored.body!.content).toContain('Agenda from the CRM');
    expect(stored.location?.displayName).toBe('Online');
    const writes = w.graphWrites();
    await w.run();
    expect(w.graphWrites()).toBe(writes);
  });

  test('when the join blob cannot be told apart, the description is left alone and the trail says so', async () => {
    w = await world({ invitations: 'never', syncRecords: 'all' });
    const odd = '<html><body><p>Agenda</p><p>Join: https://teams.microsoft.com/l/meetup-join/abc</p></body></html>';
    const ev = teamsMeeting(odd);
    await w.run();
    const item = w.crm.all().find((i) => i.iCalUId === ev.ev.iCalUId)!;
    w.crm.userUpdate(item.id, { body: 'Rewritten by the CRM', location: 'Online' });
    const r = await w.run();
    expect(r.errors).toEqual([]);
    const stored = w.h.double.state.events.get(ev.ev.id!)!.ev;
    expect(stored.body!.content).toContain('<p>Agenda</p><p>Join: https://teams.microsoft.com/l/meetup-join/abc</p>');
    expect(stored.location?.displayName).toBe('Online');
    const trail = await w.ctx.store.listTrail({ eventId: ev.ev.id! }, 20);
    expect(trail.map((t) => t.reason).join('\n')).toMatch(/join information/);
    const writes = w.graphWrites();
    const crmWrites = w.crm.writeLog.length;
    await w.run();
    // Settled: neither side is written again, and the CRM keeps its text.
    expect(w.graphWrites()).toBe(writes);
    expect(w.crm.writeLog.length).toBe(crmWrites);
    expect(w.crm.get(item.id)!.fields.body).toBe('Rewritten by the CRM');
  });
});
