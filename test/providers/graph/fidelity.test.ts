/**
 * Outlook fidelity (issue 18): the provider never damages what the user (or Teams) put in a meeting, and speaks
 * Graph as Microsoft documents it. Each `point N` test failed against the provider before its fix (docs/graph.md).
 */
import type { Event } from '@microsoft/microsoft-graph-types';
import { graphNotifications, openGraphProvider } from '../../../src/providers/calendar/graph';
import { ProviderError } from '../../../src/sync/errors';
import type { CalendarEvent, EventDraft, SyncedFields } from '../../../src/sync/model';
import { plainBody, tableBody, teamsBlob, teamsBody } from './bodies';
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
const bob = { email: 'bob@customer.example' };

/** A meeting the user made in Outlook (no attendees, so no mail guard), with the given body. */
function outlookEvent(body: Event['body'], extra: Event = {}): string {
  return h.double.userCreate({
    subject: 'Renewal call',
    body,
    start: { dateTime: '2026-11-25T09:00:00', timeZone: 'UTC' },
    end: { dateTime: '2026-11-25T10:00:00', timeZone: 'UTC' },
    location: { displayName: 'Room 1' },
    isReminderOn: true,
    reminderMinutesBeforeStart: 15,
    ...extra,
  }).ev.id!;
}

const stored = (id: string): string => h.double.state.events.get(id)!.ev.body!.content!;

async function readEvent(id: string): Promise<CalendarEvent> {
  const list = await h.provider.listChanges(cal(), null, window);
  return list.upserts.find((e) => e.id === id)!;
}

/** What the engine would send: the fields as read, with the CRM's changes; a changeKey read just now. */
async function crmEdit(id: string, over: Partial<EventDraft>, f: Partial<SyncedFields> = {}) {
  const ev = await readEvent(id);
  const d = draft({ crmUrl: null, ...over }, { ...ev.fields, ...f });
  const [r] = await h.provider.writeEvents(cal(), [{ op: 'update', id, ifMatch: ev.version, draft: d }]);
  if (!r!.ok) throw r!.error;
  return r!;
}

const lastPatch = () => [...h.double.log].reverse().find((l) => l.method === 'PATCH')!;

