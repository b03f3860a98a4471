import type { Logger } from 'pino';
import { calendarConnectors, crmConnectors } from '../providers/registry';
import { createSandboxConnector, type SandboxRepositoryFactory } from '../providers/crm/sandbox';
import { kyselySandboxRepositories } from './sandbox/repository';
import type { Config } from './config';
import { createEntraVerifier } from './auth/entra-verifier';
import { DevIssuer } from './auth/dev-issuer';
import type { TokenVerifier } from './auth/principal';
import { ConnectionService, type ProviderRegistry } from './connections/connection-service';
import { createProviderEnv, publicOrigin } from './connections/provider-env';
import { InProcessQueue } from './jobs/in-process-queue';
import { PgBossQueue } from './jobs/pg-boss-queue';
import type { RunQueue } from './jobs/queue';
import { createLogger } from './log';
import type { EngineApi } from './runs/engine-api';
import { RunService, type RunServiceOptions } from './runs/run-service';
import { UserSettingsService } from './runs/user-settings';
import { AuditRepository } from './store/audit';
import { ConnectionRepository } from './store/connections';
import type { Db } from './store/database';
import { SettingsRepository } from './store/settings';
import { SyncStateRepository } from './store/sync-state';
import { UserRepository } from './store/users';
import { loadKeyring } from './vault/keyring';
import { Vault } from './vault/vault';
import { GraphTokenService } from './auth/graph-tokens';
import { SubscriptionService } from './jobs/subscriptions';
import { systemClock, type Clock } from '../shared/clock';

/** Everything the API, the scheduler and the CLI share: one per process. */
export interface Runtime {
  config: Config;
  /** The process's one clock (src/shared/clock.ts): every store, job, handler and engine run reads it. */
  clock: Clock;
  db: Db;
  logger: Logger;
  vault: Vault;
  users: UserRepository;
  connections: ConnectionRepository;
  settings: SettingsRepository;
  audit: AuditRepository;
  syncState: SyncStateRepository;
  connectionService: ConnectionService;
  userSettings: UserSettingsService;
  runs: RunService;
  queue: RunQueue;
  engine: EngineApi;
  verifier: TokenVerifier;
  devIssuer: DevIssuer | null;
  graphTokens: GraphTokenService | null;
  subscriptions: SubscriptionService;
  /** The built-in Sandbox CRM's storage, per tenant and user (its REST API and CLI use it too). */
  sandboxRepos: SandboxRepositoryFactory;
  /** Stops the queue and waits for running runs (graceful shutdown); does not close the database. */
  stop(): Promise<void>;
}

export interface RuntimeOverrides {
  engine: EngineApi;
  registry?: ProviderRegistry;
  verifier?: TokenVerifier;
  queue?: RunQueue;
  logger?: Logger;
  vault?: Vault;
  runOptions?: RunServiceOptions;
  /** Tests set the date the whole server lives at; otherwise the wall clock. */
  clock?: Clock;
}

export async function createRuntime(config: Config, db: Db, o: RuntimeOverrides): Promise<Runtime> {
  const clock = o.clock ?? systemClock;
  const logger = o.logger ?? createLogger(config.LOG_LEVEL);
  const vault = o.vault ?? new Vault(loadKeyring(config));
  const users = new UserRepository(db.kysely, clock);
  const connections = new ConnectionRepository(db.kysely, vault, clock);
  const settings = new SettingsRepository(db.kysely, clock);
  const audit = new AuditRepository(db.kysely, clock);
  const syncState = new SyncStateRepository(db.kysely);
  const sandboxRepos = kyselySandboxRepositories(db.kysely, clock);
  const graphTokens =
    config.AUTH_MODE === 'entra' && config.ENTRA_CLIENT_ID && config.ENTRA_CLIENT_SECRET
      ? new GraphTokenService(config, db, vault, clock)
      : null;
  const connectionService = new ConnectionService({
    db: db.kysely,
    vault,
    connections,
    registry: o.registry ?? {
      calendar: calendarConnectors,
      crm: [createSandboxConnector(sandboxRepos), ...crmConnectors],
    },
    env: createProviderEnv(config, clock),
    ...(graphTokens
      ? {
          entraToken: async (tenantId: string, userId: string) => {
            const user = await users.get(tenantId, userId);
            if (!user) throw new Error('user not found');
            return graphTokens.tokenFor(user);
          },
        }
      : {}),
  });
  const userSettings = new UserSettingsService(users, settings);
  const runs = new RunService(
    { db, users, connections, connectionService, settings: userSettings, syncState, engine: o.engine, logger },
    { ...o.runOptions, now: o.runOptions?.now ?? clock },
  );
  const queue = o.queue ?? (db.dialect === 'postgres' ? new PgBossQueue(dbUrl(config)) : new InProcessQueue());

  const subscriptions = new SubscriptionService({
    db,
    vault,
    connections: connectionService,
    queue,
    syncState,
    publicUrl: config.PUBLIC_URL,
    logger,
    clock,
  });

  let devIssuer: DevIssuer | null = null;
  let verifier = o.verifier;
  if (!verifier) {
    if (config.AUTH_MODE === 'dev') {
      devIssuer = await DevIssuer.create(publicOrigin(config), clock);
      verifier = devIssuer;
    } else {
      if (!config.ENTRA_CLIENT_ID) throw new Error('ENTRA_CLIENT_ID is required when AUTH_MODE=entra');
      verifier = createEntraVerifier({
        authorityHost: config.ENTRA_AUTHORITY_HOST,
        clientId: config.ENTRA_CLIENT_ID,
        ...(config.ENTRA_TENANT_ID ? { tenantId: config.ENTRA_TENANT_ID } : {}),
        ...(config.ENTRA_AUDIENCE ? { audiences: config.ENTRA_AUDIENCE.split(',').map((a) => a.trim()) } : {}),
        requiredScope: config.ENTRA_SCOPE,
        adminRole: config.ENTRA_ADMIN_ROLE,
        clock,
      });
    }
  }

  return {
    config,
    clock,
    db,
    logger,
    vault,
    users,
    connections,
    settings,
    audit,
    syncState,
    connectionService,
    userSettings,
    runs,
    queue,
    engine: o.engine,
    verifier,
    devIssuer,
    graphTokens,
    subscriptions,
    sandboxRepos,
    async stop() {
      await queue.stop();
      await runs.stop();
    },
  };
}

function dbUrl(config: Config): string {
  return config.DATABASE_URL;
}
