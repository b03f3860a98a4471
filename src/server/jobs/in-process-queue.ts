import type { QueueStats, RunJob, RunJobHandler, RunQueue } from './queue';

/**
 * The embedded default's queue: jobs of one user run one after another; different users run concurrently up to
 * `concurrency`. Nothing survives a restart, which is fine: the schedule re-creates automatic runs.
 */
export class InProcessQueue implements RunQueue {
  readonly kind = 'in-process' as const;
  private handler: RunJobHandler | null = null;
  private readonly waiting: { job: RunJob; at: number }[] = [];
  private readonly busyUsers = new Set<string>();
  private readonly active = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly concurrency = 4) {}

  async enqueue(job: RunJob): Promise<void> {
    if (this.stopped) throw new Error('the run queue is stopped');
    this.waiting.push({ job, at: performance.now() });
    this.pump();
  }

  async work(handler: RunJobHandler): Promise<void> {
    this.handler = handler;
    this.pump();
  }

  private pump(): void {
    if (!this.handler || this.stopped) return;
    while (this.active.size < this.concurrency) {
      const i = this.waiting.findIndex((w) => !this.busyUsers.has(w.job.userId));
      if (i < 0) return;
      const { job } = this.waiting.splice(i, 1)[0]!;
      this.busyUsers.add(job.userId);
      const handler = this.handler;
      const p: Promise<void> = handler(job)
        .catch(() => {})
        .finally(() => {
          this.busyUsers.delete(job.userId);
          this.active.delete(p);
          this.pump();
        });
      this.active.add(p);
    }
  }

  async stats(): Promise<QueueStats> {
    const oldest = this.waiting[0];
    return {
      depth: this.waiting.length,
      active: this.active.size,
      // Measured on the monotonic clock: only the wait's length matters here.
      oldestAgeSeconds: oldest ? (performance.now() - oldest.at) / 1000 : 0,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    while (this.active.size) await Promise.allSettled([...this.active]);
  }
}
