import type { Kysely, Selectable } from 'kysely';
import type { Vault } from '../vault/vault';
import type { ConnectionsTable, DatabaseSchema } from './schema';
import type { Clock } from '../../shared/clock';
import { upserted } from './tenant-scope';

export type ConnectionSide = 'crm' | 'calendar';
export type ConnectionStatus = 'connected' | 'needs-reauth' | 'error';

/** Non-secret options kept beside a connection (calendar choice, provider options such as the data centre). */
export interface ConnectionOptions {
  targetCalendarId?: string | null;
  sourceCalendarIds?: string[];
  [key: string]: unknown;
}

export interface ConnectionRecord {
  tenantId: string;
  userId: string;
  side: ConnectionSide;
  provider: string;
  status: ConnectionStatus;
  account: string | null;
  url: string | null;
  options: ConnectionOptions;
  tokenExpiresAt: string | null;
  lastError: string | null;
  connectedAt: string;
  updatedAt: string;
}

/** Credentials as the provider connector produced them; only ever stored through the vault. */
export type ConnectionSecret = Record<string, unknown>;

function toRecord(r: Selectable<ConnectionsTable>): ConnectionRecord {
  return {
    tenantId: r.tenant_id,
    userId: r.user_id,
    side: r.side,
    provider: r.provider,
    status: r.status,
    account: r.account,
    url: r.url,
    options: JSON.parse(r.options) as ConnectionOptions,
    tokenExpiresAt: r.token_expires_at,
    lastError: r.last_error,
    connectedAt: r.connected_at,
    updatedAt: r.updated_at,
  };
}

export function connectionContext(tenantId: string, userId: string, side: ConnectionSide): string {
  return `connection:${tenantId}:${userId}:${side}`;
}

/** Connections with their secrets encrypted by the vault (AAD binds each ciphertext to its row). */
export class ConnectionRepository {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly vault: Vault,
    private readonly clock: Clock,
  ) {}

  async save(
    input: Omit<ConnectionRecord, 'connectedAt' | 'updatedAt' | 'lastError' | 'status'> & { secret: ConnectionSecret },
  ): Promise<ConnectionRecord> {
    const now = this.clock().toISOString();
    const row: Selectable<ConnectionsTable> = {
      tenant_id: input.tenantId,
      user_id: input.userId,
      side: input.side,
      provider: input.provider,
      status: 'connected',
      account: input.account,
      url: input.url,
      secret: this.vault.encryptJson(input.secret, connectionContext(input.tenantId, input.userId, input.side)),
      options: JSON.stringify(input.options),
      token_expires_at: input.tokenExpiresAt,
      last_error: null,
      connected_at: now,
      updated_at: now,
    };
    const write = this.db
      .insertInto('connections')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'side'])
          .doUpdateSet({
            provider: row.provider,
            status: row.status,
            account: row.account,
            url: row.url,
            secret: row.secret,
            options: row.options,
            token_expires_at: row.token_expires_at,
            last_error: null,
            connected_at: now,
            updated_at: now,
          })
          .where('connections.tenant_id', '=', input.tenantId),
      )
      .executeTakeFirstOrThrow();
    await upserted(write, 'a connection');
    return toRecord(row);
  }

  async get(tenantId: string, userId: string, side: ConnectionSide): Promise<ConnectionRecord | null> {
    const r = await this.row(tenantId, userId, side);
    return r ? toRecord(r) : null;
  }

  async list(tenantId: string, userId?: string): Promise<ConnectionRecord[]> {
    let q = this.db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId);
    if (userId !== undefined) q = q.where('user_id', '=', userId);
    return (await q.execute()).map(toRecord);
  }

  async secret(tenantId: string, userId: string, side: ConnectionSide): Promise<ConnectionSecret | null> {
    const r = await this.row(tenantId, userId, side);
    return r ? this.vault.decryptJson<ConnectionSecret>(r.secret, connectionContext(tenantId, userId, side)) : null;
  }

  /**
   * The user's connections with their secrets decrypted, from one query (a run opens both sides every time; a
   * secret is only decrypted here, on its way to the provider).
   */
  async listWithSecrets(
    tenantId: string,
    userId: string,
  ): Promise<{ record: ConnectionRecord; secret: ConnectionSecret }[]> {
    const rows = await this.db
      .selectFrom('connections')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .execute();
    return rows.map((r) => ({
      record: toRecord(r),
      secret: this.vault.decryptJson<ConnectionSecret>(r.secret, connectionContext(tenantId, userId, r.side)),
    }));
  }

  /** Stores refreshed credentials (e.g. a rotated refresh token) without touching the rest. */
  async updateSecret(
    tenantId: string,
    userId: string,
    side: ConnectionSide,
    secret: ConnectionSecret,
    tokenExpiresAt?: string | null,
  ): Promise<void> {
    await this.db
      .updateTable('connections')
      .set({
        secret: this.vault.encryptJson(secret, connectionContext(tenantId, userId, side)),
        updated_at: this.clock().toISOString(),
        ...(tokenExpiresAt !== undefined ? { token_expires_at: tokenExpiresAt } : {}),
      })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('side', '=', side)
      .execute();
  }

  async setStatus(
    tenantId: string,
    userId: string,
    side: ConnectionSide,
    status: ConnectionStatus,
    lastError: string | null,
  ): Promise<void> {
    await this.db
      .updateTable('connections')
      .set({ status, last_error: lastError, updated_at: this.clock().toISOString() })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('side', '=', side)
      .execute();
  }

  async setOptions(tenantId: string, userId: string, side: ConnectionSide, options: ConnectionOptions): Promise<void> {
    await this.db
      .updateTable('connections')
      .set({ options: JSON.stringify(options), updated_at: this.clock().toISOString() })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('side', '=', side)
      .execute();
  }

  async delete(tenantId: string, userId: string, side: ConnectionSide): Promise<boolean> {
    const r = await this.db
      .deleteFrom('connections')
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('side', '=', side)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  private row(tenantId: string, userId: string, side: ConnectionSide) {
    return this.db
      .selectFrom('connections')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('side', '=', side)
      .executeTakeFirst();
  }
}
