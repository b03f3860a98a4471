import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import client from 'prom-client';
import type { RunReport } from '../../shared/run-report';
import { systemClock, type Clock } from '../../shared/clock';
import { isProductionDeployment, type Config } from '../config';
import { HttpError } from '../errors';
import { heartbeatGraceFactor } from '../jobs/maintenance';
import type { Runtime } from '../runtime';
import type { Db } from '../store/database';
import { version } from '../version';

/** Runs looked at for /metrics' run, duration and provider-error series: those started in this window. */
const metricsWindowMs = 60 * 60_000;

/** Live workers: heartbeats newer than a few maintenance periods. */
async function workerLiveness(runtime: Runtime | undefined, config: Config, now: Date) {
  if (!runtime) return null;
  const beats = await runtime.workers.list();
  const grace = heartbeatGraceFactor * config.WORKER_MAINTENANCE_SECONDS * 1000;
  const alive = beats.filter((b) => now.getTime() - Date.parse(b.seenAt) <= grace);
  return { beats, alive };
}

/**
 * Operations endpoints (SPEC §11, issue 16): `/healthz` (liveness: the process answers and reaches its database;
 * it also reports the workers), `/readyz` (readiness: the database answers and, on PostgreSQL, at least one worker
 * is alive, so queued runs will be taken) and `/metrics` (Prometheus text).
 */
export function registerOperations(app: FastifyInstance, deps: { config: Config; db: Db; runtime?: Runtime }) {
  registerProbes(app, deps);
  if (deps.runtime) registerMetrics(app, deps.config, deps.db, deps.runtime);
}

/** `/healthz` and `/readyz`: the database answers; on PostgreSQL, a worker is alive. */
function registerProbes(app: FastifyInstance, deps: { config: Config; db: Db; runtime?: Runtime }) {
  const { config, db, runtime } = deps;
  const clock: Clock = runtime?.clock ?? systemClock;
  // Workers are separate processes on PostgreSQL; on SQLite the API process is its own worker.
  const needsWorkers = db.dialect === 'postgres';

  const probe = async () => {
    let database = true;
    try {
      await sql`select 1`.execute(db.kysely);
    } catch {
      database = false;
    }
    const live = database ? await workerLiveness(runtime, config, clock()).catch(() => null) : null;
    return {
      database,
      workers: live ? { alive: live.alive.length, known: live.beats.length } : null,
    };
  };

  app.get('/healthz', { config: { rateLimit: false } }, async (_req, reply) => {
    const p = await probe();
    const body = {
      status: p.database ? 'ok' : 'database unavailable',
      version,
      database: db.dialect,
      databaseReachable: p.database,
      workers: p.workers,
    };
    return reply.code(p.database ? 200 : 503).send(body);
  });

  app.get('/readyz', { config: { rateLimit: false } }, async (_req, reply) => {
    const p = await probe();
    const workersOk = !needsWorkers || !runtime || (p.workers?.alive ?? 0) > 0;
    const ready = p.database && workersOk;
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : !p.database ? 'database unavailable' : 'no live worker',
      version,
      database: db.dialect,
      workers: p.workers,
    });
  });
}

/** The Prometheus series of /metrics, registered in `registry`. */
function createMetrics(registry: client.Registry) {
  // Every gauge lives in this process's registry; only its name, help and labels differ.
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new client.Gauge({ name, help, labelNames, registers: [registry] });
  const runs = gauge('crm_sync_runs', 'Runs started in the last hour, by status and trigger (from the run history)', [
    'status',
    'trigger',
  ]);
  const running = gauge('crm_sync_runs_running', 'Runs recorded as running now (any age)');
  const providerErrors = gauge(
    'crm_sync_provider_errors',
    'Errors reported by runs started in the last hour, by provider and kind',
    ['provider', 'side', 'kind'],
  );
  const durations = new client.Histogram({
    name: 'crm_sync_run_duration_seconds',
    help: 'Duration of runs finished in the last hour (recomputed from the run history on each scrape)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    registers: [registry],
  });
  const queueDepth = gauge('crm_sync_queue_depth', 'Runs waiting in the queue');
  const queueActive = gauge('crm_sync_queue_active', 'Queued runs taken by a worker and not finished');
  const queueOldest = gauge('crm_sync_queue_oldest_age_seconds', 'Age of the oldest waiting run (0 when none waits)');
  const workersAlive = gauge('crm_sync_workers_alive', 'Worker processes whose heartbeat is fresh');
  const heartbeatAge = gauge(
    'crm_sync_worker_heartbeat_age_seconds',
    'Seconds since each known worker last wrote its heartbeat',
    ['worker', 'host'],
  );
  const workerRuns = gauge('crm_sync_worker_active_runs', 'Runs each worker was running at its last heartbeat', [
    'worker',
    'host',
  ]);
  const pool = gauge(
    'crm_sync_db_pool_connections',
    'PostgreSQL pool connections of this process, by state (total, idle, waiting requests)',
    ['state'],
  );
  const poolErrors = gauge(
    'crm_sync_db_connection_errors',
    'Connections this process lost since it started (database restart, failover)',
  );
  const up = gauge('crm_sync_database_up', '1 when the database answered this scrape');
  return {
    runs,
    running,
    providerErrors,
    durations,
    queueDepth,
    queueActive,
    queueOldest,
    workersAlive,
    heartbeatAge,
    workerRuns,
    pool,
    poolErrors,
    up,
  };
}

