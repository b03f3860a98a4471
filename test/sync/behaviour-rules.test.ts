/** The rules of SPEC §5 / §5.1 and the applier's guarantees (§7, §10), one test each. */
import { fields, makeWorld, NOW, USER } from './helpers';
import { ProviderError } from '../../src/sync/errors';
import { crashableStore, FaultPlan, faultyCalendar, faultyCrm } from '../../src/sync/testing/faults';
import { runSync } from '../../src/sync';
import { MemoryCalendar, MemoryCrm, MemoryCrmData, MemoryStatusStore } from '../../src/sync/testing';
import { defaultSettings } from '../../src/shared/settings';
import { canonicalFields, contentHash } from '../../src/sync/canonical';

describe('§5.1 decision table (two-way)', () => {
  test.each([
    ['CRM deleted', 'delete'],
    ['CRM archived', 'archive'],
    ['flag turned off', 'flag'],
  ] as const)('%s → the event is deleted, the CRM item untouched', async (_name, how) => {
    const w = makeWorld();
    const item = w.crmCreate();
    w.crmCreate({}, { subject: 'Other' });
    await w.run();
    if (how === 'delete') w.crm.userDelete(item.id);
    if (how === 'archive') w.crm.userArchive(item.id);
    if (how === 'flag') w.crm.userSetFlag(item.id, false);
    const crmWrites = w.crm.writeLog.length;
    const r = await w.run();
    expect(w.eventsFor(item.id)).toHaveLength(0);
    expect(r.calendar.deleted).toBe(1);
    expect(w.crm.writeLog.length).toBe(crmWrites);
    expect(await w.store.loadLinks()).toHaveLength(1);
  });

  test.each([
    ['a CRM-born item', 'crm', { syncToCalendar: false, archived: false }],
    ['an imported item', 'calendar', { archived: true }],
  ] as const)('event deleted in the calendar, %s → %j; the CRM item is never deleted', async (_n, origin, expected) => {
    const w = makeWorld();
    w.crmCreate({}, { subject: 'Keeps the calendar non-empty' });
    let crmId: string;
    if (origin === 'crm') crmId = w.crmCreate().id;
    else {
      w.cal.userCreate('primary', { fields: fields({ subject: 'Imported' }) });
    }
    await w.run();
    crmId ??= w.crm.all().find((i) => i.origin === 'calendar')!.id;
    const ev = w.cal.all().find((e) => e.crmTag === crmId || e.fields.subject === 'Imported')!;
    w.cal.userDelete(ev.id);
    await w.run();
    expect(w.crm.get(crmId)).toMatchObject(expected);
    await w.run();
    expect(w.cal.all().filter((e) => e.crmTag === crmId)).toHaveLength(0); // never re-created
  });

  test('cancelled event → the activity is archived and unlinked', async () => {
    const w = makeWorld();
    const ev = w.cal.userCreate('primary', { fields: fields() });
    w.crmCreate({}, { subject: 'Other' });
    await w.run();
    w.cal.userCancel(ev.id);
    const r = await w.run();
    expect(r.crm.archived).toBe(1);
    expect(w.crm.all().find((i) => i.origin === 'calendar')!.archived).toBe(true);
    expect(w.cal.get(ev.id)).not.toBeNull();
  });

  test('left scope: a CRM-born item whose type is no longer pushed loses its event; an imported one is only unlinked', async () => {
    const w = makeWorld({ activityTypes: ['meeting', 'call'] });
    const call = w.crmCreate({ type: 'call' });
    const ev = w.cal.userCreate('primary', { fields: fields({ subject: 'Imported' }) });
    await w.run();
    expect(w.eventsFor(call.id)).toHaveLength(1);
    w.setSettings({ activityTypes: ['follow-up'] });
    await w.run();
    expect(w.eventsFor(call.id)).toHaveLength(0);
    expect(w.cal.get(ev.id)).not.toBeNull();
    expect(w.crm.all().find((i) => i.origin === 'calendar')!.archived).toBe(false);
  });

  test('changed on both sides, different fields → merged per field without a conflict', async () => {
    const w = makeWorld();
    const item = w.crmCreate();
    await w.run();
    const ev = w.eventsFor(item.id)[0]!;
    w.crm.userUpdate(item.id, { body: 'New body' });
    w.cal.userUpdate(ev.id, { location: 'New room' });
    const r = await w.run();
    expect(r.conflicts).toBe(0);
    expect(w.crm.get(item.id)!.fields).toMatchObject({ body: 'New body', location: 'New room' });
    expect(w.cal.get(ev.id)!.fields).toMatchObject({ body: 'New body', location: 'New room' });
  });

  test('an event carrying our tag for a CRM item that exists is linked without a write', async () => {
    const w = makeWorld();
    const item = w.crmCreate();
    w.cal.userCreate('primary', { fields: canonicalFields(fields(), USER), crmTag: item.id });
    const r = await w.run();
    expect(r.calendar.created).toBe(0);
    expect(w.cal.writeLog).toHaveLength(0);
    expect(await w.store.loadLinks()).toHaveLength(1);
  });
});

