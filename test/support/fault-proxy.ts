/**
 * A fault-injecting HTTP proxy for chaos tests, put in front of a real server (Radicale): while `enabled`, each
 * request draws from a seeded PRNG whether it goes through or meets the next of the faults a provider shows in real life:
 * 429 with Retry-After, 503, a hung answer (the client's timeout fires), a connection reset before the server saw the
 * request, and the worst one for duplicates, the request applied by the server but its answer lost (a reset or a hang
 * after the upstream answered). It records every write request's body so a test can check what the connector sent.
 * Loopback only; `stop` closes every socket it holds.
 */
import http from 'node:http';
import type net from 'node:net';
import type { Random } from './seeded-random';

export const faultKinds = [
  'status-429',
  'status-503',
  'hang',
  'reset',
  'applied-then-reset',
  'applied-then-hang',
] as const;
export type FaultKind = (typeof faultKinds)[number];

export interface FaultProxy {
  origin: string;
  hostPort: string;
  /** Faults on (true) or a clean pass-through (false). */
  enabled: boolean;
  /** Probability that one request meets a fault while enabled. */
  rate: number;
  /** How many requests met each fault, and how many went through. */
  readonly counts: Record<FaultKind | 'passed', number>;
  /** Every PUT / POST / DELETE / PROPPATCH that reached the upstream: method, path, body. */
  readonly writes: { method: string; path: string; body: string }[];
  stop(): Promise<void>;
}

const writeMethods = new Set(['PUT', 'POST', 'DELETE', 'PROPPATCH', 'MOVE', 'COPY']);

export async function startFaultProxy(
  upstream: string,
  random: Random,
  o: { rate?: number; hangMs?: number } = {},
): Promise<FaultProxy> {
  const target = new URL(upstream);
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const hangMs = o.hangMs ?? 15_000;
  const counts = Object.fromEntries([...faultKinds, 'passed'].map((k) => [k, 0])) as FaultProxy['counts'];
  const writes: FaultProxy['writes'] = [];
  let turn = random.int(0, faultKinds.length - 1);

  /** Holds the request without answering (the client's own timeout ends it), then drops the socket. */
  const hang = (res: http.ServerResponse) => {
    const t = setTimeout(() => {
      timers.delete(t);
      res.socket?.destroy();
    }, hangMs);
    timers.add(t);
  };

  const forward = (req: http.IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const up = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host, connection: 'close' },
        },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(chunks) }));
          r.on('error', reject);
        },
      );
      up.on('error', reject);
      up.end(body);
    });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        // Whether a request meets a fault is random; which one takes turns, so every kind shows up in a short run.
        const kind: FaultKind | 'passed' =
          proxy.enabled && random.chance(proxy.rate) ? faultKinds[turn++ % faultKinds.length]! : 'passed';
        counts[kind] += 1;
        switch (kind) {
          case 'status-429':
            res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' }).end('Too Many Requests');
            return;
          case 'status-503':
            res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
            return;
          case 'hang':
            hang(res);
            return;
          case 'reset':
            req.socket.destroy();
            return;
        }
        let answer;
        try {
          if (req.method && writeMethods.has(req.method))
            writes.push({ method: req.method, path: req.url ?? '', body: body.toString('utf8') });
          answer = await forward(req, body);
        } catch {
          req.socket.destroy();
          return;
        }
        if (kind === 'applied-then-reset') {
          req.socket.destroy();
          return;
        }
        if (kind === 'applied-then-hang') {
          hang(res);
          return;
        }
        const headers = { ...answer.headers };
        delete headers['transfer-encoding'];
        delete headers.connection;
        headers['content-length'] = String(answer.body.length);
        res.writeHead(answer.status, headers).end(answer.body);
      })();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;

  const proxy: FaultProxy = {
    origin: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    enabled: false,
    rate: o.rate ?? 0.2,
    counts,
    writes,
    async stop() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return proxy;
}
