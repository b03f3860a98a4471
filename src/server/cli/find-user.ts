import { HttpError } from '../errors';
import type { Runtime } from '../runtime';
import type { UserRecord } from '../store/users';
import { CliInputError } from './parse-settings';

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
