/**
 * The connector's real server, in this process, exactly as `crm-sync serve` wires it: SQLite on a temp file,
 * AUTH_MODE=dev, the real provider registry and engine, in-process runs, listening on 127.0.0.1 with port 0,
 * serving the built pane.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../src/server/config';
import { buildApp } from '../../../src/server/http/app';
import { engine } from '../../../src/server/runs/engine';
import type { ProviderRegistry } from '../../../src/server/connections/connection-service';
import { createRuntime, type Runtime } from '../../../src/server/runtime';
import { startWorking } from '../../../src/server/serve';
import { openDatabase, type Db } from '../../../src/server/store/database';
import { migrateToLatest } from '../../../src/server/store/migrations';

export interface E2eServer {
  origin: string;
  db: Db;
  runtime: Runtime;
  app: FastifyInstance;
  /** A development token for `email` (as the dev sign-in page would get). */
  token(email: string, admin?: boolean): Promise<string>;
  /** Calls /api/v1 as `token`. */
  api<T = unknown>(token: string, method: string, urlPath: string, body?: unknown): Promise<T>;
  /** Calls any path of the server as `token` (e.g. the Sandbox CRM's /sandbox/v1). */
  request<T = unknown>(token: string, method: string, urlPath: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startServer(opts: {
  addinDir: string;
  allowedPrivateHosts?: string[];
  /** Default: the connector's own provider registry, as `crm-sync serve` uses it. */
  registry?: ProviderRegistry;
  /**
   * OAuth redirects need the server's public origin before it listens: a free port is chosen up front and
   * PUBLIC_URL set to it (otherwise port 0, and PUBLIC_URL unset).
   */
  fixedPort?: boolean;
  /** Settings that replace the defaults above (e.g. AUTH_MODE=entra with an Entra app). */
  env?: Record<string, string>;
}): Promise<E2eServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pane-e2e-'));
  const port = opts.fixedPort ? await freePort() : 0;
  const config = loadConfig({
    NODE_ENV: 'test',
    AUTH_MODE: 'dev',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: String(port),
    ...(port ? { PUBLIC_URL: `http://127.0.0.1:${port}` } : {}),
    DATABASE_URL: `sqlite:${path.join(dir, 'connector.db')}`,
    ADDIN_DIR: opts.addinDir,
    CONNECTOR_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
    ALLOWED_PRIVATE_HOSTS: (opts.allowedPrivateHosts ?? []).join(','),
    ...opts.env,
  });
  const db = openDatabase(config.DATABASE_URL);
  await migrateToLatest(db);
  const runtime = await createRuntime(config, db, { engine, ...(opts.registry ? { registry: opts.registry } : {}) });
  const app = await buildApp({ config, db, runtime });
  const working = await startWorking(runtime);
  const origin = await app.listen({ port, host: '127.0.0.1' });

  async function call<T>(token: string | null, method: string, urlPath: string, body?: unknown): Promise<T> {
    const res = await fetch(`${origin}${urlPath}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${urlPath}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  return {
    origin,
    db,
    runtime,
    app,
    async token(email, admin = false) {
      const r = await call<{ accessToken: string }>(null, 'POST', '/auth/dev/token', { email, admin });
      return r.accessToken;
    },
    api: (token, method, urlPath, body) => call(token, method, `/api/v1${urlPath}`, body),
    request: (token, method, urlPath, body) => call(token, method, urlPath, body),
    async close() {
      await app.close();
      await working.stop();
      await runtime.stop();
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