describe('point 1: a CRM change never rewrites what the user wrote', () => {
  const cases: [string, Event['body']][] = [
    ['a Teams meeting body', { contentType: 'html', content: teamsBody }],
    ['an HTML body with a table and an image', { contentType: 'html', content: tableBody }],
    ['a plain-text body', { contentType: 'text', content: plainBody }],
  ];
  test.each(cases)('%s stays byte for byte across several CRM-side edits', async (_name, body) => {
    const online = body!.content === teamsBody;
    const id = outlookEvent(body, online ? { isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness' } : {});
    const original = body!.content!;

    // 1. The subject changes: the body is not sent at all.
    await crmEdit(id, {}, { subject: 'Renewal call (v2)' });
    expect(lastPatch().body).not.toHaveProperty('body');
    expect(stored(id)).toBe(original);

    // 2. The deep link appears: only our block is added.
    await crmEdit(id, { crmUrl: 'https://crm.example/activities/7' });
    const withLink = stored(id);
    expect(withLink).toContain('https://crm.example/activities/7');
    expect(removeBlock(withLink)).toBe(original);

    // 3. Invitees change in never mode: the block is replaced, nothing else moves.
    await crmEdit(id, { crmUrl: 'https://crm.example/activities/7' }, { attendees: [alice, bob] });
    expect(stored(id)).toContain('alice@customer.example');
    expect(removeBlock(stored(id))).toBe(original);

    // 4. The location changes: no body.
    await crmEdit(id, { crmUrl: 'https://crm.example/activities/7' }, { location: 'Room 2', attendees: [alice, bob] });
    expect(lastPatch().body).not.toHaveProperty('body');

    // 5. Link and invitees go away: the body is the user's again, byte for byte.
    await crmEdit(id, { crmUrl: null }, { attendees: [] });
    expect(stored(id)).toBe(original);
    if (online) expect(stored(id)).toContain(teamsBlob);
  });

  test('a description the CRM changed replaces the text of a Teams meeting, never its join blob', async () => {
    const id = outlookEvent({ contentType: 'html', content: teamsBody }, { isOnlineMeeting: true });
    const ev = await readEvent(id);
    // The engine never sees Teams' join information as the user's text.
    expect(ev.fields.body).toBe("Let's go through the Q4 renewal terms.");
    await crmEdit(id, { crmUrl: 'https://crm.example/activities/7' }, { body: 'New agenda & <scope>' });
    const now = stored(id);
    expect(now).toContain(teamsBlob);
    expect(now).toContain('New agenda &amp; &lt;scope&gt;');
    expect(now).not.toContain('Q4 renewal');
    expect((await readEvent(id)).fields.body).toBe('New agenda & <scope>');
  });

  test('an online meeting whose join blob cannot be found keeps its text, and the write says so', async () => {
    const odd = '<html><body><p>Agenda</p><p>Join: https://teams.microsoft.com/l/meetup-join/abc</p></body></html>';
    const id = outlookEvent({ contentType: 'html', content: odd }, { isOnlineMeeting: true });
    const r = await crmEdit(id, {}, { body: 'Rewritten by the CRM' });
    expect(stored(id)).toBe(odd);
    expect(r.ok && r.notes?.[0]).toMatch(/join information/);
    expect(r.ok && r.value?.fields.body).toContain('Agenda');
  });
});

describe('points 2–10: Graph as documented', () => {
  test('point 2: an expired delta token answered 400 syncStateNotFound (or 404 resyncRequired) re-lists', async () => {
    outlookEvent({ contentType: 'text', content: 'x' });
    const first = await h.provider.listChanges(cal(), null, window);
    h.double.expireDeltaTokens({ status: 400, code: 'syncStateNotFound' });
    const again = await h.provider.listChanges(cal(), first.nextCursor, window);
    expect(again.full).toBe(true);
    expect(again.removedIds).toEqual([]);
    h.double.expireDeltaTokens({ status: 404, code: 'resyncRequired' });
    expect((await h.provider.listChanges(cal(), again.nextCursor, window)).full).toBe(true);
  });

  test('point 3: an Outlook edit between the engine read and the write is a conflict, not overwritten', async () => {
    const id = outlookEvent({ contentType: 'text', content: 'x' });
    const ev = await readEvent(id);
    h.double.userUpdate(id, { subject: 'Changed in Outlook' });
    const [r] = await h.provider.writeEvents(cal(), [
      { op: 'update', id, ifMatch: ev.version, draft: draft({}, { ...ev.fields, subject: 'From the CRM' }) },
    ]);
    expect(r!.ok).toBe(false);
    expect(!r!.ok && r!.error.kind).toBe('conflict');
    expect(h.double.state.events.get(id)!.ev.subject).toBe('Changed in Outlook');
    // The provider does not lean on If-Match, which the event docs do not describe.
    expect(h.double.log.filter((l) => l.ifMatch).length).toBe(0);
  });

  test('point 3: a 412 ErrorIrresolvableConflict on a GET is retried, not taken for a conflict', async () => {
    const id = outlookEvent({ contentType: 'text', content: 'x' });
    const ev = await readEvent(id);
    h.double.irresolvableConflictOnGet(1);
    const [r] = await h.provider.writeEvents(cal(), [
      { op: 'update', id, ifMatch: ev.version, draft: draft({}, { ...ev.fields, subject: 'From the CRM' }) },
    ]);
    expect(r!.ok).toBe(true);
  });

  test('point 4: a create retried with another body finds the event Graph made instead of failing', async () => {
    h.double.dropResponses(1, (m, u) => m === 'POST' && u.includes('$batch'));
    const [lost] = await h.provider.writeEvents(cal(), [{ op: 'create', idempotencyKey: 'k-1', draft: draft() }]);
    expect(!lost!.ok && lost!.error.uncertain).toBe(true);
    // Meanwhile the CRM item changed; the engine retries the create with the same key.
    const [again] = await h.provider.writeEvents(cal(), [
      { op: 'create', idempotencyKey: 'k-1', draft: draft({}, { subject: 'Renamed in the CRM' }) },
    ]);
    expect(again!.ok).toBe(true);
    expect(h.double.state.events.size).toBe(1);
    expect(again!.ok && again!.value!.id).toBe([...h.double.state.events.keys()][0]);
  });

  test('point 5: batches are fully parallel; one throttled write is retried alone, no 424 cascade', async () => {
    const writes = Array.from({ length: 20 }, (_, i) => ({
      op: 'create' as const,
      idempotencyKey: `k${i}`,
      draft: draft({ crmTag: `crm-${i}` }),
    }));
    h.double.throttle(1, 1, 'sub', 429, 'POST');
    const res = await h.provider.writeEvents(cal(), writes);
    expect(res.every((r) => r.ok)).toBe(true);
    const batches = h.double.log.filter((l) => !l.inBatch && l.url.endsWith('$batch'));
    const bodies = batches.map((b) => (b.body as { requests: { dependsOn?: string[] }[] }).requests);
    expect(bodies.flat().some((r) => r.dependsOn)).toBe(false);
    expect(bodies.map((b) => b.length)).toEqual([20, 1]);
    expect(h.double.mixedBatches).toBe(0);
  });

  test('point 6: the primary calendar uses v1.0 /me/calendarView/delta; another calendar its calendarView', async () => {
    const second = h.double.state.addCalendar('CRM');
    h.double.userCreate(
      {
        subject: 'In the second calendar',
        start: { dateTime: '2026-11-25T09:00:00', timeZone: 'UTC' },
        end: { dateTime: '2026-11-25T10:00:00', timeZone: 'UTC' },
      },
      second,
    );
    outlookEvent({ contentType: 'text', content: 'x' });
    const primary = await h.provider.listChanges(cal(), null, window);
    expect(primary.upserts.map((e) => e.fields.subject)).toEqual(['Renewal call']);
    const other = await h.provider.listChanges(second, null, window);
    expect(other.upserts.map((e) => e.fields.subject)).toEqual(['In the second calendar']);
    expect(other.full).toBe(true);
    expect(h.double.log.some((l) => l.url.startsWith('/v1.0/me/calendarView/delta'))).toBe(true);
    expect(h.double.log.some((l) => /\/me\/calendars\/[^/]+\/calendarView\/delta/.test(l.url))).toBe(false);
  });

  test('point 7: MailboxNotEnabledForRESTAPI is not "gone": a delete is not done, a listing fails plainly', async () => {
    const id = outlookEvent({ contentType: 'text', content: 'x' });
    h.double.disableMailbox();
    const [del] = await h.provider.writeEvents(cal(), [{ op: 'delete', id, ifMatch: null, sendCancellations: false }]);
    expect(del!.ok).toBe(false);
    expect(!del!.ok && del!.error.kind).toBe('permanent');
    const err = await h.provider.listChanges(cal(), null, window).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe('permanent');
    expect((err as ProviderError).message).not.toMatch(/soft-deleted/);
  });

  test('point 8: an all-day occurrence east of UTC keeps its own date, read and written', async () => {
    const master = h.double.userCreate({
      subject: 'Trade fair',
      isAllDay: true,
      start: { dateTime: '2026-11-25T00:00:00', timeZone: 'W. Europe Standard Time' },
      end: { dateTime: '2026-11-26T00:00:00', timeZone: 'W. Europe Standard Time' },
      recurrence: {
        pattern: { type: 'daily', interval: 1 },
        range: { type: 'numbered', startDate: '2026-11-25', numberOfOccurrences: 3 },
      },
    }).ev.id!;
    const occ = `${master}_OCC_20261126`;
    await fetch(`${h.double.baseUrl}/me/events/${occ}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${h.double.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ subject: 'Trade fair (day 2)' }),
    }).catch(() => undefined);
    const list = await h.provider.listChanges(cal(), null, window);
    const exception = list.upserts.find((e) => e.occurrence)!;
    expect(exception.occurrence).toEqual({ seriesId: master, originalStart: '2026-11-26' });
    const [w] = await h.provider.writeEvents(cal(), [
      {
        op: 'create',
        idempotencyKey: 'o',
        draft: draft(
          { occurrence: { seriesId: master, originalStart: '2026-11-27' } },
          {
            subject: 'Trade fair (day 3)',
            timing: { kind: 'all-day', startDate: '2026-11-27', endDate: '2026-11-28' },
          },
        ),
      },
    ]);
    expect(w!.ok).toBe(true);
    expect(w!.ok && w!.value!.id).toBe(`${master}_OCC_20261127`);
  });

  test('point 9: a subscription asks for no more than the documented lifetime', async () => {
    const hook = await import('node:http').then(
      (http) =>
        new Promise<{ url: string; close: () => void }>((resolve) => {
          const server = http.createServer((req, res) => {
            const token = new URL(req.url ?? '/', 'http://x').searchParams.get('validationToken') ?? '';
            res.writeHead(200, { 'Content-Type': 'text/plain' });
            res.end(token);
          });
          server.listen(0, '127.0.0.1', () => {
            const port = (server.address() as { port: number }).port;
            resolve({ url: `http://127.0.0.1:${port}/hook`, close: () => server.close() });
          });
        }),
    );
    try {
      const sub = await graphNotifications.subscribe(h.provider, {
        calendarId: cal(),
        notificationUrl: hook.url,
        clientState: 'state-1',
      });
      expect(Date.parse(sub.expiresAt) - h.clock.now.getTime()).toBeLessThanOrEqual(4230 * 60_000);
      await expect(graphNotifications.renew(h.provider, sub.id)).resolves.toBeDefined();
    } finally {
      hook.close();
    }
  });

  test('point 10: a series master found by tag carries its cancelled occurrences', async () => {
    const [c] = await h.provider.writeEvents(cal(), [
      {
        op: 'create',
        idempotencyKey: 's',
        draft: draft(
          { crmTag: 'crm-series' },
          {
            timing: {
              kind: 'timed',
              start: '2026-11-23T09:00:00.000Z',
              end: '2026-11-23T09:30:00.000Z',
              timeZone: 'UTC',
            },
            recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=4', exdates: [] },
          },
        ),
      },
    ]);
    const id = c!.ok ? c!.value!.id : '';
    h.double.userDelete(`${id}_OCC_20261130`);
    const found = await h.provider.findByTag(cal(), ['crm-series']);
    expect(found.map((e) => e.id)).toEqual([id]);
    expect(found[0]!.fields.recurrence?.exdates).toEqual(['2026-11-30T09:00:00.000Z']);
  });
});

