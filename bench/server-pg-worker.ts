/**
 * A `crm-sync worker` process for the PostgreSQL part of the server benchmark (run from dist-bench by
 * bench/server.ts): the real `worker()` (queue loop, scheduler, janitor, heartbeat) with in-memory providers.
 */
import pino from 'pino';
import { loadConfig } from '../src/server/config';
import { worker } from '../src/server/serve';
import { memoryRegistry } from './server-bench-support';

async function main(): Promise<void> {
  await worker(loadConfig(), {
    registry: memoryRegistry(),
    logger: pino({ level: 'silent' }),
    runOptions: { waitPollMs: 20 },
  });
  process.stdout.write('ready\n');
}

void main();
