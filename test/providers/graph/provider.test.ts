import { ProviderError } from '../../../src/sync/errors';
import { decorationMarker, openGraphProvider } from '../../../src/providers/calendar/graph';
import { draft, startHarness, window, type Harness } from './helpers';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.double.stop();
});

const cal = () => h.double.state.defaultCalendarId;
const alice = { email: 'alice@customer.example', name: 'Alice Doe' };

describe('Graph provider: connection and calendars', () => {
  test('testConnection names the mailbox; listCalendars maps default and write access', async () => {
    const second = h.double.state.addCalendar('CRM items');
    expect(await h.provider.testConnection()).toEqual({ account: 'sam@contoso.example' });
    const list = await h.provider.listCalendars();
    expect(list.find((c) => c.isDefault)?.id).toBe(cal());
    expect(list.find((c) => c.id === second)).toMatchObject({ name: 'CRM items', canWrite: true, isDefault: false });
  });

  test('a 401 re-asks the server for a token once; a token that stays rejected is ProviderError kind auth', async () => {
    await h.provider.listCalendars();
    h.double.token = 'rotated-server-side';
    await expect(h.provider.listCalendars()).resolves.toHaveLength(1);
    expect(h.double.log.filter((l) => l.url.startsWith('/v1.0/me/calendars')).length).toBe(3);
    const stale = openGraphProvider({
      account: 'sam@contoso.example',
      env: {
        fetch: (u: string | URL, i?: RequestInit) => fetch(u, i),
        graphBaseUrl: h.double.baseUrl,
        now: () => h.clock.now,
      },
      getToken: () => Promise.resolve('expired'),
    });
    const err = await stale.listCalendars().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe('auth');
  });

  test('every request carries the ImmutableId and UTC preferences, batched ones included', async () => {
    await h.provider.writeEvents(cal(), [{ op: 'create', idempotencyKey: 'k1', draft: draft() }]);
    await h.provider.listChanges(cal(), null, window);
    expect(h.double.log.length).toBeGreaterThan(2);
    for (const l of h.double.log) {
      expect(l.prefer).toContain('IdType="ImmutableId"');
      expect(l.prefer).toContain('outlook.timezone="UTC"');
    }
    expect(h.double.log.some((l) => l.inBatch)).toBe(true);
  });
});

