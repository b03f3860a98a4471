import { createHash } from 'node:crypto';
import { googleConnector } from '../../../src/providers/calendar/google/connector';
import type { Connection, ProviderEnv, Secrets } from '../../../src/providers/connector';
import type { EventDraft, SyncedFields } from '../../../src/sync/model';
import type { CalendarProvider, ListWindow } from '../../../src/sync/ports';
import { GoogleDouble } from '../../support/google-double/server';
import { connectGoogle, googleEnv } from '../../support/google-double/connect';
import { systemClock } from '../../../src/shared/clock';

let google: GoogleDouble;
let env: ProviderEnv;
let connection: Connection;
const saved: { secrets: Secrets; expiresAt: string | null }[] = [];
const window: ListWindow = { from: '2020-01-01T00:00:00.000Z', to: null };
const redirectUri = 'https://connector.example/api/v1/oauth/callback';
const crmCal = 'crm-items@group.calendar.google.com';

beforeAll(async () => {
  google = await new GoogleDouble({ pageSize: 2 }).start();
  env = googleEnv(google, systemClock);
  connection = await connectGoogle(google, env, redirectUri);
});

afterAll(async () => {
  await google?.stop();
});

function open(): CalendarProvider {
  return googleConnector.open(connection, env, {
    saveSecrets: async (secrets, expiresAt) => {
      saved.push({ secrets, expiresAt });
      connection = { ...connection, secrets };
    },
  });
}

function fields(over: Partial<SyncedFields> = {}): SyncedFields {
  return {
    subject: 'Demo call',
    timing: {
      kind: 'timed',
      start: '2027-05-03T08:00:00.000Z',
      end: '2027-05-03T08:30:00.000Z',
      timeZone: 'Europe/Berlin',
    },
    body: 'Talk about pricing',
    location: 'Phone',
    visibility: 'normal',
    showAs: 'busy',
    attendees: [{ email: 'pat@customer.example', name: 'Pat' }],
    recurrence: null,
    reminderMinutes: 30,
    ...over,
  };
}

function draft(tag: string, over: Partial<SyncedFields> = {}, extra: Partial<EventDraft> = {}): EventDraft {
  return {
    fields: fields(over),
    crmTag: tag,
    crmUrl: `https://crm.example/r/${tag}`,
    sendInvitations: false,
    priority: null,
    ...extra,
  };
}

