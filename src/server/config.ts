import path from 'node:path';
import { z } from 'zod';

/**
 * Configuration by environment (SPEC §11). Parsed once at start; a bad value stops the program with a
 * message naming the variable, before anything listens or writes.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: z.string().url().optional(),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:|postgres:\/\/|postgresql:\/\/)/, 'must start with sqlite: or postgres://')
    .default('sqlite:./data/connector.db'),
  CONNECTOR_MASTER_KEY: z.string().optional(),
  /**
   * PostgreSQL: statements with parameters are named, so each connection parses and plans them once (on by
   * default). `off` for a connection pooler in transaction mode without prepared statement support (PgBouncer
   * before 1.21, or `max_prepared_statements = 0`).
   */
  DATABASE_PREPARED_STATEMENTS: z.enum(['on', 'off']).default('on'),
  AUTH_MODE: z.enum(['entra', 'dev']).default('entra'),
  ENTRA_CLIENT_ID: z.string().optional(),
  /** A tenant GUID (single-tenant) or `organizations` / `common` (any tenant; issuer checked per token `tid`). */
  ENTRA_TENANT_ID: z.string().optional(),
  /** Confidential-client secret for on-behalf-of and app-only token requests. */
  ENTRA_CLIENT_SECRET: z.string().optional(),
  /** Token issuer host; tests point it at a loopback identity provider. */
  ENTRA_AUTHORITY_HOST: z.string().url().default('https://login.microsoftonline.com'),
  /** Accepted `aud` values (comma-separated); default `api://<client id>` and the client id itself. */
  ENTRA_AUDIENCE: z.string().optional(),
  /** Delegated scope the pane's token must carry. */
  ENTRA_SCOPE: z.string().default('access_as_user'),
  /** App role that makes a user an admin. */
  ENTRA_ADMIN_ROLE: z.string().default('Connector.Admin'),
  /** delegated: on-behalf-of the signed-in user; app-only: admin-consented application permissions. */
  GRAPH_AUTH_MODE: z.enum(['delegated', 'app-only']).default('delegated'),
  /** Origin of the task pane when it is not served by this server (CORS); default PUBLIC_URL's origin. */
  PANE_ORIGIN: z.string().url().optional(),
  /** Where the development key file lives; default the SQLite file's folder or ./data. */
  DATA_DIR: z.string().optional(),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(300),
  GRAPH_BASE_URL: z.string().url().default('https://graph.microsoft.com/v1.0'),
  GOOGLE_CLIENT_ID: z.string().optional(),
  GOOGLE_CLIENT_SECRET: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ALLOWED_PRIVATE_HOSTS: z.string().default(''),
  /**
   * CalDAV writes to different resources in flight at once, per run (default: the provider's `defaultWriteConcurrency`,
   * measured in docs/BENCHMARKS.md); 1 = one after another.
   */
  CALDAV_WRITE_CONCURRENCY: z.coerce.number().int().min(1).max(16).optional(),
  /**
   * A run's lease time to live; a live run renews it every third of it. A run whose worker died is recovered
   * (recorded as interrupted, retried) at most this long plus WORKER_MAINTENANCE_SECONDS after it stopped.
   */
  RUN_LEASE_SECONDS: z.coerce.number().int().min(3).max(3600).default(60),
  /** How long a queued run may stay taken by a worker before pg-boss gives it to another (above the longest run). */
  RUN_JOB_EXPIRY_SECONDS: z.coerce.number().int().min(10).max(86_400).default(900),
  /** Runs one worker process takes at once (PostgreSQL). */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  /** How often a worker writes its heartbeat and sweeps for interrupted runs. */
  WORKER_MAINTENANCE_SECONDS: z.coerce.number().int().min(1).max(600).default(10),
  /**
   * GET /metrics needs `Authorization: Bearer <this>` when set. A production deployment (isProductionDeployment)
   * serves /metrics only with it: without it the endpoint is off (404). The embedded default serves it open.
   */
  METRICS_TOKEN: z.string().min(16).optional(),
  /** Where the built pane is served from; `npm run build` writes it. */
  ADDIN_DIR: z.string().default(path.resolve(__dirname, '..', 'addin')),
});

export type Config = Readonly<
  Omit<z.infer<typeof envSchema>, 'ALLOWED_PRIVATE_HOSTS' | 'DATA_DIR'> & {
    ALLOWED_PRIVATE_HOSTS: readonly string[];
    DATA_DIR: string;
  }
>;

export class ConfigError extends Error {}

/**
 * A production deployment: `NODE_ENV=production`, or PostgreSQL as the store (the multi-process set-up of SPEC §2:
 * API and workers on a shared database). The embedded default (SQLite, not production) is one person's machine.
 */
export function isProductionDeployment(config: Pick<Config, 'NODE_ENV' | 'DATABASE_URL'>): boolean {
  return config.NODE_ENV === 'production' || !config.DATABASE_URL.startsWith('sqlite:');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path.join('.') ?? 'environment';
    throw new ConfigError(`Invalid environment variable ${name}: ${issue?.message ?? 'invalid'}`);
  }
  const c = parsed.data;
  if (c.AUTH_MODE === 'dev' && c.NODE_ENV === 'production') {
    throw new ConfigError('Invalid environment variable AUTH_MODE: dev sign-in is refused when NODE_ENV=production');
  }
  const sqliteFile = c.DATABASE_URL.startsWith('sqlite:') ? c.DATABASE_URL.slice('sqlite:'.length) : '';
  const dataDir =
    c.DATA_DIR ??
    (sqliteFile && sqliteFile !== ':memory:' ? path.dirname(path.resolve(sqliteFile)) : path.resolve('data'));
  return {
    ...c,
    DATA_DIR: dataDir,
    ALLOWED_PRIVATE_HOSTS: c.ALLOWED_PRIVATE_HOSTS.split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  };
}
