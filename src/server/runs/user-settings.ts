import {
  adminOnlySettings,
  resolveSettings,
  type PartialSettings,
  type SettingKey,
  type SyncSettings,
} from '../../shared/settings';
import type { SettingsResponse } from '../../shared/api/settings';
import { badRequest, notFound } from '../errors';
import type { SettingsRepository } from '../store/settings';
import type { UserRecord, UserRepository } from '../store/users';

/** Effective settings of one user (SPEC §4) and the rules for changing the user layer. */
export class UserSettingsService {
  constructor(
    private readonly users: UserRepository,
    private readonly settings: SettingsRepository,
  ) {}

  async effective(tenantId: string, userId: string): Promise<SettingsResponse> {
    const user = await this.users.get(tenantId, userId);
    if (!user) throw notFound('user');
    const layers = await this.settings.layersFor(tenantId, userId, user.profileId);
    const { settings, details } = resolveSettings(layers);
    const profile = layers.profileId && layers.profile ? { id: layers.profileId, name: layers.profile.name } : null;
    return {
      settings,
      details: details.map((d) => ({ ...d, adminOnly: adminOnlySettings.includes(d.key) })),
      profile,
    };
  }

  async resolved(tenantId: string, userId: string): Promise<SyncSettings> {
    return (await this.effective(tenantId, userId)).settings;
  }

  /** Effective settings of a user already read (a run has it): one round trip for the three layers. */
  async resolvedFor(user: Pick<UserRecord, 'tenantId' | 'id' | 'profileId'>): Promise<SyncSettings> {
    return resolveSettings(await this.settings.layersFor(user.tenantId, user.id, user.profileId)).settings;
  }

  /**
   * The settings this user would have with `set` saved (for a preview before Save settings); refused like
   * `update` would refuse it, so a preview never shows what saving cannot do.
   */
  async proposed(tenantId: string, userId: string, set: PartialSettings): Promise<SyncSettings> {
    const user = await this.users.get(tenantId, userId);
    if (!user) throw notFound('user');
    const layers = await this.settings.layersFor(tenantId, userId, user.profileId);
    const current = resolveSettings(layers);
    for (const key of Object.keys(set) as SettingKey[]) {
      const d = current.details.find((x) => x.key === key);
      if (adminOnlySettings.includes(key)) throw badRequest(`${key} is set by your admin`, `settings.${key}`);
      if (d?.locked) throw badRequest(`${key} is locked by your sync profile`, `settings.${key}`);
    }
    return resolveSettings({ ...layers, user: { ...layers.user, ...set } }).settings;
  }

  /** Sets or clears user overrides; a locked or admin-only setting is refused naming it. */
  async update(tenantId: string, userId: string, set: PartialSettings, clear: readonly SettingKey[]) {
    const current = await this.effective(tenantId, userId);
    for (const key of Object.keys(set) as SettingKey[]) {
      const d = current.details.find((x) => x.key === key);
      if (d?.adminOnly) throw badRequest(`${key} is set by your admin`, `set.${key}`);
      if (d?.locked) throw badRequest(`${key} is locked by your sync profile`, `set.${key}`);
    }
    const user = await this.settings.getUser(tenantId, userId);
    const next: Record<string, unknown> = { ...user, ...set };
    for (const key of clear) delete next[key];
    await this.settings.setUser(tenantId, userId, next as PartialSettings);
    return this.effective(tenantId, userId);
  }
}