describe('Graph provider: writing', () => {
  test('never mode: invitees go to the marked body block, nobody is mailed, reading strips our decorations', async () => {
    const [res] = await h.provider.writeEvents(cal(), [
      { op: 'create', idempotencyKey: 'k1', draft: draft({ sendInvitations: false }, { attendees: [alice] }) },
    ]);
    expect(res?.ok).toBe(true);
    expect(h.double.mails).toEqual([]);
    const stored = [...h.double.state.events.values()][0]!;
    expect(stored.ev.attendees).toEqual([]);
    const html = stored.ev.body?.content ?? '';
    expect(html).toContain('Agenda: numbers &amp; &lt;plans&gt;');
    expect(html).toContain('href="https://crm.example/activities/1?x=1&amp;y=2"');
    expect(html).toContain('Alice Doe &lt;alice@customer.example&gt;');

    const listed = await h.provider.listChanges(cal(), null, window);
    expect(listed.full).toBe(true);
    const ev = listed.upserts[0]!;
    expect(ev.fields.body).toBe('Agenda: numbers & <plans>');
    expect(ev.fields.body).not.toContain(decorationMarker);
    expect(ev.fields.attendees).toEqual([alice]);
    expect(ev.crmTag).toBe('crm-1');
    expect(ev.fields.timing).toEqual(draft().fields.timing);
    expect(ev.fields.reminderMinutes).toBe(15);
  });

  test('always mode: attendees are real and mailed on create, update and delete', async () => {
    const [c] = await h.provider.writeEvents(cal(), [
      { op: 'create', idempotencyKey: 'k1', draft: draft({ sendInvitations: true }, { attendees: [alice] }) },
    ]);
    expect(c?.ok).toBe(true);
    const created = c!.ok ? c!.value! : null;
    expect(h.double.mails.map((m) => m.kind)).toEqual(['invitation']);
    const [u] = await h.provider.writeEvents(cal(), [
      {
        op: 'update',
        id: created!.id,
        ifMatch: created!.version,
        draft: draft({ sendInvitations: true }, { attendees: [alice], subject: 'Moved review' }),
      },
    ]);
    expect(u?.ok).toBe(true);
    expect(h.double.mails.map((m) => m.kind)).toEqual(['invitation', 'update']);
    await h.provider.writeEvents(cal(), [{ op: 'delete', id: created!.id, ifMatch: null, sendCancellations: true }]);
    expect(h.double.mails.map((m) => m.kind)).toEqual(['invitation', 'update', 'cancellation']);
  });

  test('never mode refuses to change or delete a meeting the user organises with attendees (it would mail them)', async () => {
    const s = h.double.userCreate({
      subject: 'Customer call',
      start: { dateTime: '2026-11-26T09:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-11-26T09:30:00', timeZone: 'UTC' },
      attendees: [{ emailAddress: { address: alice.email }, type: 'required' }],
    });
    const mailsBefore = h.double.mails.length;
    const res = await h.provider.writeEvents(cal(), [
      { op: 'update', id: s.ev.id!, ifMatch: null, draft: draft({ sendInvitations: false }) },
      { op: 'delete', id: s.ev.id!, ifMatch: null, sendCancellations: false },
    ]);
    expect(res.map((r) => r.ok)).toEqual([false, false]);
    expect(h.double.mails.length).toBe(mailsBefore);
    expect(h.double.state.events.get(s.ev.id!)?.ev.subject).toBe('Customer call');
  });

  test('transactionId makes a retried create idempotent', async () => {
    const w = { op: 'create' as const, idempotencyKey: 'intent-42', draft: draft() };
    const [a] = await h.provider.writeEvents(cal(), [w]);
    const [b] = await h.provider.writeEvents(cal(), [w]);
    expect(h.double.state.events.size).toBe(1);
    expect(a?.ok && b?.ok && a.value?.id === b.value?.id).toBe(true);
    const posted = h.double.log.find((l) => l.method === 'POST' && l.url.endsWith('/events'));
    expect((posted?.body as { transactionId?: string }).transactionId).toBe('intent-42');
  });

  test('45 creates go out as 3 $batch requests of at most 20, with 4 dependsOn lanes', async () => {
    const writes = Array.from({ length: 45 }, (_, i) => ({
      op: 'create' as const,
      idempotencyKey: `k${i}`,
      draft: draft({ crmTag: `crm-${i}` }),
    }));
    const res = await h.provider.writeEvents(cal(), writes);
    expect(res.every((r) => r.ok)).toBe(true);
    const batches = h.double.topLevel().filter((l) => l.url.endsWith('/$batch'));
    expect(batches.length).toBe(3);
    for (const b of batches) expect((b.body as { requests: unknown[] }).requests.length).toBeLessThanOrEqual(20);
    expect(h.double.concurrencyViolations).toBe(0);
    expect(h.double.state.events.size).toBe(45);
  });

  test('If-Match: an update against a stale changeKey is a conflict; deleting a gone event is fine', async () => {
    const [c] = await h.provider.writeEvents(cal(), [{ op: 'create', idempotencyKey: 'k', draft: draft() }]);
    const ev = c!.ok ? c!.value! : null;
    h.double.userUpdate(ev!.id, { subject: 'Edited in Outlook' });
    const [u] = await h.provider.writeEvents(cal(), [
      { op: 'update', id: ev!.id, ifMatch: ev!.version, draft: draft({}, { subject: 'From CRM' }) },
    ]);
    expect(!u!.ok && u!.error.kind).toBe('conflict');
    h.double.userDelete(ev!.id);
    const [d] = await h.provider.writeEvents(cal(), [
      { op: 'delete', id: ev!.id, ifMatch: null, sendCancellations: false },
    ]);
    expect(d).toEqual({ ok: true, value: null });
  });

  test('priority becomes a colour category, created in the master list when missing', async () => {
    const [c] = await h.provider.writeEvents(cal(), [
      { op: 'create', idempotencyKey: 'k', draft: draft({ priority: 'high' }) },
    ]);
    expect(c?.ok).toBe(true);
    expect(h.double.state.masterCategories.map((m) => [m.displayName, m.color])).toEqual([
      ['CRM: High priority', 'preset0'],
    ]);
    const listed = await h.provider.listChanges(cal(), null, window);
    expect(listed.upserts[0]?.category).toBe('CRM: High priority');
  });

  test('findByTag finds an event whose create answer was lost', async () => {
    await h.provider.writeEvents(cal(), [
      { op: 'create', idempotencyKey: 'a', draft: draft({ crmTag: "o'brien-7" }) },
      { op: 'create', idempotencyKey: 'b', draft: draft({ crmTag: 'crm-8' }) },
    ]);
    const found = await h.provider.findByTag(cal(), ["o'brien-7", 'nope']);
    expect(found.map((e) => e.crmTag)).toEqual(["o'brien-7"]);
  });
});

