/**
 * Contract: every request the Google connector sends and every answer the Google double gives, held to Google
 * Calendar API v3's description (schemas written from Google's discovery document, rules citing the reference:
 * test/support/contract/google-contract.ts).
 */
import { createHash } from 'node:crypto';
import { googleConnector } from '../../../src/providers/calendar/google/connector';
import type { Connection, ProviderEnv } from '../../../src/providers/connector';
import { fixedClock } from '../../../src/shared/clock';
import type { EventDraft, SyncedFields } from '../../../src/sync/model';
import { googleContract } from '../../support/contract/google-contract';
import { report } from '../../support/contract/shared-schemas';
import { GoogleDouble } from '../../support/google-double/server';
import { connectGoogle, googleEnv } from '../../support/google-double/connect';
import { ProviderError } from '../../../src/sync/errors';
import { ConnectError } from '../../../src/providers/http/connect-error';

const c = googleContract();
const clock = fixedClock('2027-04-01T08:00:00.000Z');
const crmCal = 'crm-items@group.calendar.google.com';
const window = { from: '2020-01-01T00:00:00.000Z', to: null };
const redirectUri = 'https://connector.example/api/v1/oauth/callback';

function draft(tag: string, over: Partial<SyncedFields> = {}, extra: Partial<EventDraft> = {}): EventDraft {
  return {
    fields: {
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
    },
    crmTag: tag,
    crmUrl: `https://crm.example/r/${tag}`,
    sendInvitations: false,
    priority: null,
    ...extra,
  };
}

