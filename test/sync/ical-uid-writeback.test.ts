/**
 * One activity per meeting across CRM users (SPEC §5): the iCalUId of the event mirrored from a CRM-born meeting
 * is written back to the CRM item, crash-safely, so an invited colleague's connector links to it.
 */
import { fields, makeWorld, NOW, USER } from './helpers';
import { ProviderError } from '../../src/sync/errors';
import { crashableStore, FaultPlan, faultyCrm, SimulatedCrash } from '../../src/sync/testing/faults';
import { runSync, type EngineContext } from '../../src/sync';
import { MemoryCalendar, MemoryCrm, MemoryCrmData, MemoryStatusStore } from '../../src/sync/testing';
import { defaultSettings, type SyncSettings } from '../../src/shared/settings';
import { plan, type PlanInput } from '../../src/sync/planner';
import { nextTurn } from '../../src/sync/event-loop';
import type { CrmProvider, CrmWrite } from '../../src/sync/ports';
import type { LinkRecord } from '../../src/sync/status-store';

const setICalUIds = (log: CrmWrite[]): CrmWrite[] => log.filter((w) => w.op === 'set-ical-uid');

/** A calendar batch is answered a few turns of the event loop after it is sent, as a server's would be. */
async function serverTurns(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await nextTurn();
}

/** A CRM whose `set-ical-uid` writes fail (per write) while `failing` is on. */
function failingICalUId(inner: MemoryCrm, state: { failing: boolean }): CrmProvider {
  return {
    kind: inner.kind,
    capabilities: inner.capabilities,
    testConnection: () => inner.testConnection(),
    listChanges: (c, w) => inner.listChanges(c, w),
    findByICalUId: (u) => inner.findByICalUId(u),
    lookupPeople: (e) => inner.lookupPeople(e),
    writeItems: async (writes) => {
      if (!state.failing) return inner.writeItems(writes);
      const passed = writes.filter((w) => w.op !== 'set-ical-uid');
      const results = passed.length > 0 ? await inner.writeItems(passed) : [];
      return writes.map((w) =>
        w.op === 'set-ical-uid'
          ? { ok: false as const, error: new ProviderError('permanent', 'field is read-only today') }
          : results.shift()!,
      );
    },
  };
}

