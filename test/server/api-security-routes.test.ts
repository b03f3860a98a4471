/**
 * Tenant and user isolation on EVERY route (SPEC §9, §10.8; issue 16's security suite). The routes are read from the
 * Fastify instance itself (printRoutes), so a route added without an entry in `routeCases` fails this suite. Ann
 * (tenant A) owns a connection, a synced CRM item, a run, a cleanup, a Sandbox item and contact, a profile (made
 * by her admin) and her user id; Carl (same tenant, not admin) and Bob (another tenant, admin there) then call every
 * route with Ann's ids and markers. Each must answer 404/403 for Ann's ids, never show any of Ann's markers, and
 * leave everything Ann (and her admin) can see exactly as it was. Plus forged tokens beyond api-security.test.ts:
 * `alg: none`, a symmetric token, and a token from another tenant's issuer.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { InjectOptions } from 'fastify';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ RATE_LIMIT_PER_MINUTE: '100000' });
});
afterAll(async () => {
  await h.close();
});

type Who = { tid: string; oid: string; email: string; admin?: boolean };
const ann: Who = { tid: 'tenant-a', oid: 'oid-ann', email: 'ann@a.test' };
const ada: Who = { tid: 'tenant-a', oid: 'oid-ada', email: 'ada@a.test', admin: true };
const carl: Who = { tid: 'tenant-a', oid: 'oid-carl', email: 'carl@a.test' };
const bob: Who = { tid: 'tenant-b', oid: 'oid-bob', email: 'bob@b.test', admin: true };

async function call(who: Who | null, method: string, url: string, payload?: unknown) {
  const res = await h.app.inject({
    method: method as InjectOptions['method'],
    url,
    headers: who ? { authorization: `Bearer ${await h.idp.token(who)}` } : {},
    ...(payload !== undefined ? { payload: payload as InjectOptions['payload'] } : {}),
  });
  return { status: res.statusCode, body: res.body };
}

/** Every (method, path) the server routes, from Fastify's own route tree; HEAD mirrors GET and is left out. */
function routesOf(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const full = stack.join('');
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()))
      if (method && method !== 'HEAD') out.push(`${method} ${full}`);
  }
  return out;
}

/**
 * What each route is, for isolation:
 * - public: no sign-in, no tenant data;
 * - own: acts on the caller's own data only (no id in the path);
 * - id: the path carries one of Ann's ids; others get 404;
 * - admin: tenant admin, no id; admin-id: tenant admin with one of tenant A's ids (other tenant's admin: 404).
 */
type Case =
  | { kind: 'public' | 'own' | 'admin'; url?: string; body?: unknown }
  | { kind: 'id' | 'admin-id'; url: string; body?: unknown };

let ids: { runId: string; cleanupId: string; crmId: string; sandboxId: string; profileId: string; userId: string };
const markers = ['ann@a.test', 'Initech merger', 'Sandbox secret deal', 'Tenant A plan', 'buyer@initech.test'];

