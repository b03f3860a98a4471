/**
 * The engine's SPEC §10 property harness with the CalDAV provider on a real Radicale (small run count: every
 * scenario drives a dozen real runs; raise with ENGINE_PROPERTY_RUNS like the engine's own suite).
 */
import { caldavConnector } from '../../../src/providers/calendar/caldav/connector';
import type { Connection } from '../../../src/providers/connector';
import { describeEngineProperties } from '../../support/engine-properties';
import { startRadicale, type RadicaleServer } from '../../support/radicale';
import { caldavWorld } from './engine-world';
import { testEnv } from './env';

const user = 'alice@example.com';
let radicale: RadicaleServer;
let connection: Connection;

beforeAll(async () => {
  radicale = await startRadicale({ [user]: 'alice-app-password' });
  connection = await caldavConnector.connect!(
    { method: 'app-password', url: radicale.origin, fields: { username: user, password: 'alice-app-password' } },
    testEnv([radicale.hostPort]),
  );
}, 30_000);

afterAll(async () => {
  await radicale?.stop();
});

const scale = Number(process.env.ENGINE_PROPERTY_RUNS ?? '1');

describeEngineProperties({
  name: 'CalDAV on Radicale',
  numRuns: Math.max(1, Math.round(6 * scale)),
  maxSteps: 3,
  timeoutMs: 300_000,
  makeWorld: () => caldavWorld(radicale, connection, user)(),
});
