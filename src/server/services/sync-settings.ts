import type { SettingsResponse } from '../../shared/api/settings';
import type { PartialSettings, SettingKey } from '../../shared/settings';
import { badRequest } from '../errors';
import type { SyncServiceDeps, SyncUser } from './deps';

/**
 * A user's sync settings, and turning automatic sync on or off: the schedule follows at once (the next run is
 * due now when it goes on, none when it goes off), whether the pane or the CLI changed it.
 */
export class SyncSettingsService {
  constructor(private readonly d: SyncServiceDeps) {}

  effective(user: SyncUser): Promise<SettingsResponse> {
    return this.d.userSettings.effective(user.tenantId, user.id);
  }

  async update(user: SyncUser, set: PartialSettings, clear: readonly SettingKey[]): Promise<SettingsResponse> {
    const result = await this.d.userSettings.update(user.tenantId, user.id, set, clear);
    if (set.automaticSync !== undefined || clear.includes('automaticSync')) {
      await this.schedule(user, result.settings.automaticSync);
    }
    return result;
  }

  /** The pane's switch; refused when the user's sync profile locks it to the other value. */
  async setAutomaticSync(user: SyncUser, enabled: boolean): Promise<void> {
    const current = await this.d.userSettings.effective(user.tenantId, user.id);
    if (current.details.find((d) => d.key === 'automaticSync')?.locked) {
      if (current.settings.automaticSync !== enabled) {
        throw badRequest('automatic sync is locked by your sync profile', 'enabled');
      }
    } else {
      await this.d.userSettings.update(user.tenantId, user.id, { automaticSync: enabled }, []);
    }
    await this.schedule(user, enabled);
  }

  private schedule(user: SyncUser, on: boolean): Promise<void> {
    return this.d.syncState.setNextRun(user.tenantId, user.id, on ? this.d.clock().toISOString() : null);
  }
}