describe('Google OAuth', () => {
  it('builds an authorization URL with PKCE, state and offline access', async () => {
    const url = new URL(
      await googleConnector.oauth!.authorizationUrl({
        state: 's-1',
        codeChallenge: 'abc',
        redirectUri,
        input: { method: 'oauth', url: null, fields: {} },
        env,
      }),
    );
    expect(url.origin + url.pathname).toBe(`${google.origin}/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: google.clientId,
      state: 's-1',
      code_challenge: 'abc',
      code_challenge_method: 'S256',
      access_type: 'offline',
      response_type: 'code',
      redirect_uri: redirectUri,
    });
  });

  it('exchanged the code for tokens and proved them on the primary calendar', () => {
    expect(connection.account).toBe(google.user);
    expect(connection.secrets.refreshToken).toMatch(/^refresh-/);
    expect(connection.expiresAt).not.toBeNull();
  });

  it('refuses a code with the wrong PKCE verifier', async () => {
    const code = google.authorize(createHash('sha256').update('right').digest('base64url'), redirectUri);
    await expect(
      googleConnector.oauth!.exchangeCode({
        code,
        codeVerifier: 'wrong',
        redirectUri,
        input: { method: 'oauth', url: null, fields: {} },
        env,
      }),
    ).rejects.toMatchObject({ name: 'ConnectError' });
  });

  it('refreshes an expired access token and hands the new one to the server', async () => {
    google.expireAccessTokens();
    const before = saved.length;
    await open().listCalendars();
    expect(saved.length).toBe(before + 1);
    expect(saved.at(-1)?.secrets.accessToken).toMatch(/^ya29\./);
  });
});

describe('Google Calendar provider against the double', () => {
  it('lists calendars: primary is the default, read-only ones are not writable', async () => {
    const cals = await open().listCalendars();
    expect(cals.find((c) => c.isDefault)?.id).toBe(google.user);
    expect(cals.find((c) => c.name === 'Holidays')?.canWrite).toBe(false);
  });

  it('creates idempotently with a base32hex id, tags privately, sends no mail unless invitations are allowed', async () => {
    const p = open();
    const [a] = await p.writeEvents(crmCal, [
      { op: 'create', idempotencyKey: 'crm-1:create', draft: draft('crm-1', {}, { priority: 'high' }) },
    ]);
    const [again] = await p.writeEvents(crmCal, [
      { op: 'create', idempotencyKey: 'crm-1:create', draft: draft('crm-1', {}, { priority: 'high' }) },
    ]);
    if (!a?.ok || !a.value || !again?.ok || !again.value) throw new Error('create failed');
    expect(a.value.id).toMatch(/^[a-v0-9]{5,1024}$/);
    expect(again.value.id).toBe(a.value.id);
    expect(google.eventsIn(crmCal)).toHaveLength(1);
    expect(a.value.fields).toEqual(fields());
    expect(a.value.crmTag).toBe('crm-1');
    const stored = google.event(crmCal, a.value.id) as { extendedProperties: unknown; colorId: string; start: unknown };
    expect(stored.extendedProperties).toEqual({ private: { crmConnectorId: 'crm-1' } });
    expect(stored.colorId).toBe('11');
    expect(stored.start).toEqual({ dateTime: '2027-05-03T08:00:00.000Z', timeZone: 'Europe/Berlin' });
    expect(google.mail).toEqual([]);

    await p.writeEvents(crmCal, [
      { op: 'create', idempotencyKey: 'crm-2:create', draft: draft('crm-2', {}, { sendInvitations: true }) },
    ]);
    expect(google.mail).toEqual([
      expect.objectContaining({ kind: 'invitation', to: 'pat@customer.example', sendUpdates: 'all' }),
    ]);
  });

  it('lists fully across pages, then incrementally; 410 gives a full listing, never removals', async () => {
    const p = open();
    for (let i = 3; i <= 6; i++)
      await p.writeEvents(crmCal, [{ op: 'create', idempotencyKey: `crm-${i}:create`, draft: draft(`crm-${i}`) }]);
    const first = await open().listChanges(crmCal, null, window);
    expect(first.full).toBe(true);
    expect(first.upserts.map((e) => e.crmTag).sort()).toEqual(['crm-1', 'crm-2', 'crm-3', 'crm-4', 'crm-5', 'crm-6']);
    const listCalls = google.requests.filter(
      (r) => r.method === 'GET' && r.path.endsWith('/events') && !r.query.syncToken,
    );
    expect(listCalls.length).toBeGreaterThanOrEqual(3); // pages of 2

    const e3 = first.upserts.find((e) => e.crmTag === 'crm-3')!;
    const e4 = first.upserts.find((e) => e.crmTag === 'crm-4')!;
    google.userPatch(crmCal, e3.id, { summary: 'Edited in Google', transparency: 'transparent' });
    google.userDelete(crmCal, e4.id);
    const second = await open().listChanges(crmCal, first.nextCursor, window);
    expect(second.full).toBe(false);
    expect(second.upserts.map((e) => [e.id, e.fields.subject, e.fields.showAs])).toEqual([
      [e3.id, 'Edited in Google', 'free'],
    ]);
    expect(second.removedIds).toEqual([e4.id]);

    const idle = await open().listChanges(crmCal, second.nextCursor, window);
    expect(idle).toMatchObject({ upserts: [], removedIds: [], full: false });

    google.expireSyncTokens();
    const rebuilt = await open().listChanges(crmCal, idle.nextCursor, window);
    expect(rebuilt.full).toBe(true);
    expect(rebuilt.removedIds).toEqual([]);
    expect(rebuilt.upserts.map((e) => e.crmTag).sort()).toEqual(['crm-1', 'crm-2', 'crm-3', 'crm-5', 'crm-6']);
  });

  it('updates with If-Match (412 → conflict) and deletes with sendUpdates from the invitation mode', async () => {
    const p = open();
    const [c] = await p.writeEvents(crmCal, [
      { op: 'create', idempotencyKey: 'crm-7:create', draft: draft('crm-7', {}, { sendInvitations: true }) },
    ]);
    if (!c?.ok || !c.value) throw new Error('create failed');
    google.mail.length = 0;
    const [u] = await p.writeEvents(crmCal, [
      { op: 'update', id: c.value.id, ifMatch: c.value.version, draft: draft('crm-7', { subject: 'Renamed' }) },
    ]);
    if (!u?.ok || !u.value) throw new Error('update failed');
    expect(u.value.fields.subject).toBe('Renamed');
    expect(google.mail).toEqual([]);
    const [stale] = await p.writeEvents(crmCal, [
      { op: 'update', id: c.value.id, ifMatch: c.value.version, draft: draft('crm-7', { subject: 'Lost' }) },
    ]);
    expect(stale).toMatchObject({ ok: false, error: { kind: 'conflict' } });
    const [d] = await p.writeEvents(crmCal, [
      { op: 'delete', id: c.value.id, ifMatch: u.value.version, sendCancellations: false },
    ]);
    expect(d).toEqual({ ok: true, value: null });
    expect(google.mail).toEqual([]);
    const [gone] = await p.writeEvents(crmCal, [
      { op: 'delete', id: c.value.id, ifMatch: null, sendCancellations: false },
    ]);
    expect(gone).toEqual({ ok: true, value: null });
  });

  it('writes a series, a modified occurrence and a cancelled occurrence', async () => {
    const p = open();
    const series = draft('crm-s', {
      attendees: [],
      timing: {
        kind: 'timed',
        start: '2027-06-07T07:00:00.000Z',
        end: '2027-06-07T07:30:00.000Z',
        timeZone: 'Europe/Berlin',
      },
      recurrence: { rrule: 'FREQ=WEEKLY;COUNT=5;BYDAY=MO', exdates: ['2027-06-14T07:00:00.000Z'] },
    });
    const before = await open().listChanges(crmCal, null, window);
    const [m] = await p.writeEvents(crmCal, [{ op: 'create', idempotencyKey: 'crm-s:create', draft: series }]);
    if (!m?.ok || !m.value) throw new Error('create failed');
    expect(m.value.fields.recurrence).toEqual(series.fields.recurrence);
    const occurrence = { seriesId: m.value.id, originalStart: '2027-06-21T07:00:00.000Z' };
    const [o] = await p.writeEvents(crmCal, [
      {
        op: 'create',
        idempotencyKey: 'crm-s:occ',
        draft: draft(
          'crm-s',
          {
            subject: 'Moved',
            attendees: [],
            timing: {
              kind: 'timed',
              start: '2027-06-21T09:00:00.000Z',
              end: '2027-06-21T09:30:00.000Z',
              timeZone: 'Europe/Berlin',
            },
          },
          { occurrence },
        ),
      },
    ]);
    if (!o?.ok || !o.value) throw new Error(`occurrence failed ${JSON.stringify(o)}`);
    expect(o.value.occurrence).toEqual(occurrence);
    const [x] = await p.writeEvents(crmCal, [
      { op: 'delete', id: `${m.value.id}_20270628T070000Z`, ifMatch: null, sendCancellations: false },
    ]);
    expect(x).toEqual({ ok: true, value: null });

    const after = await open().listChanges(crmCal, before.nextCursor, window);
    const master = after.upserts.find((e) => e.id === m.value!.id);
    expect(master?.fields.recurrence?.exdates).toEqual(['2027-06-14T07:00:00.000Z', '2027-06-28T07:00:00.000Z']);
    expect(after.upserts.find((e) => e.occurrence)?.fields.subject).toBe('Moved');
    // A later incremental listing that only sees another cancelled instance still reports every exdate.
    await p.writeEvents(crmCal, [
      { op: 'delete', id: `${m.value.id}_20270705T070000Z`, ifMatch: null, sendCancellations: false },
    ]);
    const later = await open().listChanges(crmCal, after.nextCursor, window);
    expect(later.upserts.find((e) => e.id === m.value!.id)?.fields.recurrence?.exdates).toEqual([
      '2027-06-14T07:00:00.000Z',
      '2027-06-28T07:00:00.000Z',
      '2027-07-05T07:00:00.000Z',
    ]);
    expect(google.mail).toEqual(expect.not.arrayContaining([expect.objectContaining({ kind: 'cancellation' })]));
  });

  it('a listing filter: pages filtered as they come; a rejected series still brings its modified occurrence', async () => {
    const p = open();
    for (const k of [1, 2, 3, 4]) {
      const timing = {
        kind: 'timed' as const,
        start: `2027-07-1${k}T08:00:00.000Z`,
        end: `2027-07-1${k}T08:30:00.000Z`,
        timeZone: 'UTC',
      };
      await p.writeEvents(crmCal, [
        { op: 'create', idempotencyKey: `crm-k${k}:create`, draft: draft(`crm-k${k}`, { timing }) },
      ]);
    }
    // From the day after the moved occurrence of the series written above: it is listed only for its master.
    const late: ListWindow = { from: '2027-06-22T00:00:00.000Z', to: null };
    const all = await open().listChanges(crmCal, null, late);
    const master = all.upserts.find((e) => e.crmTag === 'crm-s' && e.fields.recurrence)!;
    const moved = all.upserts.find((e) => e.occurrence?.seriesId === master.id)!;
    expect(moved.fields.subject).toBe('Moved');
    const singles = all.upserts.filter((e) => e.crmTag?.startsWith('crm-k'));
    expect(singles).toHaveLength(4);
    const rejected = new Set([master.id, singles[0]!.id, singles[2]!.id]);
    const asked: string[] = [];
    let firstAskAt = -1;
    const lister = open();
    const kept = await lister.listChanges(crmCal, null, late, (ev) => {
      if (firstAskAt < 0) firstAskAt = google.requests.length;
      asked.push(ev.id);
      return !rejected.has(ev.id);
    });
    expect(asked.sort()).toEqual(all.upserts.map((e) => e.id).sort());
    expect(kept.upserts).toEqual(all.upserts.filter((e) => !rejected.has(e.id)));
    expect(kept.upserts).toContainEqual(moved);
    expect(firstAskAt).toBeLessThan(google.requests.length); // pages of 2: filtering starts before the last page
    // After a complete listing, tags are found through what it noted (and read fresh).
    expect((await lister.findByTag(crmCal, ['crm-k3', 'crm-unknown'])).map((e) => e.id)).toEqual([singles[2]!.id]);
  });

  it('finds events by their private tag', async () => {
    const found = await open().findByTag(crmCal, ['crm-5', 'crm-unknown']);
    expect(found.map((e) => e.crmTag)).toEqual(['crm-5']);
  });
});

describe('Google push notifications', () => {
  it('opens, renews and stops a watch channel and parses its notifications', async () => {
    const p = open();
    const n = googleConnector.notifications!;
    const sub = await n.subscribe(p, {
      calendarId: crmCal,
      notificationUrl: 'https://connector.example/api/v1/webhooks/google',
      clientState: 'secret-state',
    });
    expect(Date.parse(sub.expiresAt)).toBeGreaterThan(systemClock().getTime());
    const [channelId, resourceId] = sub.id.split('|');
    const channel = google.channels.get(channelId!);
    expect(channel).toMatchObject({ calendarId: crmCal, token: 'secret-state', stopped: false });
    const headers = {
      'X-Goog-Channel-ID': channelId!,
      'X-Goog-Resource-ID': resourceId!,
      'X-Goog-Channel-Token': 'secret-state',
    };
    expect(
      n.parseWebhook({ query: {}, headers: { ...headers, 'X-Goog-Resource-State': 'sync' }, body: null }),
    ).toMatchObject({ kind: 'handshake', status: 200 });
    expect(
      n.parseWebhook({ query: {}, headers: { ...headers, 'X-Goog-Resource-State': 'exists' }, body: null }),
    ).toEqual({
      kind: 'notifications',
      items: [{ subscriptionId: sub.id, clientState: 'secret-state', lifecycle: null }],
    });
    expect(n.parseWebhook({ query: {}, headers: {}, body: {} })).toMatchObject({ kind: 'reject', status: 400 });
    const renewed = await n.renew(p, sub.id);
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(systemClock().getTime());
    expect(google.channels.get(channelId!)?.stopped).toBe(false);
    await n.unsubscribe(p, sub.id);
    expect(google.channels.get(channelId!)?.stopped).toBe(true);
  });

  it('revokes the refresh token on disconnect', async () => {
    await googleConnector.revoke!(connection, env);
    await expect(
      open()
        .listCalendars()
        .then(() => {
          google.expireAccessTokens();
          return open().listCalendars();
        }),
    ).rejects.toMatchObject({ kind: 'auth' });
  });
});
