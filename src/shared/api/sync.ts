import { partialSettingsSchema } from '../settings';
import { z } from 'zod';
import { runReportSchema } from '../run-report';
import { idSchema, isoInstantSchema } from './common';

/** PUT /api/v1/sync/automatic */
export const automaticSyncRequestSchema = z.object({ enabled: z.boolean() });
export type AutomaticSyncRequest = z.infer<typeof automaticSyncRequestSchema>;

export const pauseSchema = z.object({
  reason: z.enum(['needs-reauth', 'not-connected', 'needs-confirmation']),
  message: z.string(),
  side: z.enum(['crm', 'calendar']).nullable(),
});

export const pendingConfirmationSchema = z.object({
  runId: idSchema,
  createdAt: isoInstantSchema,
  crm: z.number().int().nonnegative(),
  calendar: z.number().int().nonnegative(),
  reason: z.string(),
});
export type PendingConfirmationDto = z.infer<typeof pendingConfirmationSchema>;

/** GET /api/v1/sync/status (also the answer of PUT /api/v1/sync/automatic). */
export const syncStatusResponseSchema = z.object({
  automaticSync: z.boolean(),
  /** Automatic sync is on but not running, and why (banner with a re-authorize link, SPEC §7). */
  paused: pauseSchema.nullable(),
  running: z.object({ runId: idSchema, startedAt: isoInstantSchema }).nullable(),
  queued: z.number().int().nonnegative(),
  lastRun: runReportSchema.nullable(),
  nextRunAt: isoInstantSchema.nullable(),
  pendingConfirmation: pendingConfirmationSchema.nullable(),
});
export type SyncStatusResponse = z.infer<typeof syncStatusResponseSchema>;

/** POST /api/v1/runs: Sync calendar now (queued behind a running one). */
export const startRunRequestSchema = z.object({
  /** Confirms the deletions a stopped run asked about (SPEC §5 guard). */
  confirmDeletions: z.boolean().default(false),
});
export type StartRunRequest = z.input<typeof startRunRequestSchema>;

export const startRunResponseSchema = z.object({
  runId: idSchema,
  status: z.enum(['queued', 'running']),
});
export type StartRunResponse = z.infer<typeof startRunResponseSchema>;

/** One planned action of a preview (dry run). */
export const previewActionSchema = z.object({
  side: z.enum(['crm', 'calendar']),
  op: z.string(),
  itemId: z.string().nullable(),
  subject: z.string().nullable(),
  reason: z.string(),
  sendsInvitations: z.boolean(),
});
export type PreviewAction = z.infer<typeof previewActionSchema>;

/** POST /api/v1/runs/preview */
/**
 * POST /api/v1/runs/preview: optionally with settings the user is about to save, so Save settings can show how
 * many items the change would delete or e-mail before anything is stored (SPEC §4).
 */
export const previewRequestSchema = z.object({ settings: partialSettingsSchema.optional() }).default({});
export type PreviewRequest = z.input<typeof previewRequestSchema>;

export const previewResponseSchema = z.object({
  report: runReportSchema,
  actions: z.array(previewActionSchema),
});
export type PreviewResponse = z.infer<typeof previewResponseSchema>;

/** GET /api/v1/runs?limit= */
export const runsListResponseSchema = z.object({ runs: z.array(runReportSchema) });
export type RunsListResponse = z.infer<typeof runsListResponseSchema>;

export const runIdParamsSchema = z.object({ runId: idSchema });

export const trailEntrySchema = z.object({
  runId: idSchema,
  at: isoInstantSchema,
  crmId: z.string().nullable(),
  eventId: z.string().nullable(),
  action: z.string(),
  reason: z.string(),
  /** The item's subject when the entry was written; null or absent on older entries. */
  subject: z.string().nullable().optional(),
});
export type TrailEntryDto = z.infer<typeof trailEntrySchema>;

export const conflictSchema = z.object({
  id: idSchema,
  runId: idSchema,
  at: isoInstantSchema,
  crmId: z.string(),
  eventId: z.string(),
  field: z.string(),
  crmValue: z.unknown(),
  calendarValue: z.unknown(),
  winner: z.enum(['crm', 'calendar']),
  policy: z.string(),
});
export type ConflictDto = z.infer<typeof conflictSchema>;

/** GET /api/v1/runs/:runId */
export const runDetailResponseSchema = z.object({
  report: runReportSchema,
  trail: z.array(trailEntrySchema),
  conflicts: z.array(conflictSchema),
});
export type RunDetailResponse = z.infer<typeof runDetailResponseSchema>;

/** POST /api/v1/sync/confirm-deletions: yes → a confirmed run is queued; no → the question is dismissed. */
export const confirmDeletionsRequestSchema = z.object({
  runId: idSchema,
  confirm: z.boolean(),
});
export type ConfirmDeletionsRequest = z.infer<typeof confirmDeletionsRequestSchema>;

export const confirmDeletionsResponseSchema = z.object({
  /** The confirmed run, when confirm was true. */
  run: startRunResponseSchema.nullable(),
  pendingConfirmation: pendingConfirmationSchema.nullable(),
});
export type ConfirmDeletionsResponse = z.infer<typeof confirmDeletionsResponseSchema>;

/** POST /api/v1/sync/reset: forgets the sync state, keeps every event and CRM item (SPEC §6). */
export const resetRequestSchema = z.object({ confirm: z.literal(true) });
export type ResetRequest = z.infer<typeof resetRequestSchema>;
export const resetResponseSchema = z.object({ reset: z.literal(true), repairing: z.boolean() });
export type ResetResponse = z.infer<typeof resetResponseSchema>;
