import { PgBoss } from 'pg-boss';
import type { RunJob, RunJobHandler, RunQueue } from './queue';

export const runQueueName = 'crm-sync-run';

/**
 * Production queue on PostgreSQL (pg-boss): any number of `crm-sync worker` processes on any machines take
 * jobs; a job whose worker died is retried after its expiry. Overlap per user is prevented by the run lease.
 */
export class PgBossQueue implements RunQueue {
  readonly kind = 'pg-boss' as const;
  private readonly boss: PgBoss;
  private started: Promise<void> | null = null;

  constructor(
    connectionString: string,
    private readonly options: { concurrency?: number; pollSeconds?: number } = {},
  ) {
    this.boss = new PgBoss({ connectionString, max: 4 });
    this.boss.on('error', () => {});
  }

  private start(): Promise<void> {
    this.started ??= (async () => {
      await this.boss.start();
      await this.boss.createQueue(runQueueName, {
        retryLimit: 3,
        retryDelay: 30,
        retryBackoff: true,
      });
    })();
    return this.started;
  }

  async enqueue(job: RunJob): Promise<void> {
    await this.start();
    await this.boss.send(runQueueName, job as unknown as object, { singletonKey: job.runId });
  }

  /**
   * Takes jobs in `concurrency` slots of one job each. A slot that finished a job asks pg-boss to fetch again at
   * once instead of sleeping a polling interval, so a busy queue drains at the speed of the runs.
   */
  async work(handler: RunJobHandler): Promise<void> {
    await this.start();
    const slots = this.options.concurrency ?? 4;
    for (let i = 0; i < slots; i++) {
      let id = '';
      id = await this.boss.work<RunJob>(
        runQueueName,
        { batchSize: 1, pollingIntervalSeconds: this.options.pollSeconds ?? 0.5 },
        async (jobs) => {
          try {
            await Promise.all(jobs.map((j) => handler(j.data)));
          } finally {
            if (jobs.length) setImmediate(() => this.boss.notifyWorker(id));
          }
        },
      );
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    await this.boss.stop({ graceful: true, timeout: 60_000 }); // resolves once stopped (pg-boss 11+)
  }
}