test('point 10: a lost answer to an occurrence "create" (a PATCH of the instance) cannot duplicate it', async () => {
  const master = h.double.userCreate({
    subject: 'Weekly',
    start: { dateTime: '2026-11-23T09:00:00', timeZone: 'UTC' },
    end: { dateTime: '2026-11-23T09:30:00', timeZone: 'UTC' },
    recurrence: {
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
      range: { type: 'numbered', startDate: '2026-11-23', numberOfOccurrences: 3 },
    },
  }).ev.id!;
  const write = {
    op: 'create' as const,
    idempotencyKey: 'occ',
    draft: draft(
      { crmTag: 'crm-occ', occurrence: { seriesId: master, originalStart: '2026-11-30T09:00:00.000Z' } },
      {
        subject: 'Weekly (moved)',
        timing: { kind: 'timed', start: '2026-11-30T10:00:00.000Z', end: '2026-11-30T10:30:00.000Z', timeZone: 'UTC' },
      },
    ),
  };
  h.double.dropResponses(1, (m, u) => m === 'POST' && u.includes('$batch') && h.double.log.at(-1)?.method === 'PATCH');
  const [lost] = await h.provider.writeEvents(cal(), [write]);
  expect(lost!.ok).toBe(false);
  const [again] = await h.provider.writeEvents(cal(), [write]);
  expect(again!.ok).toBe(true);
  const instances = h.double.state.instances(master, Date.parse('2026-11-01'), Date.parse('2026-12-31'));
  expect(instances.map((i) => i.ev.subject)).toEqual(['Weekly', 'Weekly (moved)', 'Weekly']);
});

