/**
 * The engine's SPEC §10 property harness with the CalDAV provider on each real CalDAV server (Radicale, Xandikos);
 * small run count: every scenario drives a dozen real runs; raise with ENGINE_PROPERTY_RUNS like the engine's own suite.
 */
import { caldavConnector } from '../../../src/providers/calendar/caldav/connector';
import type { Connection } from '../../../src/providers/connector';
import { describeEngineProperties } from '../../support/engine-properties';
import { caldavServerKinds, startCalDavServer, type CalDavTestServer } from '../../support/caldav-server';
import { caldavWorld } from './engine-world';
import { testEnv } from './env';

const user = 'alice@example.com';
const scale = Number(process.env.ENGINE_PROPERTY_RUNS ?? '1');

describe.each(caldavServerKinds)('on %s', (kind) => {
  let server: CalDavTestServer;
  let connection: Connection;

  beforeAll(async () => {
    server = await startCalDavServer(kind, { [user]: 'alice-app-password' });
    connection = await caldavConnector.connect!(
      { method: 'app-password', url: server.origin, fields: { username: user, password: 'alice-app-password' } },
      testEnv([server.hostPort]),
    );
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  describeEngineProperties({
    name: `CalDAV on ${kind}`,
    numRuns: Math.max(1, Math.round(6 * scale)),
    maxSteps: 3,
    timeoutMs: 300_000,
    makeWorld: () => caldavWorld(server, connection, user)(),
  });
});
