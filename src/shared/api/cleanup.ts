import { z } from 'zod';
import { idSchema, isoInstantSchema, sideSchema } from './common';

export const cleanupCopySchema = z.object({
  side: sideSchema,
  id: idSchema,
  subject: z.string().nullable(),
  start: z.string().nullable(),
});

/** One group of duplicates found by cleanup, and which copy it keeps (SPEC §6). */
export const cleanupGroupSchema = z.object({
  kind: z.enum(['same-crm-tag', 'same-ical-uid', 'same-fingerprint']),
  keep: cleanupCopySchema,
  remove: z.array(cleanupCopySchema),
  /** CRM data merged onto the kept copy before the others go. */
  merges: z.number().int().nonnegative(),
});
export type CleanupGroup = z.infer<typeof cleanupGroupSchema>;

/** POST /api/v1/cleanup/preview */
export const cleanupPreviewResponseSchema = z.object({ groups: z.array(cleanupGroupSchema) });
export type CleanupPreviewResponse = z.infer<typeof cleanupPreviewResponseSchema>;

/** POST /api/v1/cleanup/apply and POST /api/v1/cleanup/:cleanupId/undo */
export const cleanupRecordSchema = z.object({
  id: idSchema,
  createdAt: isoInstantSchema,
  appliedAt: isoInstantSchema.nullable(),
  undoneAt: isoInstantSchema.nullable(),
  undoUntil: isoInstantSchema,
  removals: z.array(z.object({ side: sideSchema, id: idSchema })),
  merges: z.number().int().nonnegative(),
});
export type CleanupRecordDto = z.infer<typeof cleanupRecordSchema>;

export const cleanupApplyRequestSchema = z.object({ confirm: z.literal(true) });
export const cleanupIdParamsSchema = z.object({ cleanupId: idSchema });