describe('Google connector and double against Google Calendar API v3', () => {
  let google: GoogleDouble;
  let env: ProviderEnv;
  let connection: Connection;
  beforeAll(async () => {
    google = await new GoogleDouble({ pageSize: 2, now: clock }).start();
    env = googleEnv(google, clock);
    connection = await connectGoogle(google, env, redirectUri);
  });
  afterAll(() => google.stop());

  const open = () =>
    googleConnector.open(connection, env, {
      saveSecrets: async (secrets) => {
        connection = { ...connection, secrets };
      },
    });

  test('calendars, creates of every kind, paging, incremental sync, conflicts, occurrences, push, errors', async () => {
    const p = open();
    await p.listCalendars();
    const created = await p.writeEvents(crmCal, [
      { op: 'create', idempotencyKey: 'a', draft: draft('crm-1', {}, { priority: 'high', sendInvitations: true }) },
      {
        op: 'create',
        idempotencyKey: 'b',
        draft: draft('crm-2', {
          timing: { kind: 'all-day', startDate: '2027-05-04', endDate: '2027-05-05' },
          visibility: 'private',
          showAs: 'free',
          reminderMinutes: null,
        }),
      },
      {
        op: 'create',
        idempotencyKey: 'c',
        draft: draft('crm-3', {
          attendees: [],
          timing: {
            kind: 'timed',
            start: '2027-06-07T07:00:00.000Z',
            end: '2027-06-07T07:30:00.000Z',
            timeZone: 'Europe/Berlin',
          },
          recurrence: { rrule: 'FREQ=WEEKLY;COUNT=5;BYDAY=MO', exdates: ['2027-06-14T07:00:00.000Z'] },
        }),
      },
    ]);
    expect(created.every((r) => r.ok)).toBe(true);
    const [a, , series] = created.map((r) => (r.ok ? r.value! : null));
    const first = await p.listChanges(crmCal, null, window);
    google.userPatch(crmCal, a!.id, { summary: 'Edited in Google', transparency: 'transparent' });
    await p.writeEvents(crmCal, [
      { op: 'update', id: a!.id, ifMatch: a!.version, draft: draft('crm-1', { subject: 'Lost' }) },
      {
        op: 'create',
        idempotencyKey: 'occ',
        draft: draft(
          'crm-3',
          {
            attendees: [],
            subject: 'Moved',
            timing: {
              kind: 'timed',
              start: '2027-06-21T09:00:00.000Z',
              end: '2027-06-21T09:30:00.000Z',
              timeZone: 'Europe/Berlin',
            },
          },
          { occurrence: { seriesId: series!.id, originalStart: '2027-06-21T07:00:00.000Z' } },
        ),
      },
      { op: 'delete', id: `${series!.id}_20270628T070000Z`, ifMatch: null, sendCancellations: false },
    ]);
    const second = await p.listChanges(crmCal, first.nextCursor, window);
    await p.writeEvents(crmCal, [{ op: 'delete', id: a!.id, ifMatch: null, sendCancellations: true }]);
    await p.findByTag(crmCal, ['crm-2', 'unknown']);
    google.expireSyncTokens();
    await p.listChanges(crmCal, second.nextCursor, window);
    google.expireAccessTokens();
    const n = googleConnector.notifications!;
    const sub = await n.subscribe(p, {
      calendarId: crmCal,
      notificationUrl: 'https://connector.example/api/v1/webhooks/google',
      clientState: 'secret-state',
    });
    await n.renew(p, sub.id);
    await n.unsubscribe(p, sub.id);

    expect(google.exchanges.length).toBeGreaterThan(15);
    expect(google.exchanges.some((e) => e.status === 410)).toBe(true);
    expect(report(google.exchanges.flatMap((ex) => c.check(ex)))).toEqual([]);
  });

  // Missing permission as Google answers it (Calendar API "Handle API errors": 403 requiredAccessLevel / forbidden);
  // the error bodies are held to Google's Error description by c.check.
  async function connectTo(g: GoogleDouble): Promise<Connection> {
    const verifier = 'verifier-0123456789-0123456789-0123456789-xyz';
    const code = g.authorize(createHash('sha256').update(verifier).digest('base64url'), redirectUri);
    const e: ProviderEnv = {
      ...env,
      google: { ...env.google!, tokenUrl: `${g.origin}/token`, authBaseUrl: `${g.origin}/auth`, apiBaseUrl: g.origin },
    };
    return googleConnector.oauth!.exchangeCode({
      code,
      codeVerifier: verifier,
      redirectUri,
      input: { method: 'oauth', url: null, fields: {} },
      env: e,
    });
  }

  test('a calendar the account may only read: a write fails forbidden naming it; connect names it', async () => {
    const g = await new GoogleDouble({ now: clock }).start();
    try {
      const conn = await connectTo(g);
      g.denyWrite(crmCal);
      const e: ProviderEnv = {
        ...env,
        google: { ...env.google!, tokenUrl: `${g.origin}/token`, apiBaseUrl: g.origin },
      };
      const p = googleConnector.open(conn, e, { saveSecrets: async () => undefined });
      const [r] = await p.writeEvents(crmCal, [{ op: 'create', idempotencyKey: 'x', draft: draft('crm-denied') }]);
      const err = r && !r.ok ? r.error : null;
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).kind).toBe('forbidden');
      expect((err as ProviderError).message).toContain(`write to the calendar ${crmCal} (requiredAccessLevel)`);
      expect((err as ProviderError).message).not.toMatch(/You need to have/);

      g.denyWrite('primary');
      const refused = (await connectTo(g).catch((x: unknown) => x)) as ConnectError;
      expect(refused).toBeInstanceOf(ConnectError);
      expect(refused.reason).toBe('missing-permission');
      expect(refused.message).toContain(g.user);
      expect(report(g.exchanges.flatMap((ex) => c.check(ex)))).toEqual([]);
    } finally {
      await g.stop();
    }
  });

  test('no Google message text reaches an error: a secret echoed in the message is not repeated', async () => {
    const token = String(connection.secrets['accessToken']);
    const p = open();
    for (const [status, reason] of [
      [400, 'invalid'],
      [403, 'forbidden'],
      [500, 'backendError'],
    ] as const) {
      google.failNext(status, {
        error: {
          code: status,
          message: `Invalid value ${token} password=Hunter2-secret`,
          errors: [{ domain: 'global', reason, message: `Invalid value ${token}` }],
        },
      });
      const e = (await p.listChanges(crmCal, null, window).catch((x: unknown) => x)) as ProviderError;
      expect(e).toBeInstanceOf(ProviderError);
      expect(e.message).toContain(reason);
      expect(e.message).not.toContain(token);
      expect(e.message).not.toContain('Hunter2');
    }
    const g = await new GoogleDouble({ now: clock }).start();
    try {
      g.failNext(500, { error: { code: 500, message: `Backend Error ${token}`, status: 'INTERNAL' } });
      const refused = (await connectTo(g).catch((x: unknown) => x)) as ConnectError;
      expect(refused).toBeInstanceOf(ConnectError);
      expect(refused.message).not.toContain('Backend Error');
      expect(refused.message).not.toContain(token);
    } finally {
      await g.stop();
    }
  });

  test('the contract can fail: a wrong field name, a wrong type, a wrong envelope', () => {
    expect(c.validate('Event', { summry: 'x' }).join()).toMatch(/summry/);
    expect(c.validate('Event', { start: { dateTime: '2027-05-03 08:00' } }).join()).toMatch(/format/);
    expect(c.validate('Event', { start: { date: '2027-05-03', dateTime: '2027-05-03T08:00:00Z' } })).not.toEqual([]);
    expect(c.validate('Event', { reminders: { overrides: [{ method: 'sms', minutes: 10 }] } }).join()).toMatch(
      /allowed/,
    );
    expect(
      c.validate('Events', { kind: 'calendar#events', items: [], nextPageToken: 'a', nextSyncToken: 'b' }),
    ).not.toEqual([]);
    expect(c.validate('Events', { kind: 'calendar#events', events: [] }).join()).toMatch(/items|events/);
    expect(c.validate('Error', { error: 'invalid' })).not.toEqual([]);
  });
});