describe('point 10: exceptions written by the connector are found by tag', () => {
  function weekly(extra: Event = {}): string {
    return h.double.userCreate({
      subject: 'Weekly',
      start: { dateTime: '2026-11-23T09:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-11-23T09:30:00', timeZone: 'UTC' },
      recurrence: {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
        range: { type: 'numbered', startDate: '2026-11-23', numberOfOccurrences: 3 },
      },
      ...extra,
    }).ev.id!;
  }
  const occurrenceWrite = (master: string) => ({
    op: 'create' as const,
    idempotencyKey: 'occ',
    draft: draft(
      { crmTag: 'crm-occ', occurrence: { seriesId: master, originalStart: '2026-11-30T09:00:00.000Z' } },
      {
        subject: 'Weekly (moved)',
        timing: { kind: 'timed', start: '2026-11-30T10:00:00.000Z', end: '2026-11-30T10:30:00.000Z', timeZone: 'UTC' },
      },
    ),
  });
  const loseNextPatch = () =>
    h.double.dropResponses(
      1,
      (m, u) => m === 'POST' && u.includes('$batch') && h.double.log.at(-1)?.method === 'PATCH',
    );

  test('an exception of a series imported from Outlook (untagged master), after a lost answer', async () => {
    const master = weekly();
    await h.provider.listChanges(cal(), null, window);
    loseNextPatch();
    const [lost] = await h.provider.writeEvents(cal(), [occurrenceWrite(master)]);
    expect(lost!.ok).toBe(false);
    // The PATCH carried our tag (singlevaluelegacyextendedproperty-post-singlevalueextendedproperties.md).
    expect(lastPatch().body).toMatchObject({ singleValueExtendedProperties: [{ value: 'crm-occ' }] });

    const found = await h.provider.findByTag(cal(), ['crm-occ']);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      crmTag: 'crm-occ',
      occurrence: { seriesId: master, originalStart: '2026-11-30T09:00:00.000Z' },
      fields: { subject: 'Weekly (moved)' },
    });
    // Reached through the series' /instances with our tag expanded (event-list-instances.md), not calendarView.
    expect(h.double.log.some((l) => l.url.includes(`/me/events/${master}/instances`))).toBe(true);
    expect(h.double.log.some((l) => /calendarView\?.*filter/i.test(l.url))).toBe(false);
    // Ids that exist nowhere stay unfound; the untouched occurrences carry no tag of an occurrence item.
    expect(await h.provider.findByTag(cal(), ['crm-nothing'])).toEqual([]);
  });

  test('before any listing (a fresh provider), among the series masters that carry our tag', async () => {
    const [c] = await h.provider.writeEvents(cal(), [
      {
        op: 'create',
        idempotencyKey: 's',
        draft: draft(
          { crmTag: 'crm-series' },
          {
            subject: 'Weekly',
            timing: {
              kind: 'timed',
              start: '2026-11-23T09:00:00.000Z',
              end: '2026-11-23T09:30:00.000Z',
              timeZone: 'UTC',
            },
            recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=3', exdates: [] },
          },
        ),
      },
    ]);
    const master = c!.ok ? c!.value!.id : '';
    const [w] = await h.provider.writeEvents(cal(), [occurrenceWrite(master)]);
    expect(w!.ok && w!.value!.crmTag).toBe('crm-occ');
    const fresh = openGraphProvider(
      {
        account: h.double.state.userEmail,
        env: { fetch: (u, i) => fetch(u, i), graphBaseUrl: h.double.baseUrl, now: () => h.clock.now },
        getToken: () => Promise.resolve(h.double.token),
      },
      { sleep: () => Promise.resolve() },
    );
    const found = await fresh.findByTag(cal(), ['crm-occ', 'crm-series']);
    expect(found.map((e) => [e.crmTag, e.occurrence?.seriesId ?? null]).sort()).toEqual([
      ['crm-occ', master],
      ['crm-series', null],
    ]);
  });
});