function routeCases(): Record<string, Case> {
  return {
    'GET /healthz': { kind: 'public' },
    'GET /help': { kind: 'public' },
    'GET /readyz': { kind: 'public' },
    'GET /metrics': { kind: 'public' },
    'GET /api/openapi.json': { kind: 'public' },
    'GET /api/v1/oauth/callback': { kind: 'public', url: '/api/v1/oauth/callback?state=x&code=y' },
    'GET /api/v1/oauth/callback.js': { kind: 'public' },
    'GET /api/v1/auth/config': { kind: 'public' },
    'POST /api/v1/webhooks/:provider': { kind: 'public', url: '/api/v1/webhooks/memcrm', body: {} },
    'GET /sandbox/item-page.js': { kind: 'public' },
    'OPTIONS *': { kind: 'public', url: '/api/v1/me' },
    // The item page is a shell; the item itself comes from /sandbox/v1 with the viewer's token.
    'GET /sandbox/items/:id': { kind: 'public', url: `/sandbox/items/${ids.sandboxId}` },

    'GET /api/v1/me': { kind: 'own' },
    'GET /api/v1/providers': { kind: 'own' },
    'GET /api/v1/connections': { kind: 'own' },
    'GET /api/v1/connections/calendar/calendars': { kind: 'own' },
    'PUT /api/v1/connections/calendar/calendars': {
      kind: 'own',
      body: { targetCalendarId: 'crm', sourceCalendarIds: ['primary'] },
    },
    'POST /api/v1/connections/:side': {
      kind: 'own',
      url: '/api/v1/connections/crm',
      body: { provider: 'memcrm', method: 'token', fields: { account: 'own-account@x.test' } },
    },
    'DELETE /api/v1/connections/:side': { kind: 'own', url: '/api/v1/connections/calendar' },
    'POST /api/v1/connections/:side/oauth/start': {
      kind: 'own',
      url: '/api/v1/connections/calendar/oauth/start',
      body: { provider: 'memcal', method: 'oauth', fields: {} },
    },
    'POST /api/v1/cleanup/preview': { kind: 'own', body: {} },
    'POST /api/v1/cleanup/apply': { kind: 'own', body: { confirm: true } },
    'GET /api/v1/settings': { kind: 'own' },
    'PUT /api/v1/settings': { kind: 'own', body: { set: { direction: 'crm-to-calendar' } } },
    'GET /api/v1/sync/status': { kind: 'own' },
    'PUT /api/v1/sync/automatic': { kind: 'own', body: { enabled: true } },
    'POST /api/v1/sync/confirm-deletions': { kind: 'own', body: {} },
    'POST /api/v1/sync/reset': { kind: 'own', body: { confirm: true } },
    'POST /api/v1/runs': { kind: 'own', body: {} },
    'GET /api/v1/runs': { kind: 'own' },
    'POST /api/v1/runs/preview': { kind: 'own', body: {} },
    // Ann's CRM id and her e-mail as the lookup keys: another user finds nothing.
    'GET /api/v1/items/lookup': { kind: 'own', url: `/api/v1/items/lookup?email=buyer%40initech.test` },
    'GET /sandbox/v1/items': { kind: 'own' },
    'POST /sandbox/v1/items': {
      kind: 'own',
      body: { type: 'note', subject: 'mine', start: '2030-01-01T09:00:00Z', end: '2030-01-01T10:00:00Z' },
    },
    'POST /sandbox/v1/items/import': { kind: 'own', body: { items: [] } },
    'GET /sandbox/v1/contacts': { kind: 'own' },
    'POST /sandbox/v1/contacts': { kind: 'own', body: { email: 'someone@initech.test', name: 'Not Ann’s' } },
    'GET /sandbox/v1/companies': { kind: 'own' },
    'POST /sandbox/v1/companies': { kind: 'own', body: { name: 'Initech', domain: 'initech.test' } },

    'GET /api/v1/runs/:runId': { kind: 'id', url: `/api/v1/runs/${ids.runId}` },
    'POST /api/v1/cleanup/:cleanupId/undo': { kind: 'id', url: `/api/v1/cleanup/${ids.cleanupId}/undo`, body: {} },
    'PUT /api/v1/items/:crmId/sync-flag': {
      kind: 'id',
      url: `/api/v1/items/${ids.crmId}/sync-flag`,
      body: { enabled: false },
    },
    'GET /sandbox/v1/items/:id': { kind: 'id', url: `/sandbox/v1/items/${ids.sandboxId}` },
    'PATCH /sandbox/v1/items/:id': { kind: 'id', url: `/sandbox/v1/items/${ids.sandboxId}`, body: { subject: 'x' } },
    'DELETE /sandbox/v1/items/:id': { kind: 'id', url: `/sandbox/v1/items/${ids.sandboxId}` },

    'GET /api/v1/admin/settings': { kind: 'admin' },
    'PUT /api/v1/admin/settings': { kind: 'admin', body: { set: { syncIntervalMinutes: 7 } } },
    'GET /api/v1/admin/profiles': { kind: 'admin' },
    'POST /api/v1/admin/profiles': { kind: 'admin', body: { name: 'Own plan', values: {}, locked: [] } },
    'GET /api/v1/admin/users': { kind: 'admin' },
    'GET /api/v1/admin/audit': { kind: 'admin' },
    'PUT /api/v1/admin/profiles/:profileId': {
      kind: 'admin-id',
      url: `/api/v1/admin/profiles/${ids.profileId}`,
      body: { name: 'hijacked' },
    },
    'DELETE /api/v1/admin/profiles/:profileId': { kind: 'admin-id', url: `/api/v1/admin/profiles/${ids.profileId}` },
    'PUT /api/v1/admin/users/:userId/profile': {
      kind: 'admin-id',
      url: `/api/v1/admin/users/${ids.userId}/profile`,
      body: { profileId: null },
    },
  };
}

