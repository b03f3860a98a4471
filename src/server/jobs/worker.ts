import type { Runtime } from '../runtime';
import type { RunJob } from './queue';

/** What a worker does with one queued run: run it under the user's lease, then keep notifications subscribed. */
export async function handleRunJob(runtime: Runtime, job: RunJob): Promise<void> {
  await runtime.syncState.addQueued(job.tenantId, job.userId, -1);
  const report = await runtime.runs.run({
    tenantId: job.tenantId,
    userId: job.userId,
    runId: job.runId,
    trigger: job.trigger,
    confirmDeletions: job.confirmDeletions,
  });
  if (report.status === 'succeeded' || report.status === 'partial') {
    const conn = await runtime.connections.get(job.tenantId, job.userId, 'calendar');
    const calendars = conn?.options.sourceCalendarIds ?? [];
    if (calendars.length) await runtime.subscriptions.ensure(job.tenantId, job.userId, calendars);
  }
}
