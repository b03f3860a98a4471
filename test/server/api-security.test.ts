import fs from 'node:fs';
import path from 'node:path';
import { apiRoutes, routeUrl } from '../../src/shared/api';
import { loadConfig, ConfigError } from '../../src/server/config';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ RATE_LIMIT_PER_MINUTE: '1000' });
});
afterAll(async () => {
  await h.close();
});

const ann = { tid: 'tenant-a', oid: 'oid-ann', email: 'ann@a.test' };
const me = (token?: string) =>
  h.app.inject({ method: 'GET', url: '/api/v1/me', headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('token validation (SPEC §9)', () => {
  it('accepts a valid token', async () => {
    expect((await me(await h.idp.token(ann))).statusCode).toBe(200);
  });

  it.each([
    ['missing', async () => undefined, /missing bearer token/],
    ['expired', async () => h.idp.token(ann, { expSeconds: -600 }), /expired/],
    ['forged (unknown key)', async () => h.idp.token(ann, {}, { forge: true }), /signature|unknown key/],
    ['for another audience', async () => h.idp.token(ann, { aud: 'api://someone-else' }), /aud/],
    [
      'from an issuer that is not its tenant',
      async () => h.idp.token(ann, { iss: `${h.idp.origin}/tenant-b/v2.0` }),
      /issuer/,
    ],
    ['without the scope', async () => h.idp.token(ann, { scp: 'User.Read' }), /scope/],
    [
      'without tid',
      async () => h.idp.token(ann, { tid: undefined, iss: `${h.idp.origin}/undefined/v2.0` }),
      /tid|issuer/,
    ],
    ['garbage', async () => 'not.a.jwt', /malformed|validated/],
  ])('refuses a token that is %s with 401', async (_name, make, message) => {
    const res = await me(await make());
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: 'unauthorized' });
    expect(res.json().message).toMatch(message);
  });

  it('refuses every non-public route without a token', async () => {
    for (const def of Object.values(apiRoutes)) {
      if (def.auth === 'none') continue;
      const res = await h.app.inject({
        method: def.method,
        url: routeUrl(def.path, { side: 'crm', runId: 'r', cleanupId: 'c', crmId: 'i', profileId: 'p', userId: 'u' }),
      });
      expect([def.path, res.statusCode]).toEqual([def.path, 401]);
    }
  });
});

describe('HTTP hardening', () => {
  it('serves OpenAPI generated from the shared schemas', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/runs/{runId}', '/api/v1/admin/profiles']));
    expect(
      doc.paths['/api/v1/connections/{side}'].post.requestBody.content['application/json'].schema.properties,
    ).toHaveProperty('provider');
  });

  it('sends security headers and limits CORS to the pane origin', async () => {
    const res = await h.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/me',
      headers: { origin: 'https://connector.example.test', 'access-control-request-method': 'GET' },
    });
    expect(res.headers['access-control-allow-origin']).toBe('https://connector.example.test');
    const evil = await h.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/me',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    const health = await h.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.headers['x-content-type-options']).toBe('nosniff');
    expect(String(health.headers['content-security-policy'])).toContain("frame-ancestors 'self' https://*.office.com");
    expect(health.headers['strict-transport-security']).toBeDefined();
  });

  it('refuses oversized bodies with 413 and bad JSON with 400', async () => {
    const token = await h.idp.token(ann);
    const big = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/settings',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ set: {}, pad: 'x'.repeat(300 * 1024) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: 'payload-too-large' });
    const broken = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/settings',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: '{"set":',
    });
    expect(broken.statusCode).toBe(400);
  });

  it('answers unknown webhook providers with 404', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/webhooks/nope', payload: {} });
    expect(res.statusCode).toBe(404);
  });
});

describe('rate limit', () => {
  it('answers 429 with a retry hint once the limit is used up', async () => {
    const small = await startHarness({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++)
        codes.push((await small.app.inject({ method: 'GET', url: '/api/openapi.json' })).statusCode);
      expect(codes.slice(0, 3)).toEqual([200, 200, 200]);
      expect(codes[4]).toBe(429);
    } finally {
      await small.close();
    }
  });
});

describe('secrets at rest (SPEC §9)', () => {
  it('the database file holds no plaintext secret', async () => {
    const token = await h.idp.token({ tid: 'tenant-s', oid: 'oid-s', email: 'sam@s.test' });
    const secret = 'Sup3r-Secret-App-Password-7781';
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/connections/calendar',
      headers: { authorization: `Bearer ${token}` },
      payload: { provider: 'memcal', method: 'password', fields: { username: 'sam@s.test', password: secret } },
    });
    expect(res.statusCode).toBe(201);
    const file = h.config.DATABASE_URL.slice('sqlite:'.length);
    await h.db.kysely.selectFrom('connections').selectAll().execute();
    const bytes = Buffer.concat(
      [file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)),
    ).toString('latin1');
    expect(bytes).toContain('sam@s.test');
    expect(bytes).not.toContain(secret);
    expect(bytes).not.toContain(Buffer.from(secret).toString('base64'));
    expect(path.basename(file)).toBe('connector.db');
  });
});

describe('development sign-in', () => {
  it('is refused when NODE_ENV=production', () => {
    expect(() => loadConfig({ AUTH_MODE: 'dev', NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ AUTH_MODE: 'dev', NODE_ENV: 'production' })).toThrow(/AUTH_MODE/);
  });

  it('issues tokens from a local issuer that the API accepts', async () => {
    const dev = await startHarness({ AUTH_MODE: 'dev' });
    try {
      const page = await dev.app.inject({ method: 'GET', url: '/auth/dev/sign-in' });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<form');
      const t = await dev.app.inject({
        method: 'POST',
        url: '/auth/dev/token',
        payload: { email: 'Dev@Local.test', admin: true },
      });
      expect(t.statusCode).toBe(200);
      const who = await dev.app.inject({
        method: 'GET',
        url: '/api/v1/me',
        headers: { authorization: `Bearer ${t.json().accessToken}` },
      });
      expect(who.json()).toMatchObject({ email: 'dev@local.test', tenantId: 'local', isAdmin: true });
      const bad = await dev.app.inject({ method: 'POST', url: '/auth/dev/token', payload: { email: 'nope' } });
      expect(bad.json().field).toBe('email');
      // An Entra-shaped token from elsewhere is not accepted in dev mode either.
      expect(
        (
          await dev.app.inject({
            method: 'GET',
            url: '/api/v1/me',
            headers: { authorization: `Bearer ${await dev.idp.token(ann)}` },
          })
        ).statusCode,
      ).toBe(401);
    } finally {
      await dev.close();
    }
  });
});
