/**
 * A real Xandikos CalDAV server for tests, shaped like test/support/radicale.ts: the Debian `xandikos` on 127.0.0.1
 * with a free port and a temporary folder (each calendar a git repository), stopped by its pid.
 *
 * Xandikos does no authentication itself (it is run behind a reverse proxy that does); so it is here, behind a small
 * Basic-auth proxy on its own free port that checks the users' passwords and forwards everything else unchanged.
 * It serves a single principal: the first user's (`/<user>/`, calendars under `/<user>/calendars/`); every
 * user listed may sign in and sees that principal.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { CalDavTestServer } from './caldav-server';
import { freePort } from './free-port';

async function waitUntilUp(origin: string, exited: () => number | null, log: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (exited() !== null) throw new Error(`xandikos exited (${exited()}): ${log()}`);
    try {
      const res = await fetch(`${origin}/`, { redirect: 'manual' });
      await res.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`xandikos did not start: ${log()}`);
}

export async function startXandikos(
  users: Record<string, string> = { alice: 'alice-app-password' },
): Promise<CalDavTestServer> {
  const owner = Object.keys(users)[0] ?? 'alice';
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'xandikos-'));
  const port = await freePort();
  const principal = `/${owner}/`;
  // The server keeps the real time in the time-travel run, as Radicale does (test/support/radicale.ts): only the
  // connector's clock travels.
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k === 'LD_PRELOAD' || k.startsWith('FAKETIME')) delete env[k];
  const child = spawn(
    'xandikos',
    ['-d', dir, '--autocreate', '-l', '127.0.0.1', '-p', String(port), '--current-user-principal', principal],
    { stdio: ['ignore', 'ignore', 'pipe'], env },
  );
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const upstream = `http://127.0.0.1:${port}`;
  await waitUntilUp(
    upstream,
    () => child.exitCode,
    () => err,
  );

  const allowed = new Set(
    Object.entries(users).map(([u, p]) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`),
  );
  let requests = 0;
  const proxy = http.createServer((req, res) => {
    requests++;
    if (!allowed.has(req.headers.authorization ?? '')) {
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="xandikos"', 'content-type': 'text/plain' });
      res.end('unauthorized');
      return;
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const up = http.request(`${upstream}${req.url ?? '/'}`, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(e));
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyPort = (proxy.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${proxyPort}`;
  const auth = `Basic ${Buffer.from(`${owner}:${users[owner] ?? ''}`).toString('base64')}`;

  return {
    kind: 'xandikos',
    origin,
    hostPort: `127.0.0.1:${proxyPort}`,
    users,
    homePath: () => `${principal}calendars/`,
    requestCount: () => requests,
    async makeCalendar(_user, name, displayName = name) {
      const p = `${principal}calendars/${name}/`;
      // Xandikos answers MKCALENDAR in a misspelt namespace and refuses supported-calendar-component-set (it stays
      // unset: any component): only the status matters here.
      const res = await fetch(`${origin}${p}`, {
        method: 'MKCALENDAR',
        headers: { authorization: auth, 'content-type': 'application/xml; charset=utf-8' },
        body: `<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>${displayName}</D:displayname></D:prop></D:set></C:mkcalendar>`,
      });
      if (res.status !== 201) throw new Error(`MKCALENDAR ${p}: ${res.status} ${await res.text()}`);
      await res.body?.cancel();
      return p;
    },
    async seed(calendarPath, resources) {
      // A git repository per calendar: uploads in one go through PUTs (no storage folder to write into safely).
      for (const r of resources) {
        const res = await fetch(`${origin}${calendarPath}${r.name}`, {
          method: 'PUT',
          headers: { authorization: auth, 'content-type': 'text/calendar' },
          body: r.ics,
        });
        await res.body?.cancel();
        if (res.status >= 300) throw new Error(`PUT ${r.name}: ${res.status}`);
      }
    },
    async stop() {
      await new Promise((r) => proxy.close(r));
      if (child.exitCode === null && child.pid) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
