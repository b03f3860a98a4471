/**
 * A `crm-sync worker`-like process for the overlap test: real runtime, pg-boss queue and run lease on
 * PostgreSQL; the engine is the real one, wrapped to log when each run starts and ends (and to take a while).
 */
import pino from 'pino';
import { loadConfig } from '../../../src/server/config';
import { handleRunJob } from '../../../src/server/jobs/worker';
import type { EngineApi } from '../../../src/server/runs/engine-api';
import { engine } from '../../../src/server/runs/engine';
import { createRuntime } from '../../../src/server/runtime';
import { openDatabase } from '../../../src/server/store/database';
import { MemoryWorld } from './memory-connectors';
import { sql } from 'kysely';
import { systemClock } from '../../../src/shared/clock';

async function main(): Promise<void> {
  const config = loadConfig();
  const db = openDatabase(config.DATABASE_URL);
  const holdMs = Number(process.env.HOLD_MS ?? '100');
  const logged: EngineApi = {
    ...engine,
    async runSync(ctx, opts) {
      const user = ctx.userEmail;
      await sql`insert into test_run_log (pid, user_email, event, at) values (${process.pid}, ${user}, 'start', ${systemClock().toISOString()})`.execute(
        db.kysely,
      );
      await new Promise((r) => setTimeout(r, holdMs));
      const report = await engine.runSync(ctx, opts);
      await sql`insert into test_run_log (pid, user_email, event, at) values (${process.pid}, ${user}, 'end', ${systemClock().toISOString()})`.execute(
        db.kysely,
      );
      return report;
    },
  };
  const runtime = await createRuntime(config, db, {
    engine: logged,
    registry: new MemoryWorld(systemClock).registry(),
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    verifier: { verify: () => Promise.reject(new Error('no API')) },
    runOptions: { waitPollMs: 20, leaseTtlMs: 10_000 },
  });
  await runtime.queue.work((job) => handleRunJob(runtime, job));
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    void runtime
      .stop()
      .then(() => db.close())
      .then(() => process.exit(0));
  });
}

void main();
