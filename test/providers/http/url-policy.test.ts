import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import {
  assertSafeUrl,
  createSafeFetch,
  isPublicAddress,
  parseRetryAfter,
  providerErrorFromResponse,
  toConnectError,
  UnsafeUrlError,
  type Lookup,
} from '../../../src/providers/http';
import { ProviderError } from '../../../src/sync/errors';

const noAllow = { allowedPrivateHosts: [] };
const fakeDns =
  (table: Record<string, string[]>): Lookup =>
  async (host) => {
    const a = table[host];
    if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (e) {
    return e instanceof UnsafeUrlError ? e.reason : `other: ${String(e)}`;
  }
}

describe('user-supplied URL policy (SPEC §9)', () => {
  it.each([
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.16.0.1', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['::1', false],
    ['fe80::1', false],
    ['fc00::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['93.184.216.34', true],
    ['2606:4700::6810:85e5', true],
  ])('%s is public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it('refuses non-https, credentials in the URL and garbage', async () => {
    const lookup = fakeDns({ 'crm.example.com': ['93.184.216.34'] });
    expect(await reason(assertSafeUrl('http://crm.example.com', noAllow, lookup))).toBe('scheme');
    expect(await reason(assertSafeUrl('ftp://crm.example.com', noAllow, lookup))).toBe('scheme');
    expect(await reason(assertSafeUrl('https://u:p@crm.example.com', noAllow, lookup))).toBe('credentials');
    expect(await reason(assertSafeUrl('not a url', noAllow, lookup))).toBe('malformed');
    expect(await reason(assertSafeUrl('https://crm.example.com/api', noAllow, lookup))).toBe('accepted');
  });

  it('checks the resolved addresses, not the name', async () => {
    const lookup = fakeDns({
      'evil.example.com': ['93.184.216.34', '10.0.0.5'],
      'meta.example.com': ['169.254.169.254'],
    });
    expect(await reason(assertSafeUrl('https://evil.example.com', noAllow, lookup))).toBe('private-address');
    expect(await reason(assertSafeUrl('https://meta.example.com', noAllow, lookup))).toBe('private-address');
    expect(await reason(assertSafeUrl('https://[::1]:8443/', noAllow, lookup))).toBe('private-address');
    expect(await reason(assertSafeUrl('https://nowhere.example.com', noAllow, lookup))).toBe('unresolvable');
  });

  it('lets the admin allow-list a private host (by host or host:port), also over http', async () => {
    const lookup = fakeDns({ 'radicale.lan': ['192.168.1.20'] });
    expect(
      await reason(assertSafeUrl('http://radicale.lan:5232/', { allowedPrivateHosts: ['radicale.lan:5232'] }, lookup)),
    ).toBe('accepted');
    expect(
      await reason(assertSafeUrl('http://radicale.lan:5233/', { allowedPrivateHosts: ['radicale.lan:5232'] }, lookup)),
    ).toBe('private-address'); // not "use https": the port is not allow-listed, and https would not change that
    expect(
      await reason(assertSafeUrl('https://radicale.lan/', { allowedPrivateHosts: ['radicale.lan'] }, lookup)),
    ).toBe('accepted');
  });

  it('never accepts a literal private IPv4 without the allow-list', () =>
    fc.assert(
      fc.asyncProperty(fc.constantFrom(10, 127, 192, 172), fc.nat(255), fc.nat(255), async (a, b, c) => {
        const second = a === 192 ? 168 : a === 172 ? 16 + (b % 16) : b;
        const url = `https://${a}.${second}.${c}.1/`;
        expect(await reason(assertSafeUrl(url, noAllow))).toBe('private-address');
      }),
    ));
});

