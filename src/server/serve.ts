import type { Config } from './config';
import { openDatabase } from './store/database';
import { migrateToLatest } from './store/migrations';
import { buildApp } from './http/app';
import { engine } from './runs/engine';
import { createRuntime, type Runtime } from './runtime';
import { Scheduler } from './jobs/scheduler';
import { handleRunJob } from './jobs/worker';

/** Consumes queued runs and schedules automatic ones, in this process. */
export async function startWorking(runtime: Runtime): Promise<Scheduler> {
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
  return scheduler;
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

/**
 * `crm-sync serve`: migrates, then serves the API and the pane. On SQLite (embedded default) it also runs the
 * in-process scheduler and runs; on PostgreSQL that is the job of `crm-sync worker` unless `withWorker`.
 */
export async function serve(config: Config, options: { withWorker?: boolean } = {}): Promise<void> {
  const db = openDatabase(config.DATABASE_URL);
  await migrateToLatest(db);
  const runtime = await createRuntime(config, db, { engine });
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

/** `crm-sync worker`: takes queued runs and schedules automatic ones; run as many as you like on PostgreSQL. */
export async function worker(config: Config): Promise<void> {
  const db = openDatabase(config.DATABASE_URL);
  await migrateToLatest(db);
  const runtime = await createRuntime(config, db, {
    engine,
    verifier: { verify: () => Promise.reject(new Error('workers serve no API')) },
  });
  const scheduler = await startWorking(runtime);
  process.stdout.write(`crm-sync worker ${runtime.runs.owner} started (${db.dialect}, ${runtime.queue.kind} queue)\n`);
  onSignal(async () => {
    await scheduler.stop();
    await runtime.stop();
    await db.close();
  });
}