/**
 * All that Ann and her admin can see; it must not change whatever Carl and Bob send. (Not the Sandbox contacts and
 * companies: they are the tenant's, and Carl adding one is his right.)
 */
async function annSees(): Promise<unknown> {
  const get = async (who: Who, url: string) => {
    const r = await call(who, 'GET', url);
    return [url, r.status, JSON.parse(r.body) as unknown];
  };
  return Promise.all([
    get(ann, '/api/v1/me'),
    get(ann, '/api/v1/connections'),
    get(ann, '/api/v1/settings'),
    get(ann, `/api/v1/runs/${ids.runId}`),
    get(ann, '/api/v1/runs?limit=50'),
    get(ann, '/sandbox/v1/items'),
    get(ada, '/api/v1/admin/settings'),
    get(ada, '/api/v1/admin/profiles'),
    // Carl's own row changes with what he does; Ann's and Ada's must not.
    get(ada, '/api/v1/admin/users').then(([url, status, body]) => [
      url,
      status,
      (body as { users: { email: string }[] }).users.filter((u) => u.email !== carl.email),
    ]),
    get(ada, '/api/v1/admin/audit'),
    [ids.crmId, h.world.crm('ann@a.test').get(ids.crmId)?.syncToCalendar],
    ['events', h.world.calendar('ann@a.test').all('crm').length],
  ]);
}

