import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../../src/server/config';
import { buildApp } from '../../../src/server/http/app';
import { handleRunJob } from '../../../src/server/jobs/worker';
import { engine } from '../../../src/server/runs/engine';
import { createRuntime, type Runtime } from '../../../src/server/runtime';
import { openDatabase, type Db } from '../../../src/server/store/database';
import { migrateToLatest } from '../../../src/server/store/migrations';
import { TestIdentityProvider } from './identity-provider';
import { MemoryWorld } from './memory-connectors';
import pino from 'pino';
import { systemClock } from '../../../src/shared/clock';

export interface Harness {
  dir: string;
  db: Db;
  config: Config;
  runtime: Runtime;
  app: FastifyInstance;
  idp: TestIdentityProvider;
  world: MemoryWorld;
  close(): Promise<void>;
}

/**
 * The whole server on a temp SQLite file with a loopback identity provider and in-memory providers (or, with
 * `shippedRegistry`, the providers the product ships: Sandbox CRM, CalDAV, Graph, Google, the CRMs).
 */
export async function startHarness(
  env: Record<string, string> = {},
  o: { shippedRegistry?: boolean } = {},
): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'server-api-'));
  const idp = await TestIdentityProvider.start();
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATABASE_URL: `sqlite:${path.join(dir, 'connector.db')}`,
    ADDIN_DIR: path.join(dir, 'addin'),
    ENTRA_CLIENT_ID: 'client-1',
    ENTRA_AUTHORITY_HOST: idp.origin,
    CONNECTOR_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
    PUBLIC_URL: 'https://connector.example.test',
    ...env,
  });
  const db = openDatabase(config.DATABASE_URL);
  await migrateToLatest(db);
  // The server under test lives on the wall clock, as in production; its tests take dates from runtime.clock,
  // and CI's time-travel run moves that clock to other days.
  const world = new MemoryWorld(systemClock);
  const runtime = await createRuntime(config, db, {
    engine,
    clock: systemClock,
    ...(o.shippedRegistry ? {} : { registry: world.registry() }),
    logger: pino({ level: 'silent' }),
    runOptions: { waitPollMs: 10, leaseTtlMs: 30_000 },
  });
  await runtime.queue.work((job) => handleRunJob(runtime, job));
  const app = await buildApp({ config, db, runtime });
  return {
    dir,
    db,
    config,
    runtime,
    app,
    idp,
    world,
    async close() {
      await runtime.stop();
      await app.close();
      await db.close();
      await idp.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
