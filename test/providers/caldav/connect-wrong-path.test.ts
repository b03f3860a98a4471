/**
 * Issue 17: a wrong CalDAV path is a wrong address, named as such, never a missing permission. Against a real
 * Radicale (404 on a path it does not hold, 403 on another user's path) and a plain web server that has no WebDAV
 * (405 on PROPFIND, as nginx answers).
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { caldavConnector } from '../../../src/providers/calendar/caldav/connector';
import { ConnectError, createSafeFetch } from '../../../src/providers/http';
import { startRadicale, type RadicaleServer } from '../../support/radicale';
import { testEnv } from './env';

let radicale: RadicaleServer;
let noDav: http.Server;
let noDavHost: string;

beforeAll(async () => {
  radicale = await startRadicale({ carol: 'carol-app-password' });
  await radicale.makeCalendar('carol', 'work', 'Work');
  noDav = http.createServer((req, res) => {
    res.writeHead(req.method === 'GET' ? 404 : 405, { allow: 'GET, HEAD' }).end();
  });
  await new Promise<void>((r) => noDav.listen(0, '127.0.0.1', r));
  noDavHost = `127.0.0.1:${(noDav.address() as AddressInfo).port}`;
}, 30_000);
afterAll(async () => {
  await radicale?.stop();
  await new Promise((r) => noDav?.close(r));
});

const connect = (url: string, hosts = [radicale.hostPort]) =>
  caldavConnector.connect!(
    { method: 'app-password', url, fields: { username: 'carol', password: 'carol-app-password' } },
    testEnv(hosts),
  );

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ConnectError) return e;
    throw e;
  }
  throw new Error('connected, but a failure was expected');
}

test('a calendar path the server does not hold (404) is a wrong address naming the path and the right one', async () => {
  const e = await failure(connect(`${radicale.origin}/carol/nope/`));
  expect(e.reason).toBe('bad-url');
  expect(e.field).toBe('url');
  expect(e.message).toContain('/carol/nope/');
  expect(e.message).toContain(`${radicale.origin}/carol/`);
  expect(e.message).not.toMatch(/permission/i);
});

test('a server without WebDAV at that path (405) is a wrong address naming the path', async () => {
  const e = await failure(connect(`http://${noDavHost}/calendar/dav`, [noDavHost]));
  expect(e.reason).toBe('bad-url');
  expect(e.field).toBe('url');
  expect(e.message).toContain('/calendar/dav');
  expect(e.message).not.toMatch(/permission/i);
});

test('another user’s path (403) stays a missing permission; the right paths still connect', async () => {
  expect((await failure(connect(`${radicale.origin}/nobody/`))).reason).toBe('missing-permission');
  expect((await connect(`${radicale.origin}/carol/work/`)).calendarId).toBe('/carol/work/');
  expect((await connect(`${radicale.origin}/`)).url).toBe(`${radicale.origin}/carol/`);
});

describe('a server that accepts the connection and never answers', () => {
  let hole: net.Server;
  let holeHost: string;
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  beforeAll(async () => {
    hole = net.createServer((s) => {
      accepted++;
      sockets.add(s);
      s.on('data', () => undefined);
    });
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    holeHost = `127.0.0.1:${(hole.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => hole.close(r));
  });

  test('is reported as not answering after one request timeout, not two (no /.well-known try on the same server)', async () => {
    // The safe fetch's timeout is injected (30 s in production) so the test takes a second.
    const env = {
      ...testEnv([holeHost]),
      safeFetch: createSafeFetch({ allowedPrivateHosts: [holeHost] }, { timeoutMs: 400 }),
    };
    const started = performance.now();
    const e = await failure(
      caldavConnector.connect!(
        { method: 'app-password', url: `http://${holeHost}/dav/`, fields: { username: 'carol', password: 'x' } },
        env,
      ),
    );
    expect([e.reason, e.message]).toEqual(['unreachable', 'The server did not answer in time.']);
    expect(accepted).toBe(1);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
