import type { Logger } from 'pino';
import type { Config } from './config';
import { openDatabase, type Db } from './store/database';
import { migrateToLatest } from './store/migrations';
import { buildApp } from './http/app';
import { engine } from './runs/engine';
import { createLogger } from './log';
import { createRuntime, type Runtime, type RuntimeOverrides } from './runtime';
import { RunJanitor } from './jobs/janitor';
import { WorkerMaintenance } from './jobs/maintenance';
import { Scheduler } from './jobs/scheduler';
import { handleRunJob } from './jobs/worker';

export interface Working {
  scheduler: Scheduler;
  maintenance: WorkerMaintenance;
  stop(): Promise<void>;
}

/**
 * Consumes queued runs and schedules automatic ones, in this process; writes the worker heartbeat and sweeps for
 * runs whose worker died (the janitor).
 */
export async function startWorking(runtime: Runtime): Promise<Working> {
  const now = runtime.clock;
  await runtime.queue.work((job) => handleRunJob(runtime, job));
  const scheduler = new Scheduler(
    {
      syncState: runtime.syncState,
      users: runtime.users,
      connections: runtime.connections,
      settings: runtime.userSettings,
      queue: runtime.queue,
      logger: runtime.logger,
    },
    { now: runtime.clock },
  );
  scheduler.start();
  const janitor = new RunJanitor({
    db: runtime.db,
    syncState: runtime.syncState,
    queue: runtime.queue,
    logger: runtime.logger,
    now,
    leaseTtlMs: runtime.config.RUN_LEASE_SECONDS * 1000,
  });
  const maintenance = new WorkerMaintenance(
    runtime.runs.owner,
    { workers: runtime.workers, janitor, activeRuns: () => runtime.runs.activeRuns, logger: runtime.logger },
    { everyMs: runtime.config.WORKER_MAINTENANCE_SECONDS * 1000, now },
  );
  maintenance.start();
  return {
    scheduler,
    maintenance,
    async stop() {
      await scheduler.stop();
      await maintenance.stop();
    },
  };
}

/** Stops on SIGINT/SIGTERM: no new runs, running ones finish their current write and commit, then exit. */
function onSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    void stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

/** The store, with connection errors (a restart, a failover) logged instead of ending the process. */
function open(config: Config, logger: Logger): Db {
  return openDatabase(config.DATABASE_URL, {
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS === 'on',
    onConnectionError: (err) => logger.warn({ err: err.message }, 'database connection lost (reconnecting)'),
  });
}

/** Migrations wait for the database (a container starting with it): a few tries, then the error. */
async function migrateWhenReachable(db: Db, logger: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrateToLatest(db);
      return;
    } catch (e) {
      if (attempt >= 10) throw e;
      logger.warn({ err: e instanceof Error ? e.message : String(e), attempt }, 'database not ready; retrying');
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

/**
 * `crm-sync serve`: migrates, then serves the API and the pane. On SQLite (embedded default) it also runs the
 * in-process scheduler and runs; on PostgreSQL that is the job of `crm-sync worker` unless `withWorker`.
 */
export async function serve(
  config: Config,
  options: { withWorker?: boolean; overrides?: Partial<RuntimeOverrides> } = {},
): Promise<void> {
  const logger = options.overrides?.logger ?? createLogger(config.LOG_LEVEL);
  const db = open(config, logger);
  await migrateWhenReachable(db, logger);
  const runtime = await createRuntime(config, db, { engine, logger, ...options.overrides });
  const app = await buildApp({ config, db, runtime });
  const working = db.dialect === 'sqlite' || options.withWorker ? await startWorking(runtime) : null;
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  process.stdout.write(`CRM Calendar Connector listening on ${address} (pane: ${address}/taskpane.html)\n`);
  if (runtime.devIssuer) process.stdout.write(`Development sign-in: ${address}/auth/dev/sign-in\n`);
  onSignal(async () => {
    await app.close();
    await working?.stop();
    await runtime.stop();
    await db.close();
  });
}

/**
 * `crm-sync worker`: takes queued runs and schedules automatic ones; run as many as you like on PostgreSQL.
 * `overrides` lets the chaos tests run this same function with in-memory providers.
 */
export async function worker(config: Config, overrides: Partial<RuntimeOverrides> = {}): Promise<Runtime> {
  const logger = overrides.logger ?? createLogger(config.LOG_LEVEL);
  const db = open(config, logger);
  await migrateWhenReachable(db, logger);
  const runtime = await createRuntime(config, db, {
    engine,
    logger,
    verifier: { verify: () => Promise.reject(new Error('workers serve no API')) },
    ...overrides,
  });
  const working = await startWorking(runtime);
  process.stdout.write(`crm-sync worker ${runtime.runs.owner} started (${db.dialect}, ${runtime.queue.kind} queue)\n`);
  onSignal(async () => {
    await working.stop();
    await runtime.stop();
    await db.close();
  });
  return runtime;
}