describe('every route keeps tenants and users apart (SPEC §9, §10.8)', () => {
  beforeAll(async () => {
    const annUser = JSON.parse((await call(ann, 'GET', '/api/v1/me')).body) as { userId?: string; id?: string };
    await call(ada, 'GET', '/api/v1/me');
    expect(
      (
        await call(ann, 'POST', '/api/v1/connections/crm', {
          provider: 'memcrm',
          method: 'token',
          fields: { account: 'ann@a.test' },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call(ann, 'POST', '/api/v1/connections/calendar', {
          provider: 'memcal',
          method: 'password',
          fields: { username: 'ann@a.test', password: 'app-password-1' },
        })
      ).status,
    ).toBe(201);
    const at = new Date(h.runtime.clock().getTime() + 20 * 86_400_000);
    at.setUTCHours(9, 0, 0, 0);
    const item = h.world.crm('ann@a.test').userCreate({
      type: 'meeting',
      syncToCalendar: true,
      fields: {
        subject: 'Initech merger',
        timing: {
          kind: 'timed',
          start: at.toISOString(),
          end: new Date(at.getTime() + 3_600_000).toISOString(),
          timeZone: 'UTC',
        },
        body: '',
        location: '',
        visibility: 'normal',
        showAs: 'busy',
        attendees: [{ email: 'buyer@initech.test' }],
        recurrence: null,
        reminderMinutes: 15,
      },
    });
    const runId = (JSON.parse((await call(ann, 'POST', '/api/v1/runs', {})).body) as { runId: string }).runId;
    for (let i = 0; i < 500; i++) {
      if ((await call(ann, 'GET', `/api/v1/runs/${runId}`)).status === 200) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const cleanupId = (
      JSON.parse((await call(ann, 'POST', '/api/v1/cleanup/apply', { confirm: true })).body) as { id: string }
    ).id;
    const sandbox = await call(ann, 'POST', '/sandbox/v1/items', {
      type: 'meeting',
      subject: 'Sandbox secret deal',
      start: at.toISOString(),
      end: new Date(at.getTime() + 3_600_000).toISOString(),
      invitees: ['buyer@initech.test'],
    });
    expect(sandbox.status).toBe(201);
    await call(ann, 'POST', '/sandbox/v1/contacts', { email: 'buyer@initech.test', name: 'Ann’s buyer' });
    const profile = await call(ada, 'POST', '/api/v1/admin/profiles', {
      name: 'Tenant A plan',
      values: { syncIntervalMinutes: 10 },
      locked: [],
    });
    expect(profile.status).toBe(201);
    ids = {
      runId,
      cleanupId,
      crmId: item.id,
      sandboxId: (JSON.parse(sandbox.body) as { id: string }).id,
      profileId: (JSON.parse(profile.body) as { id: string }).id,
      userId: annUser.userId ?? annUser.id ?? '',
    };
    expect(
      (await call(ada, 'PUT', `/api/v1/admin/users/${ids.userId}/profile`, { profileId: ids.profileId })).status,
    ).toBe(200);
    for (const who of [carl, bob]) await call(who, 'GET', '/api/v1/me');
  });

  it('has an isolation case for every route the server has (a new route must be added here)', () => {
    const served = routesOf(h.app.printRoutes({ commonPrefix: false })).sort();
    expect(served.length).toBeGreaterThan(40);
    const known = Object.keys(routeCases()).sort();
    expect({ withoutCase: served.filter((r) => !known.includes(r)) }).toEqual({ withoutCase: [] });
    expect({ stale: known.filter((r) => !served.includes(r)) }).toEqual({ stale: [] });
  });

  it('lets the owner reach each of her ids (so a 404 for others is isolation, not a bad id)', async () => {
    for (const [key, c] of Object.entries(routeCases())) {
      if (!key.startsWith('GET ') || (c.kind !== 'id' && c.kind !== 'admin-id')) continue;
      const r = await call(c.kind === 'id' ? ann : ada, 'GET', c.url);
      expect({ key, status: r.status }).toEqual({ key, status: 200 });
    }
  });

  it('answers another user of the tenant and another tenant without any of her data, changing nothing of hers', async () => {
    const before = await annSees();
    const cases = routeCases();
    for (const who of [carl, bob]) {
      for (const [key, c] of Object.entries(cases)) {
        const [method, path] = key.split(' ') as [string, string];
        const r = await call(who, method, c.url ?? path, c.body);
        const where = { who: who.email, key };
        expect({ ...where, status5xx: r.status >= 500 }).toEqual({ ...where, status5xx: false });
        // A CRM's contacts and companies are the organisation's (the Sandbox keeps them per tenant, activities per
        // user): a colleague may see Ann's contact, another tenant may not.
        const tenantShared = who.tid === ann.tid && /^GET \/sandbox\/v1\/(contacts|companies)$/.test(key);
        // What the caller sent may come back (Bob's own profile may be named like Ann's admin's): not a leak.
        const sent = JSON.stringify(c.body ?? null);
        const leaked = markers.filter(
          (m) => r.body.includes(m) && !sent.includes(m) && !(tenantShared && m === 'buyer@initech.test'),
        );
        const annIds = Object.entries(ids)
          .filter(([, v]) => r.body.includes(v) && !(c.url ?? path).includes(v))
          .map(([name]) => name);
        // (A 404 may repeat the id the caller sent; it must not reveal anything else of Ann's.)
        expect({ ...where, leaked, annIds }).toEqual({ ...where, leaked: [], annIds: [] });
        if (c.kind === 'id') expect({ ...where, status: r.status }).toEqual({ ...where, status: 404 });
        if (c.kind === 'admin-id')
          expect({ ...where, status: r.status }).toEqual({ ...where, status: who.admin ? 404 : 403 });
        if (c.kind === 'admin' && !who.admin) expect({ ...where, status: r.status }).toEqual({ ...where, status: 403 });
      }
    }
    expect(await annSees()).toEqual(before);
  });
});

describe('forged tokens beyond the signature (SPEC §9)', () => {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = (who: Who) => {
    const now = Math.floor(h.runtime.clock().getTime() / 1000);
    return {
      tid: who.tid,
      oid: who.oid,
      preferred_username: who.email,
      scp: 'access_as_user',
      roles: ['Connector.Admin'],
      iss: `${h.idp.origin}/${who.tid}/v2.0`,
      aud: 'api://client-1',
      iat: now,
      exp: now + 600,
    };
  };

  it.each([
    ['alg none, no signature', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims(ann))}.`],
    ['alg none with the real key id', () => `${b64({ alg: 'none', kid: 'k1' })}.${b64(claims(ann))}.`],
    [
      'HS256 (a symmetric key guessed from public data)',
      () => {
        const head = `${b64({ alg: 'HS256', kid: 'k1' })}.${b64(claims(ann))}`;
        return `${head}.${crypto.createHmac('sha256', 'client-1').update(head).digest('base64url')}`;
      },
    ],
  ])('refuses %s with 401 on every signed-in route', async (_name, make) => {
    const token = make();
    for (const url of ['/api/v1/me', '/api/v1/admin/users', '/sandbox/v1/items']) {
      const res = await h.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 401 });
    }
  });

  it('refuses a token whose tid names another tenant than its issuer, and an admin role from another tenant', async () => {
    // Signed by the right key, but the tenant in the issuer and in tid disagree: whichever is believed, it is refused.
    const mixed = await h.idp.token(ann, { tid: 'tenant-b' });
    expect(
      (await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${mixed}` } }))
        .statusCode,
    ).toBe(401);
    // Bob is an admin in tenant B: nothing of tenant A in his admin views.
    const users = await call(bob, 'GET', '/api/v1/admin/users');
    expect(users.body).not.toContain('ann@a.test');
  });
});

