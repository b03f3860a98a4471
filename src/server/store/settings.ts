import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import {
  partialSettingsSchema,
  type PartialSettings,
  type SettingKey,
  type SettingLayers,
} from '../../shared/settings';
import type { DatabaseSchema } from './schema';
import type { Clock } from '../../shared/clock';
import { upserted } from './tenant-scope';

export interface ProfileRecord {
  id: string;
  tenantId: string;
  name: string;
  values: PartialSettings;
  locked: SettingKey[];
  updatedAt: string;
}

/** Stored JSON is parsed again on the way out, so a bad row can never reach the engine unnoticed. */
function parseSettings(json: string): PartialSettings {
  return partialSettingsSchema.parse(JSON.parse(json));
}

/** The three settings layers of SPEC §4, per tenant. */
export class SettingsRepository {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
  ) {}

  async getGlobal(tenantId: string): Promise<PartialSettings> {
    const r = await this.db
      .selectFrom('global_settings')
      .select('settings')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return r ? parseSettings(r.settings) : {};
  }

  async setGlobal(tenantId: string, values: PartialSettings): Promise<void> {
    const settings = JSON.stringify(partialSettingsSchema.parse(values));
    const updated_at = this.clock().toISOString();
    await this.db
      .insertInto('global_settings')
      .values({ tenant_id: tenantId, settings, updated_at })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ settings, updated_at }))
      .execute();
  }

  async getUser(tenantId: string, userId: string): Promise<PartialSettings> {
    const r = await this.db
      .selectFrom('user_settings')
      .select('settings')
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r ? parseSettings(r.settings) : {};
  }

  async setUser(tenantId: string, userId: string, values: PartialSettings): Promise<void> {
    const settings = JSON.stringify(partialSettingsSchema.parse(values));
    const updated_at = this.clock().toISOString();
    const write = this.db
      .insertInto('user_settings')
      .values({ tenant_id: tenantId, user_id: userId, settings, updated_at })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({ settings, updated_at }).where('user_settings.tenant_id', '=', tenantId),
      )
      .executeTakeFirstOrThrow();
    await upserted(write, "a user's settings");
  }

  async listProfiles(tenantId: string): Promise<ProfileRecord[]> {
    const rows = await this.db
      .selectFrom('profiles')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('name')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      tenantId: r.tenant_id,
      name: r.name,
      values: parseSettings(r.settings),
      locked: JSON.parse(r.locked) as SettingKey[],
      updatedAt: r.updated_at,
    }));
  }

  async getProfile(tenantId: string, id: string): Promise<ProfileRecord | null> {
    return (await this.listProfiles(tenantId)).find((p) => p.id === id) ?? null;
  }

  async findProfileByName(tenantId: string, name: string): Promise<ProfileRecord | null> {
    return (await this.listProfiles(tenantId)).find((p) => p.name === name) ?? null;
  }

  async createProfile(
    tenantId: string,
    input: { name: string; values: PartialSettings; locked: SettingKey[] },
  ): Promise<ProfileRecord> {
    const record: ProfileRecord = {
      id: crypto.randomUUID(),
      tenantId,
      name: input.name,
      values: partialSettingsSchema.parse(input.values),
      locked: [...new Set(input.locked)],
      updatedAt: this.clock().toISOString(),
    };
    await this.db
      .insertInto('profiles')
      .values({
        id: record.id,
        tenant_id: tenantId,
        name: record.name,
        settings: JSON.stringify(record.values),
        locked: JSON.stringify(record.locked),
        updated_at: record.updatedAt,
      })
      .execute();
    return record;
  }

  async updateProfile(
    tenantId: string,
    id: string,
    input: { name: string; values: PartialSettings; locked: SettingKey[] },
  ): Promise<ProfileRecord | null> {
    const updatedAt = this.clock().toISOString();
    const values = partialSettingsSchema.parse(input.values);
    const locked = [...new Set(input.locked)];
    const r = await this.db
      .updateTable('profiles')
      .set({
        name: input.name,
        settings: JSON.stringify(values),
        locked: JSON.stringify(locked),
        updated_at: updatedAt,
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return null;
    return { id, tenantId, name: input.name, values, locked, updatedAt };
  }

  async deleteProfile(tenantId: string, id: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({ profile_id: null })
        .where('tenant_id', '=', tenantId)
        .where('profile_id', '=', id)
        .execute();
      const r = await trx
        .deleteFrom('profiles')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  /**
   * The three layers of one user in one round trip (a run reads them every time): the tenant's global settings,
   * the user's overrides and the user's profile, if any.
   */
  async layersFor(
    tenantId: string,
    userId: string,
    profileId: string | null,
  ): Promise<SettingLayers & { profileId: string | null }> {
    const { rows } = await sql<{ layer: string; settings: string; name: string | null; locked: string | null }>`
      select 'global' as layer, settings, null as name, null as locked
        from global_settings where tenant_id = ${tenantId}
      union all
      select 'user', settings, null, null from user_settings where tenant_id = ${tenantId} and user_id = ${userId}
      union all
      select 'profile', settings, name, locked from profiles where tenant_id = ${tenantId} and id = ${profileId}
    `.execute(this.db);
    const layer = (name: string) => rows.find((r) => r.layer === name);
    const global = layer('global');
    const user = layer('user');
    const profile = layer('profile');
    return {
      global: global ? parseSettings(global.settings) : {},
      user: user ? parseSettings(user.settings) : {},
      profile: profile
        ? {
            name: profile.name ?? '',
            values: parseSettings(profile.settings),
            locked: JSON.parse(profile.locked ?? '[]') as SettingKey[],
          }
        : null,
      profileId: profile ? profileId : null,
    };
  }
}
