import type { CalendarConnector } from '../../src/providers/connector';
import { startHarness, type Harness } from './support/harness';
import { systemClock } from '../../src/shared/clock';

let h: Harness;
const subscribed: { calendarId: string; notificationUrl: string; clientState: string }[] = [];
const unsubscribed: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  // Give the memory calendar connector Graph-style change notifications.
  const connector = h.runtime.connectionService.connector('calendar', 'memcal') as CalendarConnector;
  connector.notifications = {
    subscribe: async (_provider, p) => {
      subscribed.push(p);
      return {
        id: `sub-${subscribed.length}`,
        expiresAt: new Date(systemClock().getTime() + 3 * 24 * 3600 * 1000).toISOString(),
      };
    },
    renew: async () => ({ expiresAt: new Date(systemClock().getTime() + 3 * 24 * 3600 * 1000).toISOString() }),
    unsubscribe: async (_provider, id) => {
      unsubscribed.push(id);
    },
    parseWebhook: (req) => {
      if (req.query.validationToken) {
        return { kind: 'handshake', status: 200, contentType: 'text/plain', body: req.query.validationToken };
      }
      const body = req.body as { value?: { subscriptionId: string; clientState: string | null }[] } | null;
      if (!body?.value) return { kind: 'reject', status: 400, reason: 'no notifications' };
      return {
        kind: 'notifications',
        items: body.value.map((v) => ({
          subscriptionId: v.subscriptionId,
          clientState: v.clientState,
          lifecycle: null,
        })),
      };
    },
  };
});
afterAll(async () => {
  await h.close();
});

describe('calendar change notifications', () => {
  it('subscribes after a run, answers the handshake and turns verified notifications into runs', async () => {
    const who = { tid: 'tenant-w', oid: 'oid-w', email: 'wes@w.test' };
    const headers = { authorization: `Bearer ${await h.idp.token(who)}` };
    for (const [side, payload] of [
      ['crm', { provider: 'memcrm', method: 'token', fields: { account: who.email } }],
      ['calendar', { provider: 'memcal', method: 'password', fields: { username: who.email, password: 'pw' } }],
    ] as const) {
      expect(
        (await h.app.inject({ method: 'POST', url: `/api/v1/connections/${side}`, headers, payload })).statusCode,
      ).toBe(201);
    }
    await h.app.inject({
      method: 'PUT',
      url: '/api/v1/connections/calendar/calendars',
      headers,
      payload: { targetCalendarId: 'crm', sourceCalendarIds: ['primary'] },
    });
    const start = await h.app.inject({ method: 'POST', url: '/api/v1/runs', headers, payload: {} });
    const runId = start.json().runId as string;
    for (let i = 0; i < 200 && subscribed.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(subscribed).toEqual([
      expect.objectContaining({
        calendarId: 'primary',
        notificationUrl: 'https://connector.example.test/api/v1/webhooks/memcal',
      }),
    ]);
    expect(runId).toBeTruthy();

    const handshake = await h.app.inject({ method: 'POST', url: '/api/v1/webhooks/memcal?validationToken=abc%20123' });
    expect(handshake.statusCode).toBe(200);
    expect(handshake.body).toBe('abc 123');

    const forged = await h.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/memcal',
      payload: { value: [{ subscriptionId: 'sub-1', clientState: 'guess' }] },
    });
    expect(forged.json()).toEqual({ accepted: 0 });

    const before = (await h.app.inject({ method: 'GET', url: '/api/v1/runs', headers })).json().runs.length as number;
    const real = await h.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/memcal',
      payload: { value: [{ subscriptionId: 'sub-1', clientState: subscribed[0]!.clientState }] },
    });
    expect(real.statusCode).toBe(202);
    expect(real.json()).toEqual({ accepted: 1 });
    let runs: { trigger: string }[] = [];
    for (let i = 0; i < 200; i++) {
      runs = (await h.app.inject({ method: 'GET', url: '/api/v1/runs', headers })).json().runs;
      if (runs.length > before) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(runs[0]?.trigger).toBe('notification');
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/webhooks/memcal', payload: {} })).statusCode).toBe(400);
  });

  it('stops the subscription at the provider on Disconnect, after which notifications queue nothing', async () => {
    expect(subscribed.length).toBeGreaterThan(0);
    const headers = {
      authorization: `Bearer ${await h.idp.token({ tid: 'tenant-w', oid: 'oid-w', email: 'wes@w.test' })}`,
    };
    const off = await h.app.inject({ method: 'DELETE', url: '/api/v1/connections/calendar', headers });
    expect(off.statusCode).toBe(200);
    expect(unsubscribed).toEqual(['sub-1']);
    const late = await h.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/memcal',
      payload: { value: [{ subscriptionId: 'sub-1', clientState: subscribed[0]!.clientState }] },
    });
    expect(late.json()).toEqual({ accepted: 0 });
  });
});
