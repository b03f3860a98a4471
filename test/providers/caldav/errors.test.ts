/**
 * What a CalDAV server says in an error body never reaches the user or a log (it may echo request data or the
 * credentials); the DAV precondition it names (RFC 4918 §16) does, because it tells what to do.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DavClient, davPrecondition } from '../../../src/providers/calendar/caldav/dav-client';
import { createSafeFetch } from '../../../src/providers/http';
import { fixedClock } from '../../../src/shared/clock';

const secret = 'app-password-Hunter2';
let server: http.Server;
let origin: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/echo/') {
      // A server that repeats what it was sent, credentials included (seen in debugging proxies and some servers).
      res
        .writeHead(500, { 'content-type': 'text/plain' })
        .end(`internal error for ${req.headers.authorization} ${secret}`);
    } else {
      res
        .writeHead(403, { 'content-type': 'application/xml' })
        .end(`<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:valid-sync-token/><D:x>${secret}</D:x></D:error>`);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const client = () =>
  new DavClient(
    createSafeFetch({ allowedPrivateHosts: [new URL(origin).host] }),
    { username: 'alice', password: secret },
    fixedClock('2026-11-21T09:00:00Z'),
  );

test('an error body is not repeated in the error, even when it echoes the password', async () => {
  const e = await client()
    .request({ method: 'PROPFIND', url: `${origin}/echo/`, headers: { depth: '0' }, body: '<x/>' })
    .then(
      () => new Error('no error'),
      (x: unknown) => x as Error,
    );
  expect(e).toBeInstanceOf(Error);
  expect(e.message).toContain('PROPFIND /echo/');
  expect(e.message).not.toContain(secret);
  expect(e.message).not.toContain('Basic');
});

test('the DAV precondition a server names is kept', async () => {
  const e = await client()
    .request({ method: 'REPORT', url: `${origin}/cal/`, headers: { depth: '1' }, body: '<x/>' })
    .then(
      () => new Error('no error'),
      (x: unknown) => x as Error,
    );
  expect(e.message).toMatch(/REPORT \/cal\/: valid-sync-token/);
  expect(e.message).not.toContain(secret);
  expect(davPrecondition('<error xmlns="DAV:"><number-of-matches-within-limits/></error>')).toBe(
    'number-of-matches-within-limits',
  );
  expect(davPrecondition('Internal Server Error')).toBeNull();
});
