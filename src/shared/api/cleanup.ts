import { z } from 'zod';
import { idSchema, isoInstantSchema, sideSchema } from './common';

export const cleanupCopySchema = z.object({
  side: sideSchema,
  id: idSchema,
  subject: z.string(),
});

/** One group of duplicates found by cleanup, and which copy it keeps (SPEC §6). */
export const cleanupGroupSchema = z.object({
  /** tagged-events: several events tagged with one CRM id; ical-activities: several CRM activities for one
   * iCalUId; fingerprint: identical subject + start + end where one is linked. */
  kind: z.enum(['tagged-events', 'ical-activities', 'fingerprint']),
  keep: cleanupCopySchema,
  remove: z.array(cleanupCopySchema),
  /** Human descriptions of CRM data merged onto the kept copy before the others go. */
  merged: z.array(z.string()),
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
