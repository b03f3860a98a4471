import { z } from 'zod';

/**
 * The sync settings of SPEC §4. One schema serves the server (validation at the edge, storage),
 * the engine (planning) and the pane (forms), so a setting can never mean two things.
 */
export const activityTypeSchema = z.enum(['meeting', 'call', 'follow-up', 'task', 'note']);
export type ActivityType = z.infer<typeof activityTypeSchema>;

/** Activity types that may be pushed to the calendar (notes never are). */
export const pushableActivityTypeSchema = z.enum(['meeting', 'call', 'follow-up', 'task']);
export type PushableActivityType = z.infer<typeof pushableActivityTypeSchema>;

export const syncDirectionSchema = z.enum(['two-way', 'crm-to-calendar', 'calendar-to-crm']);
export type SyncDirection = z.infer<typeof syncDirectionSchema>;

export const invitationModeSchema = z.enum(['never', 'always', 'after-first-sync']);
export type InvitationMode = z.infer<typeof invitationModeSchema>;

export const conflictPolicySchema = z.enum(['crm-wins', 'most-recent-wins', 'calendar-wins']);
export type ConflictPolicy = z.infer<typeof conflictPolicySchema>;

export const privateEventsSchema = z.enum(['skip', 'private', 'busy']);
export type PrivateEventsMode = z.infer<typeof privateEventsSchema>;

export const reminderMinutesSchema = z.union([
  z.literal(0),
  z.literal(5),
  z.literal(15),
  z.literal(30),
  z.literal(60),
  z.literal(1440),
  z.null(),
]);

export const syncSettingsSchema = z.object({
  automaticSync: z.boolean(),
  syncIntervalMinutes: z.number().int().min(1).max(1440),
  syncRecords: z.enum(['related', 'all']),
  direction: syncDirectionSchema,
  syncInvitees: z.boolean(),
  invitations: invitationModeSchema,
  conflictPolicy: conflictPolicySchema,
  pastWindowDays: z.number().int().min(0).max(3650),
  privateEvents: privateEventsSchema,
  activityTypes: z.array(pushableActivityTypeSchema).min(1),
  taskEventMinutes: z.number().int().min(5).max(1440),
  /** null = no reminder; 1440 = one day. */
  defaultReminderMinutes: reminderMinutesSchema,
  createContacts: z.boolean(),
});
export type SyncSettings = z.infer<typeof syncSettingsSchema>;
export type SettingKey = keyof SyncSettings;

export const settingKeys = Object.keys(syncSettingsSchema.shape) as SettingKey[];

/** A partial set of settings, as stored at the global, profile or user level. */
export const partialSettingsSchema = syncSettingsSchema.partial().strict();
export type PartialSettings = z.infer<typeof partialSettingsSchema>;

/** Defaults of SPEC §4. */
export const defaultSettings: SyncSettings = {
  automaticSync: false,
  syncIntervalMinutes: 5,
  syncRecords: 'related',
  direction: 'two-way',
  syncInvitees: true,
  invitations: 'never',
  conflictPolicy: 'crm-wins',
  pastWindowDays: 30,
  privateEvents: 'skip',
  activityTypes: ['meeting', 'call', 'follow-up'],
  taskEventMinutes: 30,
  defaultReminderMinutes: 15,
  createContacts: false,
};

/** Settings only an admin may set (SPEC §4: the sync interval is an admin setting). */
export const adminOnlySettings: readonly SettingKey[] = ['syncIntervalMinutes'];

export type SettingSource = 'default' | 'global' | 'profile' | 'user';

export interface EffectiveSetting<K extends SettingKey = SettingKey> {
  key: K;
  value: SyncSettings[K];
  source: SettingSource;
  locked: boolean;
}

export interface SettingLayers {
  global: PartialSettings;
  profile: { name: string; values: PartialSettings; locked: readonly SettingKey[] } | null;
  user: PartialSettings;
}

/**
 * Resolves global ← profile ← user (SPEC §4). A user value counts only where the profile does not lock
 * the setting and the setting is not admin-only.
 */
export function resolveSettings(layers: SettingLayers): {
  settings: SyncSettings;
  details: EffectiveSetting[];
} {
  const settings: Record<string, unknown> = { ...defaultSettings };
  const details: EffectiveSetting[] = [];
  for (const key of settingKeys) {
    let value: unknown = defaultSettings[key];
    let source: SettingSource = 'default';
    const locked = layers.profile?.locked.includes(key) ?? false;
    if (layers.global[key] !== undefined) {
      value = layers.global[key];
      source = 'global';
    }
    if (layers.profile && layers.profile.values[key] !== undefined) {
      value = layers.profile.values[key];
      source = 'profile';
    }
    if (!locked && !adminOnlySettings.includes(key) && layers.user[key] !== undefined) {
      value = layers.user[key];
      source = 'user';
    }
    settings[key] = value;
    details.push({ key, value, source, locked } as EffectiveSetting);
  }
  return { settings: syncSettingsSchema.parse(settings), details };
}
