/**
 * A real Radicale CalDAV server for tests and the bench: started on 127.0.0.1 with a free port and a temporary
 * storage folder (plain htpasswd auth), stopped by its pid. The SSRF policy blocks loopback, so callers pass
 * `allowedPrivateHosts: [radicale.hostPort]`, as an admin would for a LAN server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { unpausedResponses } from '../../src/providers/http/whole-body';
import type { CalDavTestServer } from './caldav-server';
import { freePort } from './free-port';

/** Radicale as one of the CalDAV test servers (test/support/caldav-server.ts); `requestCount` needs `logRequests`. */
export type RadicaleServer = CalDavTestServer & {
  /** The storage folder of a collection (multifilesystem: one `.ics` per item, `.Radicale.cache/item/` beside). */
  collectionFolder(calendarPath: string): string;
  /** PUT and DELETE requests logged so far (needs `logRequests`). */
  writeCount(): number;
};

async function waitUntilUp(origin: string, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`radicale exited (${child.exitCode}): ${stderr()}`);
    try {
      const res = await fetch(`${origin}/.well-known/caldav`, { redirect: 'manual' });
      await res.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`radicale did not start: ${stderr()}`);
}

export async function startRadicale(
  users: Record<string, string> = { alice: 'alice-app-password' },
  /** Log every request at info level and count them (the side-by-side bench counts requests from the log). */
  opts: { logRequests?: boolean } = {},
): Promise<RadicaleServer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'radicale-'));
  const port = await freePort();
  const htpasswd = path.join(dir, 'users');
  await fs.writeFile(
    htpasswd,
    Object.entries(users)
      .map(([u, p]) => `${u}:${p}`)
      .join('\n') + '\n',
  );
  const config = path.join(dir, 'config');
  await fs.writeFile(
    config,
    [
      '[server]',
      `hosts = 127.0.0.1:${port}`,
      '[auth]',
      'type = htpasswd',
      `htpasswd_filename = ${htpasswd}`,
      'htpasswd_encryption = plain',
      'delay = 0',
      '[rights]',
      'type = owner_only',
      '[storage]',
      `filesystem_folder = ${path.join(dir, 'collections')}`,
      '[web]',
      'type = none',
      '[logging]',
      `level = ${opts.logRequests ? 'info' : 'warning'}`,
      '',
    ].join('\n'),
  );
  // Radicale keeps the real time even in the time-travel run (scripts/time-travel.sh): it ages its sync-token
  // history by file modification times, which the kernel writes in real time, so a faked clock would expire every
  // token at once. A server's clock is its own anyway; only the connector's clock travels.
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k === 'LD_PRELOAD' || k.startsWith('FAKETIME')) delete env[k];
  const child = spawn('radicale', ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let err = '';
  let requests = 0;
  let writes = 0;
  let partial = '';
  child.stderr?.on('data', (d: Buffer) => {
    const text = d.toString();
    err = (err + text).slice(-4000);
    if (!opts.logRequests) return;
    // Radicale logs one "<METHOD> request for '<path>' received from …" line per request.
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (/\[INFO\] [A-Z]+ request for /i.test(line)) requests++;
      if (/\[INFO\] (PUT|DELETE) request for /i.test(line)) writes++;
    }
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitUntilUp(origin, child, () => err);

  const collectionFolder = (calendarPath: string): string =>
    path.join(dir, 'collections', 'collection-root', ...calendarPath.split('/').filter(Boolean));
  const auth = (user: string): string => `Basic ${Buffer.from(`${user}:${users[user] ?? ''}`).toString('base64')}`;
  return {
    kind: 'radicale',
    origin,
    hostPort: `127.0.0.1:${port}`,
    users,
    homePath: (user) => `/${user}/`,
    requestCount: () => requests,
    writeCount: () => writes,
    async makeCalendar(user, name, displayName = name) {
      const p = `/${user}/${name}/`;
      const res = await fetch(`${origin}${p}`, {
        method: 'MKCALENDAR',
        headers: { authorization: auth(user), 'content-type': 'application/xml; charset=utf-8' },
        body: `<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>${displayName}</D:displayname><C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>`,
      });
      if (res.status !== 201) throw new Error(`MKCALENDAR ${p}: ${res.status} ${await res.text()}`);
      return p;
    },
    collectionFolder,
    async seed(calendarPath, resources) {
      const folder = collectionFolder(calendarPath);
      for (const r of resources) await fs.writeFile(path.join(folder, r.name), r.ics);
      const owner = calendarPath.split('/').filter(Boolean)[0] ?? '';
      // Radicale parses an item the first time it is asked for and caches it; items uploaded by PUT are cached on
      // upload. One listing with calendar data now leaves the collection as an upload would have (without it, the
      // first listing of 10,000 items outlasts the connector's 30-second request timeout).
      // Parsing 10,000 items takes Radicale minutes on a busy machine: no header or body timeout for this one.
      const res = await undiciFetch(`${origin}${calendarPath}`, {
        // Unpaused too: this answer (10,000 members) is exactly the kind undici 7 crashes on when Radicale closes.
        dispatcher: new Agent({ headersTimeout: 0, bodyTimeout: 0 }).compose(unpausedResponses),
        method: 'REPORT',
        headers: { authorization: auth(owner), depth: '1', 'content-type': 'application/xml; charset=utf-8' },
        body: '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>',
      });
      await res.arrayBuffer();
    },
    async stop() {
      if (child.exitCode === null && child.pid) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