describe('iCalUId write-back of CRM-born meetings', () => {
  test('after the event is created the CRM item carries its iCalUId; one write, no mail, no second write', async () => {
    const w = makeWorld({ invitations: 'never' });
    const item = w.crmCreate();
    const r = await w.run();
    expect(r.status).toBe('succeeded');
    const ev = w.eventsFor(item.id)[0]!;
    expect(w.crm.get(item.id)).toMatchObject({ iCalUId: ev.iCalUId, origin: 'crm' });
    expect(setICalUIds(w.crm.writeLog)).toEqual([{ op: 'set-ical-uid', id: item.id, iCalUId: ev.iCalUId }]);
    expect(w.crm.writeLog).toHaveLength(1);
    expect(r.crm.updated).toBe(1);
    expect(w.cal.sentMail).toHaveLength(0);
    const [link] = await w.store.loadLinks();
    expect(link!.iCalUIdOwed).toBeUndefined();
    // The write bumped the item's version; the link adopted it, so nothing is re-evaluated or re-written.
    expect(link!.crmVersion).toBe(w.crm.get(item.id)!.version);
    const before = w.writes();
    await w.run();
    await w.run();
    expect(w.writes()).toEqual(before);
    const trail = await w.store.listTrail({ crmId: item.id }, 10);
    expect(trail.map((t) => t.action)).toContain('crm:update');
  });

  test('a large first sync sends them in full CRM batches, each while the next calendar batch is in flight', async () => {
    const w = makeWorld({}, { crm: { maxBatch: 2 }, cal: { maxBatch: 3 } });
    for (let i = 0; i < 7; i++) w.crmCreate({}, { subject: `Meeting ${i}` });
    const calls: string[] = [];
    const crmWrite = w.crm.writeItems.bind(w.crm);
    const calWrite = w.cal.writeEvents.bind(w.cal);
    w.crm.writeItems = async (ws) => (calls.push(`crm:${ws.length}`), crmWrite(ws));
    w.cal.writeEvents = async (id, ws) => {
      calls.push(`cal:${ws.length}`);
      await serverTurns();
      calls.push(`cal:${ws.length} answered`);
      return calWrite(id, ws);
    };
    const r = await w.run();
    expect(r.status).toBe('succeeded');
    // The iCalUIds the first batch owes go to the CRM while the second batch is in flight, not between them; the
    // last batch's after it.
    expect(calls).toEqual([
      'cal:3',
      'cal:3 answered',
      'cal:3',
      'crm:2',
      'cal:3 answered',
      'cal:1',
      'crm:2',
      'crm:2',
      'cal:1 answered',
      'crm:1',
    ]);
    expect(w.crm.all().every((i) => i.iCalUId === w.eventsFor(i.id)[0]!.iCalUId)).toBe(true);
    expect((await w.store.loadLinks()).some((l) => l.iCalUIdOwed)).toBe(false);
  });

  test('a CRM auth failure while the next calendar batch is in flight: that batch is kept, then the run stops', async () => {
    const w = makeWorld({}, { crm: { maxBatch: 2 }, cal: { maxBatch: 3 } });
    for (let i = 0; i < 9; i++) w.crmCreate({}, { subject: `Meeting ${i}` });
    const crmWrite = w.crm.writeItems.bind(w.crm);
    const calWrite = w.cal.writeEvents.bind(w.cal);
    let calBatches = 0;
    w.crm.writeItems = async (ws) => {
      if (ws.some((x) => x.op === 'set-ical-uid')) throw new ProviderError('auth', 'token revoked', { status: 401 });
      return crmWrite(ws);
    };
    w.cal.writeEvents = async (id, ws) => {
      calBatches++;
      await serverTurns();
      return calWrite(id, ws);
    };
    const r = await w.run();
    expect(r.status).toBe('needs-reauth');
    // The second batch was on its way when the CRM refused; its events exist and their links are stored, so the
    // next run creates nothing twice. The third batch was never sent.
    expect(calBatches).toBe(2);
    expect(w.cal.size).toBe(6);
    const links = await w.store.loadLinks();
    expect(links).toHaveLength(6);
    expect(links.every((l) => l.iCalUIdOwed)).toBe(true);
    w.crm.writeItems = crmWrite;
    w.cal.writeEvents = calWrite;
    const again = await w.run();
    expect(again.status).toBe('succeeded');
    expect(w.cal.size).toBe(9);
    expect(w.crm.all().every((i) => i.iCalUId === w.eventsFor(i.id)[0]!.iCalUId)).toBe(true);
    expect((await w.store.loadLinks()).some((l) => l.iCalUIdOwed)).toBe(false);
  });

  test('the preview shows the CRM write next to the event create', async () => {
    const w = makeWorld();
    const item = w.crmCreate();
    const { actions } = await w.preview();
    expect(actions.filter((a) => a.crmId === item.id).map((a) => `${a.side}:${a.action}`)).toEqual([
      'calendar:create',
      'crm:update',
    ]);
    expect(w.crm.writeLog).toHaveLength(0);
  });

  test('a failed write is reported, kept as owed on the link and finished by the next run', async () => {
    const w = makeWorld();
    const state = { failing: true };
    w.ctx.crm = failingICalUId(w.crm, state);
    const item = w.crmCreate();
    const r1 = await w.run();
    expect(r1.status).toBe('partial');
    expect(r1.errors[0]).toMatchObject({ side: 'crm', itemId: item.id });
    expect(w.eventsFor(item.id)).toHaveLength(1);
    expect(w.crm.get(item.id)!.iCalUId).toBeNull();
    expect((await w.store.loadLinks())[0]!.iCalUIdOwed).toBe(true);
    state.failing = false;
    const r2 = await w.run();
    expect(r2.status).toBe('succeeded');
    expect(w.crm.get(item.id)!.iCalUId).toBe(w.eventsFor(item.id)[0]!.iCalUId);
    expect(w.eventsFor(item.id)).toHaveLength(1);
    expect((await w.store.loadLinks())[0]!.iCalUIdOwed).toBeUndefined();
    const before = w.writes();
    await w.run();
    expect(w.writes()).toEqual(before);
  });

  test('a crash between the event create and the CRM write: the next run writes it, no second event', async () => {
    const w = makeWorld();
    const faults = new FaultPlan();
    const store = new MemoryStatusStore();
    const item = w.crmCreate();
    // The CRM's first write (the set-ical-uid) never reaches it: the process dies right before.
    faults.crash = { side: 'crm', remaining: 0, when: 'before' };
    const ctx: EngineContext = { ...w.ctx, crm: faultyCrm(w.crm, faults), store: crashableStore(store, faults) };
    await expect(runSync(ctx, { runId: 'crash', trigger: 'manual' })).rejects.toBeInstanceOf(SimulatedCrash);
    expect(w.eventsFor(item.id)).toHaveLength(1);
    expect(w.crm.get(item.id)!.iCalUId).toBeNull();
    expect((await store.loadLinks())[0]).toMatchObject({ crmId: item.id, iCalUIdOwed: true });
    faults.reset();
    const r = await runSync(ctx, { runId: 'after', trigger: 'manual' });
    expect(r.status).toBe('succeeded');
    expect(w.eventsFor(item.id)).toHaveLength(1);
    expect(w.crm.get(item.id)!.iCalUId).toBe(w.eventsFor(item.id)[0]!.iCalUId);
    expect(setICalUIds(faults.sent.crm)).toHaveLength(1);
  });

  test('the owed note alone (item not in an incremental listing) makes the planner send the write', () => {
    const w = makeWorld();
    const f = fields();
    const link: LinkRecord = {
      id: 'crm-1\u0001evt-1',
      crmId: 'crm-1',
      eventId: 'evt-1',
      calendarId: 'primary',
      iCalUId: 'uid-1@memory',
      origin: 'crm',
      crmVersion: 'v1',
      eventVersion: 'v1',
      crmFields: f,
      eventFields: f,
      crmHash: 'h',
      eventHash: 'h',
      syncedAt: NOW.toISOString(),
      crmInfo: { type: 'meeting', completed: false, priority: null, url: null },
      iCalUIdOwed: true,
    };
    const input = (settings: Partial<SyncSettings>, l: LinkRecord): PlanInput => ({
      env: {
        settings: { ...defaultSettings, ...settings },
        crmCaps: w.crm.capabilities,
        calCaps: w.cal.capabilities,
        userEmail: USER,
        now: NOW,
      },
      calendars: { targetCalendarId: 'primary', sourceCalendarIds: ['primary'] },
      meta: { firstSyncDone: true, repairing: false },
      links: [l],
      tombstones: [],
      crm: { upserts: [], removedIds: [], full: false },
      events: [{ calendarId: 'primary', upserts: [], removedIds: [], full: false }],
      taggedExtra: [],
      sharedItems: [],
      people: [],
      resync: false,
    });
    const p = plan(input({}, link));
    expect(p.ops).toHaveLength(1);
    expect(p.ops[0]).toMatchObject({
      kind: 'pair',
      crmWrites: [{ op: 'set-ical-uid', id: 'crm-1', iCalUId: 'uid-1@memory' }],
      eventWrite: null,
      iCalUIdOwed: true,
    });
    // Without the note, or one-way CRM → calendar (the CRM is the source), nothing is planned.
    expect(plan(input({}, { ...link, iCalUIdOwed: false })).ops).toHaveLength(0);
    expect(plan(input({ direction: 'crm-to-calendar' }, link)).ops).toHaveLength(0);
    // An imported pair never owes it (its activity was created with the iCalUId).
    expect(plan(input({}, { ...link, origin: 'calendar' })).ops).toHaveLength(0);
  });

  test('one-way CRM → calendar never writes the CRM, not even this tag; switching to two-way writes it', async () => {
    const w = makeWorld({ direction: 'crm-to-calendar' });
    const item = w.crmCreate();
    await w.run();
    expect(w.eventsFor(item.id)).toHaveLength(1);
    expect(w.crm.writeLog).toHaveLength(0);
    expect(w.crm.get(item.id)!.iCalUId).toBeNull();
    await w.run();
    expect(w.crm.writeLog).toHaveLength(0);
    w.setSettings({ direction: 'two-way' });
    await w.run();
    expect(w.crm.writeLog).toEqual([{ op: 'set-ical-uid', id: item.id, iCalUId: w.eventsFor(item.id)[0]!.iCalUId }]);
  });

  test('one-way calendar → CRM (the CRM is the target): a CRM-born pair found by tag gets the iCalUId', async () => {
    const w = makeWorld({ direction: 'calendar-to-crm' });
    const item = w.crmCreate();
    // The mirror made before the direction changed (or a create whose answer was lost): it carries our tag.
    const ev = w.cal.userCreate('primary', { fields: fields(), crmTag: item.id });
    await w.run();
    expect(w.cal.writeLog).toHaveLength(0);
    expect(w.crm.writeLog).toEqual([{ op: 'set-ical-uid', id: item.id, iCalUId: ev.iCalUId }]);
    expect(w.crm.all()).toHaveLength(1);
  });

  test('a new mirror replaces the iCalUId of an earlier one (flag turned off and on again)', async () => {
    const w = makeWorld();
    const item = w.crmCreate();
    await w.run();
    const first = w.eventsFor(item.id)[0]!;
    w.crm.userSetFlag(item.id, false);
    await w.run();
    expect(w.eventsFor(item.id)).toHaveLength(0);
    expect(w.crm.get(item.id)!.iCalUId).toBe(first.iCalUId);
    w.crm.userSetFlag(item.id, true);
    await w.run();
    const second = w.eventsFor(item.id)[0]!;
    expect(second.iCalUId).not.toBe(first.iCalUId);
    expect(w.crm.get(item.id)!.iCalUId).toBe(second.iCalUId);
    expect(setICalUIds(w.crm.writeLog)).toHaveLength(2);
  });

  test('a different iCalUId written later by someone else is left alone: no flip-flop between users', async () => {
    const w = makeWorld();
    const item = w.crmCreate();
    await w.run();
    // A colleague's connector mirrors the same (shared) activity and writes its own event's iCalUId.
    const colleague = new MemoryCrm({ userEmail: 'bob@corp.test', data: w.crm.data, now: () => NOW });
    await colleague.writeItems([{ op: 'set-ical-uid', id: item.id, iCalUId: 'bob-copy@corp.test' }]);
    const before = w.writes();
    await w.run();
    await w.run();
    expect(w.writes()).toEqual(before);
    expect(w.crm.get(item.id)!.iCalUId).toBe('bob-copy@corp.test');
  });

  test('no write when the new event has the iCalUId the item already carries', async () => {
    const w = makeWorld();
    const item = w.crmCreate();
    const { actions } = await w.preview();
    expect(actions.some((a) => a.crmId === item.id && a.side === 'crm')).toBe(true);
    // A calendar that keeps the UID it is given (CalDAV-like): the item's own iCalUId survives.
    const uid = 'kept@caldav.test';
    w.crm.data.items.get(item.id)!.iCalUId = uid;
    const create = w.cal.writeEvents.bind(w.cal);
    w.cal.writeEvents = async (calendarId, writes) => {
      const out = await create(calendarId, writes);
      for (const r of out) if (r.ok && r.value) r.value.iCalUId = uid;
      return out;
    };
    await w.run();
    expect(w.crm.writeLog).toHaveLength(0);
    expect((await w.store.loadLinks())[0]!.iCalUIdOwed).toBeUndefined();
  });

  test('a type whose iCalUId the CRM cannot store is mirrored without the write', async () => {
    const w = makeWorld({}, { crm: { iCalUIdTypes: ['meeting'] } });
    const call = w.crmCreate({ type: 'call' });
    const meeting = w.crmCreate({ type: 'meeting' }, { subject: 'Meeting' });
    const r = await w.run();
    expect(r.status).toBe('succeeded');
    expect(w.eventsFor(call.id)).toHaveLength(1);
    expect(w.crm.writeLog.map((x) => x.op === 'set-ical-uid' && x.id)).toEqual([meeting.id]);
    expect(w.crm.get(call.id)!.iCalUId).toBeNull();
  });

  test('a pair made before the write-back existed (no iCalUId, no note) gets it when its item is next listed', async () => {
    const w = makeWorld({}, { crm: { iCalUIdTypes: [] } });
    const item = w.crmCreate();
    await w.run();
    expect(w.crm.writeLog).toHaveLength(0);
    // The CRM learns to store it (a newer connector version): the next time the item shows up it is written.
    (w.crm.capabilities as { iCalUIdTypes?: readonly string[] }).iCalUIdTypes = undefined;
    await w.run();
    expect(w.crm.writeLog).toHaveLength(0);
    w.crm.userUpdate(item.id, { location: 'Room 2' });
    await w.run();
    expect(setICalUIds(w.crm.writeLog)).toEqual([
      { op: 'set-ical-uid', id: item.id, iCalUId: w.eventsFor(item.id)[0]!.iCalUId },
    ]);
    expect(w.eventsFor(item.id)[0]!.fields.location).toBe('Room 2');
  });
});

