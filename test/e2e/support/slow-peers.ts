/**
 * Servers that do not answer, for the slow states (issue 17): a black hole (accepts the connection, reads, never
 * answers: a firewall that drops nothing, a hung server) and a proxy in front of a real CalDAV server that holds
 * every request while `hold` is on and lets them through when released. Both listen on 127.0.0.1 with a free port.
 */
import http from 'node:http';
import net from 'node:net';

export interface BlackHole {
  host: string;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    accepted: () => accepted,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

export interface HoldingProxy {
  origin: string;
  host: string;
  /** From now on, requests wait (no answer) until `release()`. */
  hold(): void;
  /** Requests held so far go on to the server, and new ones pass at once. */
  release(): void;
  /** Requests waiting right now. */
  waiting(): number;
  close(): Promise<void>;
}

export async function startHoldingProxy(targetOrigin: string): Promise<HoldingProxy> {
  const target = new URL(targetOrigin);
  let holding = false;
  const held: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    const forward = () => {
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };
    if (holding) {
      req.pause();
      held.push(() => {
        req.resume();
        forward();
      });
    } else forward();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const go of held.splice(0)) go();
    },
    waiting: () => held.length,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