describe('Graph provider: reading with calendarView delta', () => {
  test('incremental listing: edits come as upserts, deletions as removedIds, leaving the window is not a deletion', async () => {
    const a = h.double.userCreate({
      subject: 'A',
      start: { dateTime: '2026-11-22T09:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-11-22T10:00:00', timeZone: 'Europe/Berlin' },
    });
    const b = h.double.userCreate({
      subject: 'B',
      start: { dateTime: '2026-11-23T09:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-11-23T10:00:00', timeZone: 'UTC' },
    });
    const c = h.double.userCreate({
      subject: 'C',
      isAllDay: true,
      start: { dateTime: '2026-11-24T00:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-11-25T00:00:00', timeZone: 'UTC' },
    });
    const first = await h.provider.listChanges(cal(), null, window);
    expect(first.full).toBe(true);
    expect(first.upserts.map((e) => e.fields.subject).sort()).toEqual(['A', 'B', 'C']);
    const aEv = first.upserts.find((e) => e.id === a.ev.id)!;
    expect(aEv.fields.timing).toEqual({
      kind: 'timed',
      start: '2026-11-22T08:00:00.000Z',
      end: '2026-11-22T09:00:00.000Z',
      timeZone: 'Europe/Berlin',
    });
    expect(first.upserts.find((e) => e.id === c.ev.id)!.fields.timing).toEqual({
      kind: 'all-day',
      startDate: '2026-11-24',
      endDate: '2026-11-25',
    });

    h.double.userUpdate(a.ev.id!, { subject: 'A2' });
    h.double.userDelete(b.ev.id!);
    // Moved to before the window: Graph says @removed, but the event still exists.
    h.double.userUpdate(c.ev.id!, {
      start: { dateTime: '2026-01-05T00:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-01-06T00:00:00', timeZone: 'UTC' },
    });
    const second = await h.provider.listChanges(cal(), first.nextCursor, window);
    expect(second.full).toBe(false);
    expect(second.upserts.map((e) => e.fields.subject)).toEqual(['A2']);
    expect(second.removedIds).toEqual([b.ev.id]);

    const third = await h.provider.listChanges(cal(), second.nextCursor, window);
    expect(third).toMatchObject({ upserts: [], removedIds: [], full: false });
    const deltaCalls = h.double.topLevel().filter((l) => l.url.includes('/calendarView/delta'));
    expect(deltaCalls.at(-1)?.url).toContain('$deltatoken=');
  });

  test('paging: a listing larger than a page follows nextLinks to the deltaLink', async () => {
    for (let i = 0; i < 25; i++) {
      h.double.userCreate({
        subject: `E${i}`,
        start: { dateTime: `2026-12-${String(i + 1).padStart(2, '0')}T09:00:00`, timeZone: 'UTC' },
        end: { dateTime: `2026-12-${String(i + 1).padStart(2, '0')}T10:00:00`, timeZone: 'UTC' },
      });
    }
    const small = openGraphProvider(
      {
        account: 'sam@contoso.example',
        env: {
          fetch: (u: string | URL, i?: RequestInit) => fetch(u, i),
          graphBaseUrl: h.double.baseUrl,
          now: () => h.clock.now,
        },
        getToken: () => Promise.resolve(h.double.token),
      },
      { pageSize: 10 },
    );
    const listed = await small.listChanges(cal(), null, window);
    expect(listed.upserts.length).toBe(25);
    expect(h.double.topLevel().filter((l) => l.url.includes('$skiptoken=')).length).toBe(2);
  });

  test('410 Gone on the delta link becomes a full listing that reports no deletions', async () => {
    h.double.userCreate({
      subject: 'Kept',
      start: { dateTime: '2026-11-22T09:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-11-22T10:00:00', timeZone: 'UTC' },
    });
    const first = await h.provider.listChanges(cal(), null, window);
    h.double.expireDeltaTokens();
    const again = await h.provider.listChanges(cal(), first.nextCursor, window);
    expect(again.full).toBe(true);
    expect(again.removedIds).toEqual([]);
    expect(again.upserts.map((e) => e.fields.subject)).toEqual(['Kept']);
  });

  test('the rolling horizon re-baselines once less than two years remain', async () => {
    const first = await h.provider.listChanges(cal(), null, window);
    const initialDelta = h.double.topLevel().filter((l) => l.url.includes('endDateTime='));
    expect(initialDelta.length).toBe(1);
    const end = Date.parse(decodeURIComponent(/endDateTime=([^&]+)/.exec(initialDelta[0]!.url)![1]!));
    expect(end - h.clock.now.getTime()).toBeGreaterThanOrEqual(730 * 86_400_000);
    h.clock.now = new Date(h.clock.now.getTime() + 10 * 86_400_000);
    expect((await h.provider.listChanges(cal(), first.nextCursor, window)).full).toBe(false);
    h.clock.now = new Date(h.clock.now.getTime() + 40 * 86_400_000);
    expect((await h.provider.listChanges(cal(), first.nextCursor, window)).full).toBe(true);
  });

  test('a corrupt or foreign cursor gives a full listing, not an error', async () => {
    expect((await h.provider.listChanges(cal(), 'garbage', window)).full).toBe(true);
  });

  /** Five Mondays at 09:00 UTC from 23 November, created by the user in Outlook. */
  const weeklySeries = () =>
    h.double.userCreate({
      subject: 'Weekly sync',
      start: { dateTime: '2026-11-23T09:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-11-23T09:30:00', timeZone: 'UTC' },
      recurrence: {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'], firstDayOfWeek: 'monday' },
        range: { type: 'numbered', startDate: '2026-11-23', numberOfOccurrences: 5, recurrenceTimeZone: 'UTC' },
      },
    });

  test('series: master with RRULE and exdates, modified occurrences with their original start', async () => {
    const master = weeklySeries();
    const id = master.ev.id!;
    const occ2 = `${id}_OCC_20261130`;
    const occ3 = `${id}_OCC_20261207`;
    const first = await h.provider.listChanges(cal(), null, window);
    const m = first.upserts.find((e) => e.id === id)!;
    expect(m.fields.recurrence).toEqual({ rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=5', exdates: [] });

    // The user moves one occurrence and cancels another in Outlook.
    await fetch(`${h.double.baseUrl}/me/events/${occ2}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${h.double.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ subject: 'Weekly sync (moved)' }),
    });
    h.double.userDelete(occ3);
    const next = await h.provider.listChanges(cal(), first.nextCursor, window);
    const master2 = next.upserts.find((e) => e.id === id)!;
    expect(master2.fields.recurrence?.exdates).toEqual(['2026-12-07T09:00:00.000Z']);
    const exception = next.upserts.find((e) => e.id === occ2)!;
    expect(exception.fields.subject).toBe('Weekly sync (moved)');
    expect(exception.occurrence).toEqual({ seriesId: id, originalStart: '2026-11-30T09:00:00.000Z' });
    expect(next.removedIds).not.toContain(id);
  });

  test('a listing filter: events filtered as each chunk is read; a rejected series keeps its exception', async () => {
    for (let i = 0; i < 105; i++) {
      const at = (min: number) =>
        new Date(Date.parse('2026-12-01T09:00:00Z') + (i * 60 + min) * 60_000).toISOString().slice(0, 19);
      h.double.userCreate({
        subject: `E${i}`,
        start: { dateTime: at(0), timeZone: 'UTC' },
        end: { dateTime: at(30), timeZone: 'UTC' },
      });
    }
    const master = weeklySeries();
    const seriesId = master.ev.id!;
    await fetch(`${h.double.baseUrl}/me/events/${seriesId}_OCC_20261130`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${h.double.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ subject: 'Weekly sync (moved)' }),
    });
    const all = await h.provider.listChanges(cal(), null, window);
    expect(all.upserts).toHaveLength(107);
    const exception = all.upserts.find((e) => e.occurrence?.seriesId === seriesId)!;
    expect(exception.fields.subject).toBe('Weekly sync (moved)');
    const rejected = new Set([seriesId, ...all.upserts.filter((_, n) => n % 2 === 0).map((e) => e.id)]);
    rejected.delete(exception.id);
    const asked: string[] = [];
    let firstAskAt = -1;
    const kept = await h.provider.listChanges(cal(), null, window, (ev) => {
      if (firstAskAt < 0) firstAskAt = h.double.topLevel().length;
      asked.push(ev.id);
      return !rejected.has(ev.id);
    });
    expect(asked.sort()).toEqual(all.upserts.map((e) => e.id).sort());
    expect(kept.upserts).toEqual(all.upserts.filter((e) => !rejected.has(e.id)));
    expect(kept.upserts).toContainEqual(exception);
    // The first chunk of 100 is filtered before the rest (and the series) are read.
    expect(firstAskAt).toBeLessThan(h.double.topLevel().length);
    // Incremental: the changes are asked about once, after everything is read.
    const no = all.upserts.find((e) => rejected.has(e.id) && !e.fields.recurrence)!;
    const yes = all.upserts.find((e) => !rejected.has(e.id) && !e.occurrence)!;
    for (const e of [no, yes]) {
      await fetch(`${h.double.baseUrl}/me/events/${e.id}`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${h.double.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ subject: 'Changed' }),
      });
    }
    const incAsked: string[] = [];
    const inc = await h.provider.listChanges(cal(), kept.nextCursor, window, (ev) => {
      incAsked.push(ev.id);
      return !rejected.has(ev.id);
    });
    expect(inc.full).toBe(false);
    expect(incAsked.sort()).toEqual([no.id, yes.id].sort());
    expect(inc.upserts.map((e) => [e.id, e.fields.subject])).toEqual([[yes.id, 'Changed']]);
  });

  test('writes a series from an RRULE and reads the same RRULE back', async () => {
    const rec = { rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=6', exdates: [] };
    const [c] = await h.provider.writeEvents(cal(), [
      { op: 'create', idempotencyKey: 's', draft: draft({}, { recurrence: rec }) },
    ]);
    expect(c?.ok).toBe(true);
    const listed = await h.provider.listChanges(cal(), null, window);
    const master = listed.upserts.find((e) => e.fields.recurrence);
    expect(master?.fields.recurrence).toEqual(rec);
    expect(master?.crmTag).toBe('crm-1');
  });
});

describe('Graph provider: series writes and calendar moves', () => {
  test('exdates of a series we write cancel those occurrences, and read back as exdates', async () => {
    const rec = { rrule: 'FREQ=DAILY;COUNT=5', exdates: ['2026-11-27T09:00:00.000Z'] };
    const [c] = await h.provider.writeEvents(cal(), [
      { op: 'create', idempotencyKey: 's', draft: draft({}, { recurrence: rec }) },
    ]);
    expect(c?.ok).toBe(true);
    const master = [...h.double.state.events.values()].find((e) => e.ev.type === 'seriesMaster')!;
    expect(master.ev.cancelledOccurrences).toEqual([`OID.${master.ev.id}.2026-11-27`]);
    const listed = await h.provider.listChanges(cal(), null, window);
    expect(listed.upserts.find((e) => e.id === master.ev.id)?.fields.recurrence).toEqual({
      rrule: 'FREQ=DAILY;COUNT=5',
      exdates: ['2026-11-27T09:00:00.000Z'],
    });
    // A second write with the same exdate finds nothing left to cancel and still succeeds.
    const [u] = await h.provider.writeEvents(cal(), [
      { op: 'update', id: master.ev.id!, ifMatch: null, draft: draft({}, { recurrence: rec }) },
    ]);
    expect(u?.ok).toBe(true);
  });

  test('an event moved to another calendar is gone from this one (removed), not an upsert here', async () => {
    const other = h.double.state.addCalendar('Other');
    const s = h.double.userCreate({
      subject: 'Movable',
      start: { dateTime: '2026-11-22T09:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-11-22T10:00:00', timeZone: 'UTC' },
    });
    const first = await h.provider.listChanges(cal(), null, window);
    s.calendarId = other;
    h.double.state.touch(s);
    h.double.state.recordRemoval(s.ev.id!, cal());
    const next = await h.provider.listChanges(cal(), first.nextCursor, window);
    expect(next.upserts).toEqual([]);
    expect(next.removedIds).toEqual([s.ev.id]);
  });
});

describe('Graph provider: throttling and concurrency', () => {
  test('429 with Retry-After is waited out and retried', async () => {
    h.double.throttle(2, 7);
    await expect(h.provider.listCalendars()).resolves.toHaveLength(1);
    expect(h.sleeps).toEqual([7000, 7000]);
    expect(h.stats.throttled).toBe(2);
  });

  test('throttled sub-requests inside $batch are resubmitted after Retry-After, without duplicates', async () => {
    h.double.throttle(3, 2, 'sub');
    const writes = Array.from({ length: 8 }, (_, i) => ({
      op: 'create' as const,
      idempotencyKey: `k${i}`,
      draft: draft({ crmTag: `t${i}` }),
    }));
    const res = await h.provider.writeEvents(cal(), writes);
    expect(res.every((r) => r.ok)).toBe(true);
    expect(h.double.state.events.size).toBe(8);
    expect(h.sleeps).toContain(2000);
  });

  test('never more than 4 requests in flight for one mailbox', async () => {
    h.double.latencyMs = 20;
    await Promise.all(Array.from({ length: 12 }, () => h.provider.testConnection()));
    expect(h.double.maxInFlight).toBeLessThanOrEqual(4);
    expect(h.double.concurrencyViolations).toBe(0);
  });

  test('503 after the retries are used up is a transient ProviderError', async () => {
    h.double.throttle(10, 1, 'top', 503);
    const err = await h.provider.listCalendars().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe('transient');
  });
});

describe('Graph provider: order of writes to one event', () => {
  test('an update and a delete of the same event in one call run in order, even when the first is throttled', async () => {
    const [c] = await h.provider.writeEvents(cal(), [{ op: 'create', idempotencyKey: 'k', draft: draft() }]);
    const ev = c!.ok ? c!.value! : null;
    h.double.throttle(1, 1, 'sub', 429, 'PATCH');
    const res = await h.provider.writeEvents(cal(), [
      // The throttled sub-request is the PATCH itself (the reads before writing are not throttled).
      {
        op: 'update',
        id: ev!.id,
        ifMatch: null,
        draft: draft({ sendInvitations: true }, { subject: 'Changed first' }),
      },
      { op: 'delete', id: ev!.id, ifMatch: null, sendCancellations: true },
    ]);
    expect(res.map((r) => r.ok)).toEqual([true, true]);
    expect(h.double.state.events.has(ev!.id)).toBe(false);
    const writes = h.double.log.filter((l) => l.inBatch && l.method !== 'GET').map((l) => l.method);
    expect(writes.slice(-3)).toEqual(['PATCH', 'PATCH', 'DELETE']);
  });
});

describe('Graph provider: mailbox-wide limits and link safety', () => {
  test('two provider instances for one mailbox share the 4 in-flight slots', async () => {
    const second = openGraphProvider({
      account: 'sam@contoso.example',
      env: {
        fetch: (u: string | URL, i?: RequestInit) => fetch(u, i),
        graphBaseUrl: h.double.baseUrl,
        now: () => h.clock.now,
      },
      getToken: () => Promise.resolve(h.double.token),
    });
    h.double.latencyMs = 20;
    await Promise.all([
      ...Array.from({ length: 6 }, () => h.provider.testConnection()),
      ...Array.from({ length: 6 }, () => second.testConnection()),
    ]);
    expect(h.double.maxInFlight).toBeLessThanOrEqual(4);
    expect(h.double.concurrencyViolations).toBe(0);
  });

  test('a nextLink pointing at another host is refused (the token is never sent there)', () => {
    expect(() => h.provider.api.relative('https://evil.example/v1.0/me/events?$skiptoken=x')).toThrow(ProviderError);
    expect(h.provider.api.relative(`${h.double.baseUrl}/me/events?$skiptoken=x`)).toBe('/me/events?$skiptoken=x');
  });
});