describe('point 11: the item open in Outlook resolves to its event, series and iCalUId', () => {
  test('an occurrence opened in Outlook (REST id) gives its immutable id, series master and iCalUId', async () => {
    const master = h.double.userCreate({
      subject: 'Weekly',
      start: { dateTime: '2026-11-23T09:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-11-23T09:30:00', timeZone: 'UTC' },
      recurrence: {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
        range: { type: 'numbered', startDate: '2026-11-23', numberOfOccurrences: 3 },
      },
    }).ev;
    const occ = `${master.id!}_OCC_20261130`;
    // Office.js's convertToRestId gives a REST id, which is not the immutable id the provider stores.
    expect(await h.provider.resolveOutlookItem(`REST-${occ}`)).toEqual({
      id: occ,
      iCalUId: master.iCalUId,
      seriesMasterId: master.id,
    });
    const translate = h.double.log.find((l) => l.url.endsWith('/me/translateExchangeIds'))!;
    expect(translate.body).toEqual({
      inputIds: [`REST-${occ}`],
      sourceIdType: 'restId',
      targetIdType: 'restImmutableEntryId',
    });
    expect(await h.provider.resolveOutlookItem('REST-not-in-this-mailbox')).toBeNull();
  });
});

/** The stored body without our block: what must equal the user's original, byte for byte. */
function removeBlock(body: string): string {
  const start = body.indexOf('<div><p>-- CRM Calendar Connector --');
  if (start >= 0) {
    const endMarker = '-- end of CRM Calendar Connector --</p></div>';
    const end = body.indexOf(endMarker, start) + endMarker.length;
    return body.slice(0, start) + body.slice(end);
  }
  const t = body.indexOf('\n\n-- CRM Calendar Connector --');
  if (t < 0) return body;
  const endMarker = '-- end of CRM Calendar Connector --';
  return body.slice(0, t) + body.slice(body.indexOf(endMarker, t) + endMarker.length);
}
