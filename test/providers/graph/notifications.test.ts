import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { graphConnector, graphNotifications } from '../../../src/providers/calendar/graph';
import { findCalendarConnector } from '../../../src/providers/registry';
import { providerDescriptorSchema } from '../../../src/shared/providers';
import { ProviderError } from '../../../src/sync/errors';
import { startHarness, type Harness } from './helpers';

let h: Harness;
let hook: http.Server;
let hookUrl: string;
let echo = true;

beforeEach(async () => {
  h = await startHarness();
  echo = true;
  hook = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const out = graphNotifications.parseWebhook({ query: Object.fromEntries(url.searchParams), headers: {}, body: {} });
    if (out.kind === 'handshake' && echo) {
      res.writeHead(out.status, { 'Content-Type': out.contentType });
      res.end(out.body);
    } else {
      res.writeHead(202);
      res.end();
    }
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/api/v1/webhooks/graph`;
});
afterEach(async () => {
  await new Promise<void>((r) => hook.close(() => r()));
  await h.double.stop();
});

test('subscribe answers the validationToken handshake, then renew and unsubscribe manage the subscription', async () => {
  const cal = h.double.state.defaultCalendarId;
  const sub = await graphNotifications.subscribe(h.provider, {
    calendarId: cal,
    notificationUrl: hookUrl,
    clientState: 's3cret',
  });
  const stored = h.double.subscriptions.get(sub.id)!;
  expect(stored).toMatchObject({
    changeType: 'created,updated,deleted',
    resource: `/me/calendars/${cal}/events`,
    clientState: 's3cret',
    lifecycleNotificationUrl: hookUrl,
  });
  expect(Date.parse(sub.expiresAt)).toBeGreaterThan(h.clock.now.getTime());

  h.clock.now = new Date(h.clock.now.getTime() + 2 * 86_400_000);
  const renewed = await graphNotifications.renew(h.provider, sub.id);
  expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(sub.expiresAt));

  await graphNotifications.unsubscribe(h.provider, sub.id);
  expect(h.double.subscriptions.size).toBe(0);
  // Already gone: unsubscribing again is not an error.
  await expect(graphNotifications.unsubscribe(h.provider, sub.id)).resolves.toBeUndefined();
  // Renewing a subscription Graph dropped is: the server then subscribes anew.
  const err = await graphNotifications.renew(h.provider, sub.id).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  expect((err as ProviderError).kind).toBe('not-found');
});

test('an endpoint that does not echo the token gets no subscription', async () => {
  echo = false;
  const err = await graphNotifications
    .subscribe(h.provider, { calendarId: h.double.state.defaultCalendarId, notificationUrl: hookUrl, clientState: 'x' })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  expect(h.double.subscriptions.size).toBe(0);
});

test('parseWebhook: handshake, change and lifecycle notifications, and refusals', () => {
  expect(
    graphNotifications.parseWebhook({ query: { validationToken: 'a b&c' }, headers: {}, body: undefined }),
  ).toEqual({
    kind: 'handshake',
    status: 200,
    contentType: 'text/plain',
    body: 'a b&c',
  });
  expect(
    graphNotifications.parseWebhook({
      query: {},
      headers: {},
      body: {
        value: [
          { subscriptionId: 's1', clientState: 'cs', changeType: 'updated', resource: 'Users/x/Events/y' },
          { subscriptionId: 's1', clientState: 'cs', lifecycleEvent: 'reauthorizationRequired' },
        ],
      },
    }),
  ).toEqual({
    kind: 'notifications',
    items: [
      { subscriptionId: 's1', clientState: 'cs', lifecycle: null },
      { subscriptionId: 's1', clientState: 'cs', lifecycle: 'reauthorizationRequired' },
    ],
  });
  const bad = graphNotifications.parseWebhook({ query: {}, headers: {}, body: { value: [{ clientState: 'x' }] } });
  expect(bad).toMatchObject({ kind: 'reject', status: 400 });
  expect(bad.kind === 'reject' && bad.reason).toContain('subscriptionId');
  expect(graphNotifications.parseWebhook({ query: {}, headers: {}, body: 'nope' })).toMatchObject({ kind: 'reject' });
});

test('the connector is registered as microsoft-graph with Entra auth and a valid descriptor', () => {
  expect(findCalendarConnector('microsoft-graph')).toBe(graphConnector);
  expect(providerDescriptorSchema.parse(graphConnector.descriptor)).toEqual(graphConnector.descriptor);
  expect(graphConnector.descriptor.authMethods.map((m) => m.kind)).toEqual(['entra']);
});

test('open() without a token hook fails with an auth error, not a crash', async () => {
  const p = graphConnector.open(
    { secrets: {}, account: 'sam@contoso.example', url: null },
    {
      safeFetch: (u, i) => fetch(u, i),
      fetch: (u, i) => fetch(u, i),
      publicUrl: 'https://connector.example',
      graphBaseUrl: h.double.baseUrl,
      now: () => h.clock.now,
    },
    { saveSecrets: async () => undefined },
  );
  const err = await p.testConnection().catch((e: unknown) => e);
  expect((err as ProviderError).kind).toBe('auth');
  expect(h.double.log).toHaveLength(0);
});
