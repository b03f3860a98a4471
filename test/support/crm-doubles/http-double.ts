/** Small helpers shared by the CRM test doubles: a loopback HTTP server with JSON bodies and injected failures. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DoubleRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON or form body, or the raw text. */
  body: unknown;
  rawBody: string;
}

export interface DoubleResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface InjectedFailure {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Only requests whose path contains this. */
  pathIncludes?: string;
}

/** One request and the answer the double gave, for contract tests (test/support/contract). */
export interface DoubleExchange {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON or form body, or the raw text. */
  requestBody: unknown;
  status: number;
  responseHeaders: Record<string, string>;
  responseBody: unknown;
  /** An injected failure (failNext), not the double's own answer. */
  injected: boolean;
}

export interface LoopbackDouble {
  url: string;
  host: string;
  requests: { method: string; path: string; query: string }[];
  /** Every request with its answer, in order (contract tests validate both against the vendor's description). */
  exchanges: DoubleExchange[];
  /** The next matching requests fail with these answers, in order (429 with Retry-After, 503…). */
  failNext(...failures: InjectedFailure[]): void;
  close(): Promise<void>;
}

export async function startDouble(
  handle: (req: DoubleRequest) => DoubleResponse | Promise<DoubleResponse>,
): Promise<LoopbackDouble> {
  const failures: InjectedFailure[] = [];
  const requests: LoopbackDouble['requests'] = [];
  const exchanges: DoubleExchange[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const rawBody = Buffer.concat(chunks).toString('utf8');
        requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search });
        const failureIndex = failures.findIndex((f) => !f.pathIncludes || url.pathname.includes(f.pathIncludes));
        let answer: DoubleResponse;
        const type = String(req.headers['content-type'] ?? '');
        let body: unknown = rawBody;
        try {
          if (type.includes('json') && rawBody) body = JSON.parse(rawBody);
          else if (type.includes('x-www-form-urlencoded')) body = Object.fromEntries(new URLSearchParams(rawBody));
        } catch {
          body = undefined;
        }
        if (failureIndex >= 0) {
          const [f] = failures.splice(failureIndex, 1);
          answer = { status: f!.status, headers: f!.headers ?? {}, body: f!.body ?? { error: 'injected' } };
        } else {
          try {
            answer = await handle({
              method: req.method ?? 'GET',
              path: url.pathname,
              query: url.searchParams,
              headers: req.headers,
              body,
              rawBody,
            });
          } catch (e) {
            answer = { status: 500, body: { error: e instanceof Error ? e.message : String(e) } };
          }
        }
        exchanges.push({
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          requestBody: body,
          status: answer.status,
          responseHeaders: { ...(answer.headers ?? {}) },
          responseBody: answer.body,
          injected: failureIndex >= 0,
        });
        const headers: Record<string, string> = { ...(answer.headers ?? {}) };
        let payload = '';
        if (answer.body !== undefined) {
          payload = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
          headers['content-type'] ??= typeof answer.body === 'string' ? 'text/plain' : 'application/json';
        }
        res.writeHead(answer.status, headers);
        res.end(payload);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    exchanges,
    failNext: (...f) => failures.push(...f),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
