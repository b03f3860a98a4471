/**
 * A `crm-sync worker` (or `crm-sync serve`, with CHILD_MODE=serve) process for the PostgreSQL tests: the real
 * `worker()` / `serve()` of src/server/serve.ts (runtime, pg-boss queue, scheduler, janitor, heartbeat, signals),
 * with in-memory providers, and the real engine wrapped to log when each run starts and ends (and to take a while
 * once it has recorded the run as running).
 */
import pino from 'pino';
import { sql } from 'kysely';
import { loadConfig } from '../../../src/server/config';
import type { EngineApi } from '../../../src/server/runs/engine-api';
import { engine } from '../../../src/server/runs/engine';
import { serve, worker } from '../../../src/server/serve';
import { openDatabase } from '../../../src/server/store/database';
import { MemoryWorld } from './memory-connectors';
import { systemClock } from '../../../src/shared/clock';

async function main(): Promise<void> {
  const config = loadConfig();
  // The run log has its own connection so the runtime's pool is exactly the production one.
  const logDb = openDatabase(config.DATABASE_URL, { max: 2 });
  const holdMs = Number(process.env.HOLD_MS ?? '100');
  const log = (user: string, event: string) =>
    sql`insert into test_run_log (pid, user_email, event, at) values (${process.pid}, ${user}, ${event}, ${systemClock().toISOString()})`
      .execute(logDb.kysely)
      .catch(() => {});
  const logged: EngineApi = {
    ...engine,
    async runSync(ctx, opts) {
      await log(ctx.userEmail, 'start');
      // The hold comes once the engine recorded the run as running, as a slow provider would make it.
      const store = ctx.store;
      const saveRun = store.saveRun.bind(store);
      store.saveRun = async (report) => {
        await saveRun(report);
        if (report.status === 'running') await new Promise((r) => setTimeout(r, holdMs));
      };
      try {
        return await engine.runSync(ctx, opts);
      } finally {
        // Also after a failure (the database went away): a run that ends, ends here; one killed never logs it.
        await log(ctx.userEmail, 'end');
      }
    },
  };
  const overrides = {
    engine: logged,
    registry: new MemoryWorld(systemClock).registry(),
    logger: pino({ level: process.env.CHILD_LOG ?? 'silent' }),
    runOptions: { waitPollMs: 20 },
  };
  if (process.env.CHILD_MODE === 'serve') await serve(config, { withWorker: false, overrides });
  else await worker(config, overrides);
  process.stdout.write('ready\n');
}

void main().catch((e: unknown) => {
  process.stderr.write(`child failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
