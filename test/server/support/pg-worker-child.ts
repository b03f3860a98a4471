/**
 * A `crm-sync worker` (or `crm-sync serve`, with CHILD_MODE=serve) process for the PostgreSQL tests: the real
 * `worker()` / `serve()` of src/server/serve.ts (runtime, pg-boss queue, scheduler, janitor, heartbeat, signals),
 * with in-memory providers, and the real engine wrapped to log when each run starts and ends (and to take a while
 * once it has recorded the run as running).
 *
 * CHILD_PROVIDERS=shipped (the chaos test) uses the providers the product ships instead (Sandbox CRM, CalDAV…), with
 * every provider request bounded by CHILD_HTTP_TIMEOUT_MS (a hung answer ends in seconds, not the 30 s default),
 * and, while the file CHILD_FAULTS_FLAG exists, random CRM faults seeded by CHILD_FAULT_SEED at CHILD_FAULT_RATE.
 */
import fs from 'node:fs';
import pino from 'pino';
import { sql } from 'kysely';
import { loadConfig } from '../../../src/server/config';
import type { EngineApi } from '../../../src/server/runs/engine-api';
import { engine } from '../../../src/server/runs/engine';
import { serve, worker } from '../../../src/server/serve';
import { openDatabase } from '../../../src/server/store/database';
import { MemoryWorld } from './memory-connectors';
import { systemClock } from '../../../src/shared/clock';
import type { CalendarConnector, ProviderEnv } from '../../../src/providers/connector';
import { calendarConnectors, crmConnectors } from '../../../src/providers/registry';
import { createSandboxConnector } from '../../../src/providers/crm/sandbox';
import type { ProviderRegistry } from '../../../src/server/connections/connection-service';
import { kyselySandboxRepositories } from '../../../src/server/sandbox/repository';
import { seededRandom } from '../../support/seeded-random';
import { randomCrmFaults } from './random-crm-faults';

/** The shipped registry, every provider request bounded by `timeoutMs`. */
function shippedRegistry(sandboxDb: ReturnType<typeof openDatabase>, timeoutMs: number): ProviderRegistry {
  const bounded = (env: ProviderEnv): ProviderEnv => ({
    ...env,
    safeFetch: (input, init) =>
      env.safeFetch(input, { ...init, timeoutMs: Math.min(init?.timeoutMs ?? timeoutMs, timeoutMs) }),
  });
  const calendar = calendarConnectors.map((c): CalendarConnector => ({
    ...c,
    ...(c.connect ? { connect: (input, env) => c.connect!(input, bounded(env)) } : {}),
    open: (conn, env, hooks) => c.open(conn, bounded(env), hooks),
  }));
  return {
    calendar,
    crm: [createSandboxConnector(kyselySandboxRepositories(sandboxDb.kysely, systemClock)), ...crmConnectors],
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  // The run log has its own connection so the runtime's pool is exactly the production one.
  const logDb = openDatabase(config.DATABASE_URL, { max: 2 });
  const holdMs = Number(process.env.HOLD_MS ?? '100');
  // The chaos test's log is kept through a database restart (retried for up to a minute): a lost "end" would read
  // as an overlap. The recovery test keeps its log best-effort, so a run's timing around the restart stays as it was.
  const tries = process.env.CHILD_PROVIDERS === 'shipped' ? 120 : 1;
  const log = async (user: string, event: string) => {
    const at = systemClock().toISOString();
    for (let attempt = 0; attempt < tries; attempt++) {
      try {
        await sql`insert into test_run_log (pid, user_email, event, at) values (${process.pid}, ${user}, ${event}, ${at})`.execute(
          logDb.kysely,
        );
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const shipped = process.env.CHILD_PROVIDERS === 'shipped';
  const flag = process.env.CHILD_FAULTS_FLAG;
  const random = seededRandom(Number(process.env.CHILD_FAULT_SEED ?? '1'));
  const faultRate = Number(process.env.CHILD_FAULT_RATE ?? '0');
  const logged: EngineApi = {
    ...engine,
    async runSync(ctx, opts) {
      await log(ctx.userEmail, 'start');
      if (flag && faultRate > 0)
        ctx.crm = randomCrmFaults(ctx.crm, random, {
          rate: faultRate,
          enabled: () => fs.existsSync(flag),
          onFault: (kind) => void log(ctx.userEmail, `crm-fault:${kind}`),
        });
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
    registry: shipped
      ? shippedRegistry(
          openDatabase(config.DATABASE_URL, { max: 4 }),
          Number(process.env.CHILD_HTTP_TIMEOUT_MS ?? '30000'),
        )
      : new MemoryWorld(systemClock).registry(),
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
