import { z } from 'zod';
import { partialSettingsSchema } from '../settings';
import { idSchema, isoInstantSchema, sideSchema } from './common';
import { settingKeySchema } from './settings';

/** GET/PUT /api/v1/admin/settings: the tenant's global layer. PUT replaces it. */
export const globalSettingsSchema = z.object({ values: partialSettingsSchema });
export type GlobalSettings = z.infer<typeof globalSettingsSchema>;

export const profileSchema = z.object({
  id: idSchema,
  name: z.string(),
  values: partialSettingsSchema,
  locked: z.array(settingKeySchema),
  userCount: z.number().int().nonnegative(),
  updatedAt: isoInstantSchema,
});
export type Profile = z.infer<typeof profileSchema>;

export const profileNameSchema = z.string().trim().min(1).max(100);

/** POST /api/v1/admin/profiles, PUT /api/v1/admin/profiles/:profileId */
export const profileInputSchema = z.object({
  name: profileNameSchema,
  values: partialSettingsSchema.default({}),
  locked: z.array(settingKeySchema).default([]),
});
export type ProfileInput = z.input<typeof profileInputSchema>;

export const profilesResponseSchema = z.object({ profiles: z.array(profileSchema) });
export type ProfilesResponse = z.infer<typeof profilesResponseSchema>;
export const profileIdParamsSchema = z.object({ profileId: idSchema });

/** PUT /api/v1/admin/users/:userId/profile: null removes the assignment. */
export const assignProfileRequestSchema = z.object({ profileId: idSchema.nullable() });
export type AssignProfileRequest = z.infer<typeof assignProfileRequestSchema>;
export const userIdParamsSchema = z.object({ userId: idSchema });

export const connectionHealthSchema = z.object({
  side: sideSchema,
  provider: z.string(),
  status: z.enum(['connected', 'needs-reauth', 'error']),
  tokenExpiresAt: isoInstantSchema.nullable(),
  lastError: z.string().nullable(),
});

/** One user with their connection and sync health (SPEC §8). */
export const adminUserSchema = z.object({
  id: idSchema,
  email: z.string(),
  displayName: z.string().nullable(),
  isAdmin: z.boolean(),
  profile: z.object({ id: idSchema, name: z.string() }).nullable(),
  automaticSync: z.boolean(),
  connections: z.array(connectionHealthSchema),
  lastRun: z
    .object({
      runId: idSchema,
      status: z.string(),
      startedAt: isoInstantSchema,
      finishedAt: isoInstantSchema.nullable(),
    })
    .nullable(),
  lastErrors: z.array(z.string()),
  health: z.enum(['ok', 'warning', 'error', 'idle']),
});
export type AdminUser = z.infer<typeof adminUserSchema>;

export const adminUsersResponseSchema = z.object({ users: z.array(adminUserSchema) });
export type AdminUsersResponse = z.infer<typeof adminUsersResponseSchema>;

export const auditEntrySchema = z.object({
  id: idSchema,
  at: isoInstantSchema,
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  details: z.unknown(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** GET /api/v1/admin/audit?limit=&before= */
export const auditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.string().max(40).optional(),
});
export const auditResponseSchema = z.object({ entries: z.array(auditEntrySchema) });
export type AuditResponse = z.infer<typeof auditResponseSchema>;
