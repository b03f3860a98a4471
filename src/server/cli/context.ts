import pino from 'pino';
import { loadConfig, type Config } from '../config';
import { HttpError } from '../errors';
import { engine } from '../runs/engine';
import { createRuntime, type Runtime } from '../runtime';
import { openDatabase } from '../store/database';
import { migrateToLatest } from '../store/migrations';
import type { UserRecord } from '../store/users';
import { CliInputError } from './parse-settings';
import type { ProviderRegistry } from '../connections/connection-service';

/** Opens the store named by DATABASE_URL (migrated) and the runtime, runs `fn`, and closes everything. */
export async function withRuntime<T>(
  fn: (rt: Runtime) => Promise<T>,
  config: Config = loadConfig(),
  registry?: ProviderRegistry,
): Promise<T> {
  const db = openDatabase(config.DATABASE_URL);
  try {
    await migrateToLatest(db);
    // The CLI validates no tokens; dev mode avoids requiring the Entra settings for scripting.
    const runtime = await createRuntime(config, db, {
      engine,
      ...(registry ? { registry } : {}),
      // Log lines go to stderr: stdout is the command's answer (`--json` prints only JSON there).
      logger: pino({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL }, pino.destination(2)),
      verifier: { verify: () => Promise.reject(new Error('the CLI does not accept tokens')) },
    });
    try {
      return await fn(runtime);
    } finally {
      await runtime.stop();
    }
  } finally {
    await db.close();
  }
}

/** Users are named by e-mail on the command line; `--tenant` settles an e-mail present in several tenants. */
export async function findUser(rt: Runtime, email: string, tenant?: string): Promise<UserRecord> {
  const found = tenant
    ? [await rt.users.findByEmail(tenant, email)].filter((u): u is UserRecord => u !== null)
    : await rt.users.findByEmailAnyTenant(email);
  if (found.length === 0)
    throw new CliInputError(
      `no user ${email}${tenant ? ` in tenant ${tenant}` : ''} (add one with: crm-sync users add ${email})`,
    );
  if (found.length > 1) {
    throw new CliInputError(`${email} exists in tenants ${found.map((u) => u.tenantId).join(', ')}: pass --tenant`);
  }
  return found[0]!;
}

/** The tenant for tenant-wide commands: --tenant, else the only one there is. */
export async function resolveTenant(rt: Runtime, tenant?: string): Promise<string> {
  if (tenant) return tenant;
  const tenants = await rt.users.listTenants();
  if (tenants.length === 1) return tenants[0]!;
  if (tenants.length === 0) throw new CliInputError('no tenant yet: add a user first (crm-sync users add <email>)');
  throw new CliInputError(`several tenants (${tenants.join(', ')}): pass --tenant`);
}

export function describeError(e: unknown): string {
  if (e instanceof HttpError) return e.field ? `${e.message} (${e.field})` : e.message;
  const message = (e as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(e);
}
