import crypto from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema, UsersTable } from './schema';
import type { Clock } from '../../shared/clock';

export interface UserRecord {
  id: string;
  tenantId: string;
  oid: string | null;
  email: string;
  displayName: string | null;
  isAdmin: boolean;
  profileId: string | null;
  paused: { reason: string; message: string } | null;
  createdAt: string;
}

function toUser(r: Selectable<UsersTable>): UserRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    oid: r.oid,
    email: r.email,
    displayName: r.display_name,
    isAdmin: r.is_admin === 1,
    profileId: r.profile_id,
    paused: r.paused_reason ? { reason: r.paused_reason, message: r.paused_message ?? '' } : null,
    createdAt: r.created_at,
  };
}

/** The development/CLI tenant when none is given and the database holds exactly one. */
export const defaultTenantId = 'local';

/** Tenants and users. Every lookup but `findByIdAnyTenant` (used by the scheduler) takes the tenant. */
export class UserRepository {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
  ) {}

  async ensureTenant(id: string, name: string | null = null): Promise<void> {
    await this.db
      .insertInto('tenants')
      .values({ id, name, created_at: this.clock().toISOString() })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async listTenants(): Promise<string[]> {
    return (await this.db.selectFrom('tenants').select('id').orderBy('id').execute()).map((r) => r.id);
  }

  async create(input: {
    tenantId: string;
    email: string;
    oid?: string | null;
    displayName?: string | null;
    isAdmin?: boolean;
  }): Promise<UserRecord> {
    await this.ensureTenant(input.tenantId);
    const row = {
      id: crypto.randomUUID(),
      tenant_id: input.tenantId,
      oid: input.oid ?? null,
      email: input.email.toLowerCase(),
      display_name: input.displayName ?? null,
      is_admin: input.isAdmin ? 1 : 0,
      profile_id: null,
      paused_reason: null,
      paused_message: null,
      created_at: this.clock().toISOString(),
    };
    await this.db.insertInto('users').values(row).execute();
    return toUser(row);
  }

  /**
   * The user a validated token names: found by oid, else by e-mail (a user the CLI added before first sign-in),
   * else created. The admin flag follows the token's app role.
   */
  async upsertFromToken(claims: {
    tenantId: string;
    oid: string;
    email: string;
    displayName: string | null;
    isAdmin: boolean;
  }): Promise<UserRecord> {
    const byOid = await this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', claims.tenantId)
      .where('oid', '=', claims.oid)
      .executeTakeFirst();
    const existing =
      byOid ??
      (await this.db
        .selectFrom('users')
        .selectAll()
        .where('tenant_id', '=', claims.tenantId)
        .where('email', '=', claims.email.toLowerCase())
        .where('oid', 'is', null)
        .executeTakeFirst());
    if (!existing) {
      return this.create({ ...claims, oid: claims.oid });
    }
    const isAdmin = claims.isAdmin ? 1 : 0;
    if (existing.oid !== claims.oid || existing.is_admin !== isAdmin || existing.display_name !== claims.displayName) {
      await this.db
        .updateTable('users')
        .set({ oid: claims.oid, is_admin: isAdmin, display_name: claims.displayName ?? existing.display_name })
        .where('tenant_id', '=', claims.tenantId)
        .where('id', '=', existing.id)
        .execute();
    }
    return toUser({ ...existing, oid: claims.oid, is_admin: isAdmin });
  }

  async get(tenantId: string, id: string): Promise<UserRecord | null> {
    const r = await this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async findByIdAnyTenant(id: string): Promise<UserRecord | null> {
    const r = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async findByEmail(tenantId: string, email: string): Promise<UserRecord | null> {
    const r = await this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('email', '=', email.toLowerCase())
      .executeTakeFirst();
    return r ? toUser(r) : null;
  }

  /** CLI: users by e-mail across tenants (the CLI asks for --tenant when the e-mail is ambiguous). */
  async findByEmailAnyTenant(email: string): Promise<UserRecord[]> {
    const rows = await this.db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).execute();
    return rows.map(toUser);
  }

  async list(tenantId?: string): Promise<UserRecord[]> {
    let q = this.db.selectFrom('users').selectAll();
    if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
    return (await q.orderBy('tenant_id').orderBy('email').execute()).map(toUser);
  }

  async setProfile(tenantId: string, userId: string, profileId: string | null): Promise<boolean> {
    const r = await this.db
      .updateTable('users')
      .set({ profile_id: profileId })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', userId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async setPaused(tenantId: string, userId: string, paused: { reason: string; message: string } | null): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ paused_reason: paused?.reason ?? null, paused_message: paused?.message ?? null })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', userId)
      .execute();
  }
}