describe('rate limit with a new made-up Authorization header on every request, on every route (issue 16, finding 3)', () => {
  let small: Harness;
  beforeAll(async () => {
    small = await startHarness({ RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => small.close());

  // Exempt on purpose (operations.ts: `rateLimit: false`): orchestrator probes and the Prometheus scrape, which
  // come every few seconds from one address. A CORS preflight never reaches a handler.
  const probes = new Set(['GET /healthz', 'GET /readyz', 'GET /metrics', 'OPTIONS *']);

  it('limits each route by address once the budget is used', async () => {
    const served = routesOf(small.app.printRoutes({ commonPrefix: false }));
    const unlimited: string[] = [];
    for (const [i, key] of served.entries()) {
      const [method, path] = key.split(' ') as [string, string];
      const url = path === '*' ? '/api/v1/me' : path.replace(/:(\w+)/g, 'x');
      // One address per route, so each route shows on its own that it is limited.
      const remoteAddress = `198.51.100.${i + 1}`;
      const codes: number[] = [];
      for (let n = 0; n < 4; n++) {
        const res = await small.app.inject({
          method: method as InjectOptions['method'],
          url,
          remoteAddress,
          headers: { authorization: `Bearer ${crypto.randomBytes(24 + n).toString('base64url')}` },
          ...(method === 'GET' || method === 'OPTIONS' || method === 'DELETE' ? {} : { payload: {} }),
        });
        codes.push(res.statusCode);
      }
      if (codes[3] !== 429 && !probes.has(key)) unlimited.push(`${key}: ${codes.join(',')}`);
    }
    expect(unlimited).toEqual([]);
  });
});

describe('user URLs at the API edge: SSRF forms and redirects (SPEC §9)', () => {
  let s: Harness;
  let trap: net.Server;
  let trapHits = 0;
  let allowed: http.Server;
  let allowedPort = 0;
  let trapPort = 0;
  beforeAll(async () => {
    // A listener no refused URL may ever reach (counts TCP connections, whatever the protocol).
    trap = net.createServer((sock) => {
      trapHits++;
      sock.destroy();
    });
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
    trapPort = (trap.address() as AddressInfo).port;
    // An allow-listed server (an admin's LAN CalDAV) that redirects elsewhere.
    allowed = http.createServer((req, res) => {
      const to = decodeURIComponent((req.url ?? '/').slice(1));
      res.writeHead(302, { location: to }).end();
    });
    await new Promise<void>((r) => allowed.listen(0, '127.0.0.1', r));
    allowedPort = (allowed.address() as AddressInfo).port;
    // The shipped registry (real CalDAV connector, real safe fetch); only the allowed server is allow-listed.
    s = await startHarness({ ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${allowedPort}` }, { shippedRegistry: true });
  });
  afterAll(async () => {
    await s.close();
    await new Promise<void>((r) => trap.close(() => r()));
    await new Promise<void>((r) => allowed.close(() => r()));
  });

  const connect = async (url: string) =>
    s.app.inject({
      method: 'POST',
      url: '/api/v1/connections/calendar',
      headers: { authorization: `Bearer ${await s.idp.token(ann)}` },
      payload: { provider: 'caldav', method: 'app-password', url, fields: { username: 'ann', password: 'pw-123456' } },
    });

  it('refuses every private, loopback, metadata and non-https form, naming the url, without a connection', async () => {
    const p = trapPort;
    const forms = [
      `http://127.0.0.1:${p}/`,
      `https://127.0.0.1:${p}/`,
      `https://localhost:${p}/`,
      `https://localhost.:${p}/`,
      `https://127.1:${p}/`,
      `https://2130706433:${p}/`,
      `https://0x7f000001:${p}/`,
      `https://0177.0.0.1:${p}/`,
      `https://[::1]:${p}/`,
      `https://[::ffff:127.0.0.1]:${p}/`,
      `https://[::ffff:7f00:1]:${p}/`,
      `https://0.0.0.0:${p}/`,
      `https://169.254.169.254/latest/meta-data/`,
      `https://[fd00::1]/`,
      `https://10.0.0.1/`,
      `https://192.168.0.1/`,
      `https://100.64.0.1/`,
      `https://public.example@127.0.0.1:${p}/`,
      `http://93.184.216.34/`,
      `ftp://93.184.216.34/`,
      `file:///etc/passwd`,
      `javascript:alert(1)`,
      `https://127.0.0.1:${p}\u0000.example.com/`,
    ];
    const answers = [];
    for (const url of forms) {
      const res = await connect(url);
      answers.push({ url, status: res.statusCode, field: (res.json() as { field?: unknown }).field, body: res.body });
    }
    expect(answers.filter((a) => a.status < 400 || a.status >= 500 || a.field !== 'url')).toEqual([]);
    expect(answers.every((a) => a.status === 400 || a.status === 422)).toBe(true);
    expect(trapHits).toBe(0);
  });

  it('re-checks redirects: an allow-listed server cannot send the connector to a private or metadata address', async () => {
    for (const target of [`http://127.0.0.1:${trapPort}/`, 'http://169.254.169.254/latest/meta-data/']) {
      const res = await connect(`http://127.0.0.1:${allowedPort}/${encodeURIComponent(target)}`);
      const reason = (res.json() as { reason?: string }).reason;
      // Refused at the hop: a private host (blocked-url) or plain http to a host nobody allow-listed (bad-url).
      expect({ target, status: res.statusCode, refused: ['blocked-url', 'bad-url'].includes(reason ?? '') }).toEqual({
        target,
        status: 422,
        refused: true,
      });
    }
    expect(trapHits).toBe(0);
  });
});

describe('OAuth start (issue 16, finding 7): the URL is checked before any round trip', () => {
  let trap: net.Server;
  let trapHits = 0;
  beforeAll(async () => {
    trap = net.createServer((sock) => {
      trapHits++;
      sock.destroy();
    });
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => trap.close(() => r())));

  const start = async (body: object) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/connections/calendar/oauth/start',
      headers: { authorization: `Bearer ${await h.idp.token(ann)}` },
      payload: { provider: 'memcal', method: 'oauth', fields: {}, ...body },
    });
  const states = async () => (await h.db.kysely.selectFrom('oauth_states').select('state').execute()).length;

  it('refuses a private or http authority URL, naming the url, storing no state and calling no provider', async () => {
    const port = (trap.address() as AddressInfo).port;
    const before = { states: await states(), started: h.world.challenges.size };
    for (const url of [
      `http://127.0.0.1:${port}/`,
      `https://127.0.0.1:${port}/`,
      'https://10.1.2.3/',
      'https://169.254.169.254/',
      'https://[::1]/',
      'http://93.184.216.34/',
    ]) {
      const res = await start({ url });
      expect({ url, status: res.statusCode, field: res.json().field }).toEqual({
        url,
        status: res.statusCode >= 400 && res.statusCode < 500 ? res.statusCode : 'not 4xx',
        field: 'url',
      });
    }
    expect({ states: await states(), started: h.world.challenges.size }).toEqual(before);
    expect(trapHits).toBe(0);
    // A public https authority goes through (so the refusals above are about the URL).
    const ok = await start({ url: 'https://93.184.216.34/' });
    expect(ok.statusCode).toBe(200);
    expect(await states()).toBe(before.states + 1);
  });

  it.each([
    ['fields.clientId', { fields: { clientId: 'abc\u0000def' } }],
    ['fields.clientId', { fields: { clientId: 'line\nbreak' } }],
    ['fields.tenant', { fields: { tenant: 'x\u001by' } }],
    ['url', { url: 'https://93.184.216.34/\u0000' }],
  ])('refuses a control character in %s, naming it', async (field, body) => {
    const res = await start(body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ field });
  });
});
