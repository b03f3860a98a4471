/**
 * undici 7's HTTP/1 parser asserts that it is not paused when the socket ends (nodejs/undici#5360, fixed in undici 8):
 * a response body left under backpressure when the peer sends FIN right after it threw an uncatchable AssertionError
 * from the socket's `end` handler and took the whole process down. Radicale closes every connection after its answer,
 * so a large multiget answer at the wrong moment was enough. The safe fetch must read such answers whole, however late
 * the caller reads the body.
 *
 * The client runs in a child process: without the guard the crash is uncatchable and would take the Jest worker
 * with it; here it shows as the child's exit code and stderr.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

const root = path.resolve(__dirname, '../../..');

interface ClosingPeer {
  origin: string;
  host: string;
  connections: () => number;
  /** Length of the decoded body. */
  length: number;
  close(): Promise<void>;
}

/**
 * Answers every request as Radicale's WSGI server does: HTTP/1.0, the body gzipped when the client accepts it,
 * `Connection: close`, and the socket ended at once (FIN right after the body).
 */
async function closingPeer(size: number): Promise<ClosingPeer> {
  const xml = Array.from(
    { length: Math.ceil(size / 120) },
    (_, i) =>
      `<response><href>/alice/crm/${i}.ics</href><getetag>"${(i * 2654435761) % 4294967296}"</getetag></response>`,
  ).join('');
  const body = gzipSync(Buffer.from(xml));
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    connections++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    sock.once('data', () => {
      sock.write(
        `HTTP/1.0 207 Multi-Status\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Encoding: gzip\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      );
      sock.write(body);
      sock.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    connections: () => connections,
    length: xml.length,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Runs a TypeScript snippet in a fresh Node process (SWC strips the types, as in Jest). */
function runChild(source: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', path.join(root, 'test/support/swc-register.cjs'), '-e', source], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

// Every other body is read only after a pause (as a busy event loop does); the others at once, as DavClient does.
const client = `
const { createSafeFetch } = require('./src/providers/http');
(async () => {
  const fetch = createSafeFetch({ allowedPrivateHosts: [process.env.PEER_HOST] });
  let bytes = 0;
  for (let i = 0; i < Number(process.env.ROUNDS); i++) {
    const res = await fetch(process.env.PEER + '/cal/', { method: 'REPORT', body: '<x/>' });
    if (i % 2) await new Promise((r) => setTimeout(r, 30));
    bytes += (await res.text()).length;
  }
  console.log('read ' + bytes);
})().catch((e) => { console.log('rejected ' + e.message); process.exitCode = 3; });
`;

let peer: ClosingPeer;
beforeAll(async () => {
  peer = await closingPeer(4 * 1024 * 1024);
});
afterAll(async () => {
  await peer?.close();
});

it('survives large answers whose peer closes the connection at once, read at once or late', async () => {
  const rounds = 5;
  const { code, out } = await runChild(client, { PEER: peer.origin, PEER_HOST: peer.host, ROUNDS: String(rounds) });
  expect(out).not.toContain('AssertionError');
  expect(out.trim()).toBe(`read ${rounds * peer.length}`);
  expect(code).toBe(0);
  expect(peer.connections()).toBe(rounds);
}, 60_000);