/** Recomputes every series from the database, the queue and the heartbeats (one scrape). */
async function collectMetrics(m: ReturnType<typeof createMetrics>, config: Config, db: Db, runtime: Runtime) {
  const {
    runs,
    running,
    providerErrors,
    durations,
    queueDepth,
    queueActive,
    queueOldest,
    workersAlive,
    heartbeatAge,
    workerRuns,
    pool,
    poolErrors,
    up,
  } = m;
  const clock = runtime.clock;
  const now = clock();
  for (const g of [runs, providerErrors, heartbeatAge, workerRuns, pool]) g.reset();
  durations.reset();
  const state = db.poolState?.();
  if (state) {
    pool.set({ state: 'total' }, state.total);
    pool.set({ state: 'idle' }, state.idle);
    pool.set({ state: 'waiting' }, state.waiting);
    poolErrors.set(state.errors);
  }
  try {
    await sql`select 1`.execute(db.kysely);
    up.set(1);
  } catch {
    up.set(0);
    return;
  }
  const since = new Date(now.getTime() - metricsWindowMs).toISOString();
  const recent = await db.kysely
    .selectFrom('status_runs')
    .select(['user_id', 'status', 'data'])
    .where('started_at', '>=', since)
    .limit(50_000)
    .execute();
  const providers = new Map<string, string>();
  for (const c of await db.kysely.selectFrom('connections').select(['user_id', 'side', 'provider']).execute()) {
    providers.set(`${c.user_id}:${c.side}`, c.provider);
  }
  for (const r of recent) {
    const report = JSON.parse(r.data) as RunReport;
    runs.inc({ status: r.status, trigger: report.trigger });
    if (report.finishedAt) {
      const seconds = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000;
      if (Number.isFinite(seconds) && seconds >= 0) durations.observe(seconds);
    }
    for (const e of report.errors) {
      const provider = e.side === 'connector' ? 'connector' : (providers.get(`${r.user_id}:${e.side}`) ?? 'unknown');
      providerErrors.inc({ provider, side: e.side, kind: e.kind });
    }
  }
  const runningRow = await db.kysely
    .selectFrom('status_runs')
    .select(sql<number>`count(*)`.as('n'))
    .where('status', '=', 'running')
    .executeTakeFirst();
  running.set(Number(runningRow?.n ?? 0));
  const q = await runtime.queue.stats(now).catch(() => null);
  if (q) {
    queueDepth.set(q.depth);
    queueActive.set(q.active);
    queueOldest.set(q.oldestAgeSeconds);
  }
  const live = await workerLiveness(runtime, config, now);
  if (live) {
    workersAlive.set(live.alive.length);
    for (const b of live.beats) {
      const labels = { worker: b.id, host: b.host };
      heartbeatAge.set(labels, Math.max(0, (now.getTime() - Date.parse(b.seenAt)) / 1000));
      workerRuns.set(labels, b.activeRuns);
    }
  }
}

/**
 * Whether an Authorization header carries the metrics token: `Bearer <token>`, compared in constant time (digests of
 * both, so neither the length nor a prefix of the token shows in the time the answer takes).
 */
export function metricsTokenMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1] ?? '';
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(token).digest();
  return crypto.timingSafeEqual(a, b) && given.length > 0;
}

/**
 * `/metrics` (Prometheus text). With METRICS_TOKEN it needs `Authorization: Bearer <token>` (401 otherwise). Without
 * one it is open on the embedded default, and off (404) in a production deployment: run, queue and worker figures
 * of every tenant are not for whoever reaches the port (docs/server.md, "Operations").
 */
function registerMetrics(app: FastifyInstance, config: Config, db: Db, runtime: Runtime) {
  const token = config.METRICS_TOKEN;
  if (!token && isProductionDeployment(config)) {
    app.log.warn('GET /metrics is off: set METRICS_TOKEN to scrape it (production deployments need a token)');
    app.get('/metrics', { config: { rateLimit: false } }, async () => {
      throw new HttpError(404, 'not-found', 'metrics are off: set METRICS_TOKEN on the server to scrape them');
    });
    return;
  }
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'crm_sync_process_' });
  const metrics = createMetrics(registry);
  app.get('/metrics', { config: { rateLimit: false } }, async (req, reply) => {
    if (token && !metricsTokenMatches(req.headers.authorization, token)) {
      void reply.header('www-authenticate', 'Bearer realm="crm-sync metrics"');
      throw new HttpError(401, 'unauthorized', 'metrics need the metrics token (Authorization: Bearer <token>)');
    }
    await collectMetrics(metrics, config, db, runtime);
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
