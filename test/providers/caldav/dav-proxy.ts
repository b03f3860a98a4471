/**
 * A proxy in front of a real CalDAV server that answers some things the way other servers do (for answers neither
 * Radicale nor Xandikos gives): requests and answers pass through, rewritten by the hooks.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DavProxyHooks {
  /** The request body to forward (e.g. a sync token replaced). */
  request?(method: string, body: string): string;
  /** The answer body to return (e.g. members left out). */
  response?(method: string, requestBody: string, body: string): string;
}

export interface DavProxy {
  origin: string;
  host: string;
  close(): Promise<void>;
}

export async function startDavProxy(upstreamOrigin: string, hooks: DavProxyHooks): Promise<DavProxy> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const original = Buffer.concat(chunks).toString();
      const body = hooks.request ? hooks.request(method, original) : original;
      const headers = { ...req.headers, 'accept-encoding': 'identity' };
      delete headers['content-length'];
      const up = http.request(`${upstreamOrigin}${req.url ?? '/'}`, { method, headers }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          const text = Buffer.concat(parts).toString();
          const out = hooks.response ? hooks.response(method, body, text) : text;
          const h = { ...answer.headers };
          delete h['content-length'];
          delete h['transfer-encoding'];
          res.writeHead(answer.statusCode ?? 502, { ...h, 'content-length': Buffer.byteLength(out) });
          res.end(out);
        });
      });
      up.on('error', () => res.writeHead(502).end());
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Multistatus answers without the members the server reported as 404 (as servers that leave them out do). */
export function withoutNotFound(xml: string): string {
  return xml.replace(/<(\w+:)?response\b[^>]*>[\s\S]*?<\/\1response>/g, (m) =>
    !/<(\w+:)?propstat\b/.test(m) && /<(\w+:)?status>[^<]*\b404\b/.test(m) ? '' : m,
  );
}