describe('§5 calendar → CRM: contacts and one activity per meeting', () => {
  test('several CRM users attending one meeting → one activity linked to each of them', async () => {
    const data = new MemoryCrmData();
    const settings = { ...defaultSettings };
    const users = ['ann@corp.test', 'bob@corp.test'];
    for (const user of users) {
      const cal = new MemoryCalendar({ userEmail: user, now: () => NOW });
      cal.userCreate('primary', {
        fields: fields({
          attendees: [{ email: 'ann@corp.test' }, { email: 'bob@corp.test' }, { email: 'c@client.test' }],
        }),
        iCalUId: 'shared-meeting@corp.test',
        isOrganizer: user === 'ann@corp.test',
      });
      const r = await runSync(
        {
          crm: new MemoryCrm({ userEmail: user, data, now: () => NOW }),
          calendar: cal,
          store: new MemoryStatusStore(),
          settings,
          userEmail: user,
          calendars: { targetCalendarId: 'primary', sourceCalendarIds: ['primary'] },
          now: () => NOW,
        },
        { trigger: 'manual' },
      );
      expect(r.errors).toEqual([]);
    }
    const items = [...data.items.values()];
    expect(items).toHaveLength(1);
    expect(items[0]!.ownerEmails.sort()).toEqual(users);
  });
});