describe('safe fetch', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/redirect-private') {
        res.writeHead(302, { location: 'http://10.20.30.40/steal' });
        res.end();
      } else if (req.url === '/redirect-local') {
        res.writeHead(302, { location: '/ok' });
        res.end();
      } else if (req.url === '/slow') {
        // A large listing: the answer comes after the default per-request timeout.
        setTimeout(() => res.end('slow ok'), 400);
      } else {
        res.end('ok');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('refuses loopback unless allow-listed', async () => {
    const f = createSafeFetch(noAllow);
    expect(await reason(f(`https://127.0.0.1:${port}/ok`))).toBe('private-address');
    const allowed = createSafeFetch({ allowedPrivateHosts: [`127.0.0.1:${port}`] });
    const res = await allowed(`http://127.0.0.1:${port}/redirect-local`);
    expect(await res.text()).toBe('ok');
  });

  it('re-checks every redirect hop (no request reaches the private target)', async () => {
    const f = createSafeFetch({ allowedPrivateHosts: [`127.0.0.1:${port}`] });
    // The hop goes to plain http on a private host that is not allow-listed: the host is what is not allowed.
    expect(await reason(f(`http://127.0.0.1:${port}/redirect-private`))).toBe('private-address');
  });

  it('gives one request a longer timeout when asked (listings of large calendars), the others keep the default', async () => {
    const f = createSafeFetch({ allowedPrivateHosts: [`127.0.0.1:${port}`] }, { timeoutMs: 100 });
    await expect(f(`http://127.0.0.1:${port}/slow`)).rejects.toThrow();
    const res = await f(`http://127.0.0.1:${port}/slow`, { timeoutMs: 5_000 });
    expect(await res.text()).toBe('slow ok');
  });
});

describe('safe fetch and credentials across redirects', () => {
  const servers: http.Server[] = [];
  const ports: number[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const server = http.createServer((req, res) => {
        if (req.url === '/to-other') {
          res.writeHead(302, { location: `http://127.0.0.1:${ports[1]}/echo` });
          res.end();
        } else if (req.url === '/to-same') {
          res.writeHead(307, { location: '/echo' });
          res.end();
        } else
          res.end(
            JSON.stringify({ authorization: req.headers.authorization ?? null, cookie: req.headers.cookie ?? null }),
          );
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      ports.push((server.address() as AddressInfo).port);
    }
  });
  afterAll(() => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))));

  const basic = `Basic ${Buffer.from('ann:s3cret').toString('base64')}`;
  const fetchFor = () => createSafeFetch({ allowedPrivateHosts: ports.map((p) => `127.0.0.1:${p}`) });

  it('never replays Basic credentials (or cookies) to another origin after a redirect', async () => {
    const res = await fetchFor()(`http://127.0.0.1:${ports[0]}/to-other`, {
      headers: { authorization: basic, cookie: 'session=1', depth: '1' },
    });
    expect(await res.json()).toEqual({ authorization: null, cookie: null });
  });

  it('keeps them on a redirect within the same origin', async () => {
    const res = await fetchFor()(`http://127.0.0.1:${ports[0]}/to-same`, { headers: { authorization: basic } });
    expect(await res.json()).toEqual({ authorization: basic, cookie: null });
  });
});

describe('HTTP error mapping', () => {
  const res = (status: number, headers: Record<string, string> = {}) => new Response('', { status, headers });
  it.each([
    [401, 'auth'],
    [403, 'forbidden'],
    [404, 'not-found'],
    [412, 'conflict'],
    [429, 'transient'],
    [503, 'transient'],
    [400, 'invalid'],
    [418, 'permanent'],
  ])('%i → %s', (status, kind) => {
    expect(providerErrorFromResponse(res(status), '', new Date('2026-11-21T09:00:00Z')).kind).toBe(kind);
  });

  it('honours Retry-After in seconds and as a date', () => {
    const now = new Date('2026-11-21T10:00:00Z');
    expect(providerErrorFromResponse(res(429, { 'retry-after': '7' }), '', now).retryAfterMs).toBe(7000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('turns failures into connect reasons a person can act on', () => {
    expect(toConnectError(new ProviderError('auth', 'HTTP 401', { status: 401 })).reason).toBe('unauthorized');
    expect(toConnectError(new ProviderError('forbidden', 'HTTP 403', { status: 403 })).reason).toBe(
      'missing-permission',
    );
    expect(toConnectError(Object.assign(new Error('x'), { code: 'ENOTFOUND' })).reason).toBe('unreachable');
    expect(toConnectError(new TypeError('fetch failed', { cause: { code: 'CERT_HAS_EXPIRED' } })).reason).toBe('tls');
    expect(toConnectError(new UnsafeUrlError('private-address', 'no')).reason).toBe('blocked-url');
    expect(toConnectError(new UnsafeUrlError('scheme', 'no')).field).toBe('url');
  });
});
