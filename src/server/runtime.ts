import type { Logger } from 'pino';
import { connectorLoaders } from '../providers/loaders';
import { createSandboxConnector, type SandboxRepositoryFactory } from '../providers/crm/sandbox';
import { kyselySandboxRepositories } from './sandbox/repository';
import type { Config } from './config';
import type { DevIssuer } from './auth/dev-issuer';
import type { TokenVerifier } from './auth/principal';
import { ConnectionService, type ProviderRegistry } from './connections/connection-service';
import { createProviderEnv, publicOrigin } from './connections/provider-env';
import { InProcessQueue } from './jobs/in-process-queue';
import type { RunQueue } from './jobs/queue';
import { createLogger } from './log';
import type { EngineApi } from './runs/engine-api';
import { engine as syncEngine } from './runs/engine';
import { RunService, type RunServiceOptions } from './runs/run-service';
import { UserSettingsService } from './runs/user-settings';
import { AuditRepository } from './store/audit';
import { ConnectionRepository } from './store/connections';
import type { Db } from './store/database';
import { SettingsRepository } from './store/settings';
import { SyncStateRepository } from './store/sync-state';
import { UserRepository } from './store/users';
import { WorkerRepository } from './store/workers';
import { loadKeyring } from './vault/keyring';
import { Vault } from './vault/vault';
import type { GraphTokenService } from './auth/graph-tokens';
import { SubscriptionService } from './jobs/subscriptions';
import { systemClock, type Clock } from '../shared/clock';
import { createSyncServices, type SyncServices } from './services';

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
  /** Worker heartbeats (healthz, metrics). */
  workers: WorkerRepository;
  connectionService: ConnectionService;
  userSettings: UserSettingsService;
  runs: RunService;
  /** The sync use cases (run, preview, cleanup, reset, status, settings, history): what the API and CLI call. */
  sync: SyncServices;
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
  /** The engine (src/sync) unless a test gives a double. */
  engine?: EngineApi;
  registry?: ProviderRegistry;
  verifier?: TokenVerifier;
  queue?: RunQueue;
  logger?: Logger;
  vault?: Vault;
  runOptions?: RunServiceOptions;
  /** Tests set the date the whole server lives at; otherwise the wall clock. */
  clock?: Clock;
  /**
   * 'all' (the server) loads every provider before it answers; 'on-demand' (the CLI) loads a provider when a
   * connection of it is opened, so a sync loads two providers, not nine.
   */
  providers?: 'all' | 'on-demand';
}

export async function createRuntime(config: Config, db: Db, o: RuntimeOverrides): Promise<Runtime> {
  const clock = o.clock ?? systemClock;
  const engine = o.engine ?? syncEngine;
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
      ? new (await import('./auth/graph-tokens.js')).GraphTokenService(config, db, vault, clock)
      : null;
  const connectionService = new ConnectionService({
    db: db.kysely,
    vault,
    connections,
    ...(o.registry
      ? { registry: o.registry }
      : { registry: { calendar: [], crm: [createSandboxConnector(sandboxRepos)] }, loaders: connectorLoaders }),
    env: createProviderEnv(config, clock),
    urlPolicy: { allowedPrivateHosts: config.ALLOWED_PRIVATE_HOSTS },
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
  if (o.providers !== 'on-demand') await connectionService.loadAll();
  const userSettings = new UserSettingsService(users, settings);
  const runs = new RunService(
    { db, users, connections, connectionService, settings: userSettings, syncState, engine, logger },
    { leaseTtlMs: config.RUN_LEASE_SECONDS * 1000, ...o.runOptions, now: o.runOptions?.now ?? clock },
  );
  const queue =
    o.queue ??
    (db.dialect === 'postgres'
      ? // pg-boss only where PostgreSQL is the store: a SQLite process never loads it.
        new (await import('./jobs/pg-boss-queue.js')).PgBossQueue(config.DATABASE_URL, {
          concurrency: config.WORKER_CONCURRENCY,
          expireSeconds: config.RUN_JOB_EXPIRY_SECONDS,
          preparedStatements: config.DATABASE_PREPARED_STATEMENTS === 'on',
          onError: (err) => logger.warn({ err: err.message }, 'run queue: database error (retrying)'),
        })
      : new InProcessQueue());

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

  const { verifier, devIssuer } = o.verifier
    ? { verifier: o.verifier, devIssuer: null }
    : await createVerifier(config, clock);

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
    workers: new WorkerRepository(db.kysely),
    connectionService,
    userSettings,
    runs,
    sync: createSyncServices({
      clock,
      users,
      connections,
      userSettings,
      syncState,
      runs,
      queue,
      engine,
      connectionService,
      logger,
    }),
    queue,
    engine,
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

/**
 * Who checks the pane's tokens: the development issuer, or Entra ID. Sign-in code (jose) is loaded only by a
 * process that checks tokens; the CLI passes its own verifier.
 */
async function createVerifier(
  config: Config,
  clock: Clock,
): Promise<{ verifier: TokenVerifier; devIssuer: DevIssuer | null }> {
  if (config.AUTH_MODE === 'dev') {
    const devIssuer = await (await import('./auth/dev-issuer.js')).DevIssuer.create(publicOrigin(config), clock);
    return { verifier: devIssuer, devIssuer };
  }
  if (!config.ENTRA_CLIENT_ID) throw new Error('ENTRA_CLIENT_ID is required when AUTH_MODE=entra');
  const { createEntraVerifier } = await import('./auth/entra-verifier.js');
  const verifier = createEntraVerifier({
    authorityHost: config.ENTRA_AUTHORITY_HOST,
    clientId: config.ENTRA_CLIENT_ID,
    ...(config.ENTRA_TENANT_ID ? { tenantId: config.ENTRA_TENANT_ID } : {}),
    ...(config.ENTRA_AUDIENCE ? { audiences: config.ENTRA_AUDIENCE.split(',').map((a) => a.trim()) } : {}),
    requiredScope: config.ENTRA_SCOPE,
    adminRole: config.ENTRA_ADMIN_ROLE,
    clock,
  });
  return { verifier, devIssuer: null };
}
