import { z } from 'zod';
import { partialSettingsSchema, syncSettingsSchema } from '../settings';
import { idSchema } from './common';

export const settingKeySchema = z
  .enum(Object.keys(syncSettingsSchema.shape) as [string, ...string[]])
  .describe('setting key') as z.ZodType<keyof z.infer<typeof syncSettingsSchema>>;

export const effectiveSettingSchema = z.object({
  key: settingKeySchema,
  value: z.unknown(),
  source: z.enum(['default', 'global', 'profile', 'user']),
  locked: z.boolean(),
  /** Only an admin can set it (sync interval). */
  adminOnly: z.boolean(),
});
export type EffectiveSettingDto = z.infer<typeof effectiveSettingSchema>;

/** GET /api/v1/settings: each effective value, where it comes from and whether it is locked (SPEC §4). */
export const settingsResponseSchema = z.object({
  settings: syncSettingsSchema,
  details: z.array(effectiveSettingSchema),
  profile: z.object({ id: idSchema, name: z.string() }).nullable(),
});
export type SettingsResponse = z.infer<typeof settingsResponseSchema>;

/** PUT /api/v1/settings: user overrides; `clear` drops overrides so the inherited value applies again. */
export const updateSettingsRequestSchema = z.object({
  set: partialSettingsSchema.default({}),
  clear: z.array(settingKeySchema).default([]),
});
export type UpdateSettingsRequest = z.input<typeof updateSettingsRequestSchema>;
