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
  AUTH_MODE: z.enum(['entra', 'dev']).default('entra'),
  ENTRA_CLIENT_ID: z.string().optional(),
  ENTRA_TENANT_ID: z.string().optional(),
  GRAPH_BASE_URL: z.string().url().default('https://graph.microsoft.com/v1.0'),
  GOOGLE_CLIENT_ID: z.string().optional(),
  GOOGLE_CLIENT_SECRET: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ALLOWED_PRIVATE_HOSTS: z.string().default(''),
  /** Where the built pane is served from; `npm run build` writes it. */
  ADDIN_DIR: z.string().default(path.resolve(__dirname, '..', 'addin')),
});

export type Config = Readonly<
  Omit<z.infer<typeof envSchema>, 'ALLOWED_PRIVATE_HOSTS'> & { ALLOWED_PRIVATE_HOSTS: readonly string[] }
>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path.join('.') ?? 'environment';
    throw new ConfigError(`Invalid environment variable ${name}: ${issue?.message ?? 'invalid'}`);
  }
  const c = parsed.data;
  return {
    ...c,
    ALLOWED_PRIVATE_HOSTS: c.ALLOWED_PRIVATE_HOSTS.split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  };
}
