import type { Runtime } from '../runtime';
import type { RunJob } from './queue';

/**
 * What a worker does with one queued run: run it under the user's lease (taking it off the user's queued count in
 * the same statement), then keep notifications subscribed for the calendars the run used.
 */
export async function handleRunJob(runtime: Runtime, job: RunJob): Promise<void> {
  const { report, calendar } = await runtime.runs.runWithOutcome({
    tenantId: job.tenantId,
    userId: job.userId,
    runId: job.runId,
    trigger: job.trigger,
    confirmDeletions: job.confirmDeletions,
    fromQueue: true,
  });
  if (report.status === 'succeeded' || report.status === 'partial') {
    const calendars = calendar?.options.sourceCalendarIds ?? [];
    if (calendars.length) await runtime.subscriptions.ensure(job.tenantId, job.userId, calendars);
  }
}
