import { z } from 'zod';

/** Counts of what a run did (or, for a preview, would do) on one side. */
export const sideCountsSchema = z.object({
  created: z.number().int().nonnegative(),
  updated: z.number().int().nonnegative(),
  deleted: z.number().int().nonnegative(),
  archived: z.number().int().nonnegative(),
});
export type SideCounts = z.infer<typeof sideCountsSchema>;

export const runErrorSchema = z.object({
  /** Human sentence for the pane and the CLI. */
  message: z.string(),
  kind: z.enum(['transient', 'auth', 'forbidden', 'not-found', 'conflict', 'invalid', 'permanent', 'internal']),
  side: z.enum(['crm', 'calendar', 'connector']),
  itemId: z.string().nullable(),
  retryable: z.boolean(),
});
export type RunError = z.infer<typeof runErrorSchema>;

export const runTriggerSchema = z.enum(['manual', 'schedule', 'notification', 'webhook', 'cli', 'retry']);
export type RunTrigger = z.infer<typeof runTriggerSchema>;

export const runStatusSchema = z.enum([
  'queued',
  'running',
  'succeeded',
  'partial', // finished with item errors
  'failed',
  'needs-confirmation', // mass-deletion breaker tripped (SPEC §5)
  'needs-reauth',
  'preview',
  'interrupted', // its worker or the database went away mid-run, or it lost its lease; it runs again (a retry)
]);
export type RunStatus = z.infer<typeof runStatusSchema>;

/**
 * What a History entry that is not a sync run records: a duplicate cleanup, its undo, a reset. Absent on sync runs.
 * They share the run record (same store, same History list, same trail by runId) rather than a table of their own.
 */
export const historyActionSchema = z.enum(['cleanup', 'cleanup-undo', 'reset']);
export type HistoryAction = z.infer<typeof historyActionSchema>;

/** The run report of SPEC §11 (JSON from `crm-sync sync --json`, the API and the pane's History view). */
export const runReportSchema = z.object({
  runId: z.string(),
  kind: historyActionSchema.optional(),
  status: runStatusSchema,
  trigger: runTriggerSchema,
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  crm: sideCountsSchema,
  calendar: sideCountsSchema,
  conflicts: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  invitationsSent: z.number().int().nonnegative(),
  errors: z.array(runErrorSchema),
  /** Set when the deletion breaker stopped the run: what it would delete per side. */
  pendingDeletions: z
    .object({ crm: z.number().int().nonnegative(), calendar: z.number().int().nonnegative(), reason: z.string() })
    .nullable(),
});
export type RunReport = z.infer<typeof runReportSchema>;

export function emptySideCounts(): SideCounts {
  return { created: 0, updated: 0, deleted: 0, archived: 0 };
}

/** A run's report as it starts: `running`, nothing counted yet. */
export function startedReport(runId: string, trigger: RunTrigger, startedAt: string): RunReport {
  return {
    runId,
    status: 'running',
    trigger,
    startedAt,
    finishedAt: null,
    crm: emptySideCounts(),
    calendar: emptySideCounts(),
    conflicts: 0,
    skipped: 0,
    invitationsSent: 0,
    errors: [],
    pendingDeletions: null,
  };
}