describe('two CRM users, one meeting (SPEC §5)', () => {
  test('Ann’s CRM meeting invites Bob: Bob’s connector links his invitation to Ann’s activity, no second one', async () => {
    const data = new MemoryCrmData();
    const settings: SyncSettings = { ...defaultSettings, invitations: 'always' };
    const ann = 'ann@corp.test';
    const bob = 'bob@corp.test';
    const now = (): Date => NOW;
    const world = (user: string) => {
      const crm = new MemoryCrm({ userEmail: user, data, now });
      const cal = new MemoryCalendar({ userEmail: user, now });
      const store = new MemoryStatusStore();
      const ctx: EngineContext = {
        crm,
        calendar: cal,
        store,
        settings,
        userEmail: user,
        calendars: { targetCalendarId: 'primary', sourceCalendarIds: ['primary'] },
        now,
        sleep: async () => undefined,
      };
      return { crm, cal, store, ctx };
    };
    const a = world(ann);
    const b = world(bob);
    const attendees = [{ email: bob }, { email: 'c@client.test' }];
    const item = a.crm.userCreate({ type: 'meeting', fields: fields({ attendees }), ownerEmails: [ann] });
    const ra = await runSync(a.ctx, { runId: 'a1', trigger: 'manual' });
    expect(ra.status).toBe('succeeded');
    const annEvent = a.cal.all().find((e) => e.crmTag === item.id)!;
    expect(a.cal.sentMail.map((m) => m.kind)).toEqual(['invitation']);
    expect(data.items.get(item.id)!.iCalUId).toBe(annEvent.iCalUId);

    // The invitation lands in Bob's calendar: same iCalUId, Ann organises, Bob is an attendee.
    b.cal.userCreate('primary', {
      fields: { ...annEvent.fields, attendees: [{ email: ann }, { email: 'c@client.test' }] },
      iCalUId: annEvent.iCalUId,
      isOrganizer: false,
    });
    const rb = await runSync(b.ctx, { runId: 'b1', trigger: 'manual' });
    expect(rb.status).toBe('succeeded');
    expect(rb.crm.created).toBe(0);
    expect(data.items.size).toBe(1);
    expect(data.items.get(item.id)!.ownerEmails).toEqual([ann, bob]);
    // Bob is only added: his copy (attendees seen without himself) does not rewrite Ann's activity.
    expect(b.crm.writeLog).toEqual([{ op: 'add-owner', id: item.id, email: bob }]);
    expect(data.items.get(item.id)!.fields.attendees).toEqual(attendees);
    const [bLink] = await b.store.loadLinks();
    expect(bLink).toMatchObject({ crmId: item.id, origin: 'calendar', iCalUId: annEvent.iCalUId });
    // Bob's connector never e-mails anyone, and neither side writes again when nothing changed.
    expect(b.cal.sentMail).toHaveLength(0);
    const writes = {
      a: a.crm.writeLog.length + a.cal.writeLog.length,
      b: b.crm.writeLog.length + b.cal.writeLog.length,
    };
    await runSync(a.ctx, { runId: 'a2', trigger: 'manual' });
    await runSync(b.ctx, { runId: 'b2', trigger: 'manual' });
    await runSync(a.ctx, { runId: 'a3', trigger: 'manual' });
    expect(a.crm.writeLog.length + a.cal.writeLog.length).toBe(writes.a);
    expect(b.crm.writeLog.length + b.cal.writeLog.length).toBe(writes.b);
    expect(data.items.size).toBe(1);
    expect(a.cal.all()).toHaveLength(1);
    expect(b.cal.all()).toHaveLength(1);
  });
});
