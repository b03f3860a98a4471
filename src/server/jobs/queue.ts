import type { RunTrigger } from '../../shared/run-report';

/** A request for one user's run, as queued by Sync now, the schedule, a notification or the CLI. */
export interface RunJob {
  tenantId: string;
  userId: string;
  runId: string;
  trigger: RunTrigger;
  confirmDeletions: boolean;
}

/** What /metrics shows about the queue. */
export interface QueueStats {
  /** Jobs waiting to be taken. */
  depth: number;
  /** Jobs taken by a worker and not finished. */
  active: number;
  /** Age of the oldest waiting job (0 when none waits). */
  oldestAgeSeconds: number;
}

export type RunJobHandler = (job: RunJob) => Promise<void>;

/**
 * Where run requests wait: in process for the embedded default, PostgreSQL (pg-boss) for many workers.
 * Either way the RunService's lease is what keeps one user's runs from overlapping.
 */
export interface RunQueue {
  readonly kind: 'in-process' | 'pg-boss';
  enqueue(job: RunJob): Promise<void>;
  /** Starts consuming (a worker). Producers that only enqueue (API-only processes on PostgreSQL) never call it. */
  work(handler: RunJobHandler): Promise<void>;
  /** Depth and age of what waits (for /metrics). */
  stats(now: Date): Promise<QueueStats>;
  /** Stops taking jobs and waits for the ones being handled. */
  stop(): Promise<void>;
}