describe('§5 recurrence, all-day, reminders, time zones', () => {
  test('a series with a cancelled occurrence and a modified occurrence syncs both ways', async () => {
    const w = makeWorld();
    const series = w.crmCreate(
      {},
      { recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=10', exdates: ['2026-11-30T09:00:00.000Z'] } },
    );
    await w.run();
    const ev = w.eventsFor(series.id)[0]!;
    expect(ev.fields.recurrence).toEqual({
      rrule: 'BYDAY=MO;COUNT=10;FREQ=WEEKLY',
      exdates: ['2026-11-30T09:00:00.000Z'],
    });
    w.crmCreate(
      { occurrence: { seriesId: series.id, originalStart: '2026-12-07T09:00:00.000Z' } },
      { subject: 'Moved one' },
    );
    await w.run();
    const exception = w.cal.all().find((e) => e.occurrence)!;
    expect(exception.occurrence).toEqual({ seriesId: ev.id, originalStart: '2026-12-07T09:00:00.000Z' });
    w.cal.userUpdate(ev.id, { recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=8', exdates: [] } });
    await w.run();
    expect(w.crm.get(series.id)!.fields.recurrence!.rrule).toBe('BYDAY=MO;COUNT=8;FREQ=WEEKLY');
  });

  test('an event series and its modified occurrence are imported in one run', async () => {
    const w = makeWorld();
    const s = w.cal.userCreate('primary', {
      fields: fields({ recurrence: { rrule: 'FREQ=DAILY;COUNT=3', exdates: [] } }),
    });
    w.cal.userCreate('primary', {
      fields: fields({ subject: 'Exception' }),
      occurrence: { seriesId: s.id, originalStart: '2026-11-23T09:00:00.000Z' },
    });
    const r = await w.run();
    expect(r.crm.created).toBe(2);
    const series = w.crm.all().find((i) => i.fields.recurrence)!;
    expect(w.crm.all().find((i) => i.occurrence)!.occurrence).toEqual({
      seriesId: series.id,
      originalStart: '2026-11-23T09:00:00.000Z',
    });
  });

  test('all-day items travel as dates; time zones are kept; reminders sync', async () => {
    const w = makeWorld();
    const item = w.crmCreate(
      {},
      { timing: { kind: 'all-day', startDate: '2026-11-25', endDate: '2026-11-26' }, reminderMinutes: 1440 },
    );
    const timed = w.crmCreate(
      {},
      {
        subject: 'Berlin',
        timing: {
          kind: 'timed',
          start: '2026-11-25T08:00:00Z',
          end: '2026-11-25T09:00:00.000Z',
          timeZone: 'Europe/Berlin',
        },
      },
    );
    await w.run();
    expect(w.eventsFor(item.id)[0]!.fields).toMatchObject({
      timing: { kind: 'all-day', startDate: '2026-11-25', endDate: '2026-11-26' },
      reminderMinutes: 1440,
    });
    expect(w.eventsFor(timed.id)[0]!.fields.timing).toEqual({
      kind: 'timed',
      start: '2026-11-25T08:00:00.000Z',
      end: '2026-11-25T09:00:00.000Z',
      timeZone: 'Europe/Berlin',
    });
  });

  test('canonical form: case, order, CRLF and millisecond differences are not changes', () => {
    const a = fields({ attendees: [{ email: 'B@x.test' }, { email: 'a@x.test' }, { email: USER }], body: 'x\r\ny  ' });
    const b = fields({ attendees: [{ email: 'a@x.test', name: 'A' }, { email: 'b@X.test' }], body: 'x\ny' });
    b.timing = {
      kind: 'timed',
      start: a.timing.kind === 'timed' ? a.timing.start.replace('.000Z', 'Z') : '',
      end: a.timing.kind === 'timed' ? a.timing.end : '',
      timeZone: 'UTC',
    };
    expect(contentHash(canonicalFields(a, USER))).toBe(contentHash(canonicalFields(b, USER)));
    expect(contentHash(canonicalFields(a, USER))).not.toBe(
      contentHash(canonicalFields({ ...a, location: 'elsewhere' }, USER)),
    );
  });
});

describe('§5 mass-deletion breaker', () => {
  test('deleting more than max(10, 25 %) of the linked items stops before deleting anything; confirming applies it', async () => {
    const w = makeWorld();
    const items = Array.from({ length: 16 }, (_, i) => w.crmCreate({}, { subject: `Item ${i}` }));
    await w.run();
    for (const i of items.slice(0, 11)) w.crm.userDelete(i.id);
    const r = await w.run();
    expect(r.status).toBe('needs-confirmation');
    expect(r.pendingDeletions).toMatchObject({ calendar: 11, crm: 0 });
    expect(w.cal.size).toBe(16);
    expect(await w.store.getPendingConfirmation()).toMatchObject({ calendar: 11 });
    const ok = await w.run({ confirmDeletions: true });
    expect(ok.status).toBe('succeeded');
    expect(w.cal.size).toBe(5);
    expect(await w.store.getPendingConfirmation()).toBeNull();
  });

  test('ten deletions are below the limit', async () => {
    const w = makeWorld();
    const items = Array.from({ length: 12 }, (_, i) => w.crmCreate({}, { subject: `Item ${i}` }));
    await w.run();
    for (const i of items.slice(0, 10)) w.crm.userDelete(i.id);
    expect((await w.run()).status).toBe('succeeded');
  });

  test('a side that comes back empty while links exist trips the breaker', async () => {
    const w = makeWorld();
    w.crmCreate();
    await w.run();
    w.crm.expireCursors();
    const faults = new FaultPlan();
    faults.listNothing.crm = 1;
    w.ctx.crm = faultyCrm(w.crm, faults);
    const r = await w.run();
    expect(r.status).toBe('needs-confirmation');
    expect(w.cal.size).toBe(1);
  });
});

describe('§7 applier: retries, lost creates, errors, abort', () => {
  test('a create whose answer was lost is found by tag, not made twice', async () => {
    const w = makeWorld();
    w.crmCreate();
    const faults = new FaultPlan();
    faults.lostCreates.calendar = 1;
    w.ctx.calendar = faultyCalendar(w.cal, faults);
    const r = await w.run();
    expect(r.status).toBe('succeeded');
    expect(w.cal.size).toBe(1);
  });

  test('a crash between the provider write and the status commit is recovered without a duplicate', async () => {
    const w = makeWorld();
    w.crmCreate();
    w.crmCreate({}, { subject: 'Second' });
    const faults = new FaultPlan();
    faults.crash = { side: 'calendar', remaining: 0, when: 'after' };
    const real = { cal: w.ctx.calendar, store: w.ctx.store };
    w.ctx.calendar = faultyCalendar(w.cal, faults);
    w.ctx.store = crashableStore(w.store, faults);
    await expect(w.run()).rejects.toThrow('simulated crash');
    expect(await w.store.listIntents()).toHaveLength(2);
    Object.assign(w.ctx, { calendar: real.cal, store: real.store });
    const r = await w.run();
    expect(r.status).toBe('succeeded');
    expect(w.cal.size).toBe(2);
    expect(await w.store.listIntents()).toHaveLength(0);
  });

  test('429 storms are retried honouring retryAfterMs', async () => {
    const w = makeWorld();
    w.crmCreate();
    const faults = new FaultPlan();
    faults.rateLimit.calendar = 3;
    faults.retryAfterMs = 7_000;
    const waits: number[] = [];
    w.ctx.sleep = async (ms) => void waits.push(ms);
    w.ctx.calendar = faultyCalendar(w.cal, faults);
    const r = await w.run();
    expect(r.status).toBe('succeeded');
    expect(waits).toEqual([7_000, 7_000, 7_000]);
  });

  test.each([
    ['auth', 'needs-reauth'],
    ['forbidden', 'partial'],
    ['not-found', 'partial'],
  ] as const)('a %s error is classified into the report (%s)', async (kind, status) => {
    const w = makeWorld();
    w.crmCreate();
    const inner = w.cal;
    w.ctx.calendar = Object.assign(Object.create(inner) as MemoryCalendar, {
      writeEvents: async () => {
        throw new ProviderError(kind, 'nope', { status: kind === 'auth' ? 401 : kind === 'forbidden' ? 403 : 404 });
      },
    });
    const r = await w.run();
    expect(r.status).toBe(status);
    expect(r.errors[0]).toMatchObject({ kind, side: 'calendar', retryable: false });
    expect(r.errors[0]!.message).toMatch(/failed/);
    expect(await w.store.getCursor('crm')).toBeNull(); // the failed item is listed again next time
  });

  test('an aborted run stops between batches and the next run finishes the job', async () => {
    const w = makeWorld({}, { cal: { maxBatch: 2 } });
    for (let i = 0; i < 6; i++) w.crmCreate({}, { subject: `Item ${i}` });
    const ac = new AbortController();
    w.ctx.signal = ac.signal;
    w.ctx.onProgress = (p) => {
      if (p.phase === 'applying' && p.done >= 2) ac.abort();
    };
    const r = await w.run();
    expect(r.status).toBe('partial');
    expect(w.cal.size).toBe(2);
    w.ctx.signal = undefined;
    w.ctx.onProgress = undefined;
    expect((await w.run()).calendar.created).toBe(4);
    expect(w.cal.size).toBe(6);
  });
});

describe('§6 preview', () => {
  test('lists what a run would do per side and the invitations it would send, changing nothing', async () => {
    const w = makeWorld({ invitations: 'always' });
    const item = w.crmCreate();
    w.cal.userCreate('primary', { fields: fields({ subject: 'From calendar' }) });
    const p = await w.preview();
    expect(p.report.status).toBe('preview');
    expect(p.report.calendar.created).toBe(1);
    expect(p.report.crm.created).toBe(1);
    expect(p.report.invitationsSent).toBe(1);
    expect(p.actions.find((a) => a.crmId === item.id)).toMatchObject({
      side: 'calendar',
      action: 'create',
      sendsInvitation: true,
    });
    expect(w.writes()).toEqual({ crm: 0, calendar: 0 });
    expect(await w.store.listRuns(5)).toHaveLength(0);
  });
});
