/** A worker process for the PostgreSQL part of the server benchmark (run from dist-bench by bench/server.ts). */
import pino from 'pino';
import { loadConfig } from '../src/server/config';
import { handleRunJob } from '../src/server/jobs/worker';
import { engine } from '../src/server/runs/engine';
import { createRuntime } from '../src/server/runtime';
import { openDatabase } from '../src/server/store/database';
import { memoryRegistry } from './server-bench-support';

async function main(): Promise<void> {
  const config = loadConfig();
  const db = openDatabase(config.DATABASE_URL);
  const runtime = await createRuntime(config, db, {
    engine,
    registry: memoryRegistry(),
    logger: pino({ level: 'silent' }),
    verifier: { verify: () => Promise.reject(new Error('no API')) },
    runOptions: { waitPollMs: 20 },
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
