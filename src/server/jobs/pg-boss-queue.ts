import { PgBoss, type ConstructorOptions, type Job } from 'pg-boss';
import pg from 'pg';
import { guardPool } from '../store/database';
import { namePreparedStatements } from '../store/prepared-statements';
import type { QueueStats, RunJob, RunJobHandler, RunQueue } from './queue';

export const runQueueName = 'crm-sync-run';

export interface PgBossQueueOptions {
  /** Runs this process takes at once. */
  concurrency?: number;
  /** How long an idle worker waits before asking for jobs again. */
  pollMs?: number;
  /**
   * How long a taken job may stay active before pg-boss's maintenance hands it to another worker (a worker that
   * died holding it). Sized above the longest run: a run that outlives it is only repeated, never overlapped
   * (the run lease), and a run that died is recovered sooner by the run janitor.
   */
  expireSeconds?: number;
  /** How often pg-boss's maintenance (expiry, retries, archive) runs; one process does it at a time. */
  maintenanceSeconds?: number;
  /** Told about database and queue errors (an outage); the queue keeps going and resumes by itself. */
  onError?: (err: Error) => void;
  /** Name the queue's statements (fetch, completion…) so each connection prepares them once (default on). */
  preparedStatements?: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * Production queue on PostgreSQL (pg-boss): any number of `crm-sync worker` processes on any machines take
 * jobs; a job whose worker died is retried after its expiry. Overlap per user is prevented by the run lease.
 *
 * The consuming loop is ours rather than pg-boss's `work()`: pg-boss's work() completes and fails jobs without awaiting
 * them (seen on pg-boss 10), so a database restart during a run was an unhandled rejection that ended the worker. Here every database
 * call is awaited and caught, the loop backs off while the database is away and resumes on its own, and it takes
 * as many jobs per round trip as it has free slots.
 */
export class PgBossQueue implements RunQueue {
  readonly kind = 'pg-boss' as const;
  private readonly boss: PgBoss;
  private readonly pool: pg.Pool;
  private started: Promise<void> | null = null;
  private stopping = false;
  private loop: Promise<void> | null = null;
  private readonly active = new Set<Promise<void>>();
  private wake: (() => void) | null = null;
  /** Finished jobs whose completion is not recorded yet, with who waits for it. */
  private toComplete: { id: string; recorded: () => void }[] = [];
  private completing: Promise<void> | null = null;
  /** The last job started per user in this process: the next one for that user starts after it. */
  private readonly lastOfUser = new Map<string, Promise<void>>();
  private readonly o: Required<Omit<PgBossQueueOptions, 'onError' | 'preparedStatements'>> &
    Pick<PgBossQueueOptions, 'onError'>;

  constructor(connectionString: string, options: PgBossQueueOptions = {}) {
    this.o = {
      concurrency: options.concurrency ?? 8,
      // An idle worker's fetch finds nothing in well under a millisecond of the database's time; 100 ms keeps Sync now
      // prompt (a job waits at most this long for an idle worker) at 10 cheap queries a second per worker.
      pollMs: options.pollMs ?? 100,
      expireSeconds: options.expireSeconds ?? 600,
      maintenanceSeconds: options.maintenanceSeconds ?? 30,
      onError: options.onError,
    };
    this.pool = new pg.Pool({ connectionString, max: 4, connectionTimeoutMillis: 10_000 });
    guardPool(this.pool, (err) => this.report(err));
    if (options.preparedStatements ?? true) namePreparedStatements(this.pool);
    const db = { executeSql: (text: string, values?: unknown[]) => this.pool.query(text, values) };
    this.boss = new PgBoss({
      db,
      schedule: false,
      maintenanceIntervalSeconds: this.o.maintenanceSeconds,
    } as ConstructorOptions);
    this.boss.on('error', (err) => this.report(err));
  }

  private report(err: unknown): void {
    this.o.onError?.(err instanceof Error ? err : new Error(String(err)));
  }

  /** Starts pg-boss (creates its schema once); a failed start (database down) is tried again on the next call. */
  private start(): Promise<void> {
    this.started ??= (async () => {
      await this.boss.start();
      const policy = {
        // A run that failed outright (the database went away mid-run) comes back after 2, 4, 8… seconds.
        retryLimit: 5,
        retryDelay: 2,
        retryBackoff: true,
        expireInSeconds: this.o.expireSeconds,
      };
      await this.boss.createQueue(runQueueName, policy);
      // createQueue leaves an existing queue as it was: bring its policy up to this version's.
      await this.boss.updateQueue(runQueueName, policy);
    })().catch((e: unknown) => {
      this.started = null;
      throw e;
    });
    return this.started;
  }

  async enqueue(job: RunJob): Promise<void> {
    await this.start();
    await this.boss.send(runQueueName, job as unknown as object, {
      singletonKey: job.runId,
      expireInSeconds: this.o.expireSeconds,
    });
  }

  /** Queues many runs in one statement (the scheduler's tick, the benchmark). */
  async enqueueMany(jobs: readonly RunJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.start();
    await this.boss.insert(
      runQueueName,
      jobs.map((job) => ({
        data: job as unknown as object,
        singletonKey: job.runId,
        expireInSeconds: this.o.expireSeconds,
      })),
    );
  }

  /** Starts the consuming loop (returns once the queue is reachable, or at once if it is not yet). */
  async work(handler: RunJobHandler): Promise<void> {
    if (this.loop) throw new Error('this queue already has a worker');
    this.loop = this.consume(handler);
    await this.start().catch((e: unknown) => this.report(e));
  }

  private async consume(handler: RunJobHandler): Promise<void> {
    let backoff = this.o.pollMs;
    while (!this.stopping) {
      const free = this.o.concurrency - this.active.size;
      if (free <= 0) {
        await Promise.race(this.active);
        continue;
      }
      let jobs: Job<RunJob>[] = [];
      try {
        await this.start();
        // pg-boss's fetch swallows its own query errors (returns none): a down database shows up as empty rounds.
        jobs = await this.boss.fetch<RunJob>(runQueueName, { batchSize: free });
        backoff = this.o.pollMs;
      } catch (e) {
        this.report(e);
        backoff = Math.min(backoff * 2, 5_000);
      }
      for (const job of jobs) this.track(this.handle(handler, job));
      if (jobs.length === 0) await this.idle(backoff);
    }
  }

  private track(p: Promise<void>): void {
    this.active.add(p);
    void p.finally(() => {
      this.active.delete(p);
      // A finished slot asks for the next job at once instead of waiting out the polling interval.
      this.wake?.();
    });
  }

  private async idle(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.wake = null;
  }

  /**
   * Runs one job and records its outcome. Two jobs of one user that this process took run one after the other here,
   * instead of the second polling the user's lease while the first runs. When the database is away at that moment the
   * outcome is recorded once it is back (tried again with backoff), so the job is neither left active until its
   * expiry nor run twice.
   */
  private async handle(handler: RunJobHandler, job: Job<RunJob>): Promise<void> {
    const user = `${job.data.tenantId}/${job.data.userId}`;
    const before = this.lastOfUser.get(user);
    const mine = (async () => {
      if (before) await before;
      let failure: unknown = null;
      try {
        await handler(job.data);
      } catch (e) {
        failure = e;
      }
      if (failure === null) return this.complete(job.id);
      const m = (failure as { message?: unknown } | null)?.message;
      await this.recording(() =>
        this.boss.fail(runQueueName, job.id, { message: typeof m === 'string' ? m : 'run failed' }),
      );
    })();
    this.lastOfUser.set(user, mine);
    try {
      await mine;
    } finally {
      if (this.lastOfUser.get(user) === mine) this.lastOfUser.delete(user);
    }
  }

  /**
   * Records a finished job as completed. Completions that finish while one is being recorded go together in the next
   * statement (a group commit): one round trip for many jobs under load, no wait when idle.
   */
  private complete(id: string): Promise<void> {
    return new Promise<void>((recorded) => {
      this.toComplete.push({ id, recorded });
      this.flushCompletions();
    });
  }

  private flushCompletions(): void {
    if (this.completing) return;
    this.completing = (async () => {
      while (this.toComplete.length) {
        const batch = this.toComplete.splice(0);
        await this.recording(() =>
          this.boss.complete(
            runQueueName,
            batch.map((b) => b.id),
          ),
        );
        for (const b of batch) b.recorded();
      }
    })().finally(() => {
      this.completing = null;
      // One that came in between the loop's last look and here.
      if (this.toComplete.length) this.flushCompletions();
    });
  }

  /** Tries a job outcome until the database takes it (backoff); given up only when stopping. */
  private async recording(record: () => Promise<unknown>): Promise<void> {
    for (let wait = 250; ; wait = Math.min(wait * 2, 5_000)) {
      try {
        await record();
        return;
      } catch (e) {
        this.report(e);
        // Given up only when stopping: pg-boss's expiry then hands the job to another worker.
        if (this.stopping) return;
        await sleep(wait);
      }
    }
  }

  /** Jobs waiting (created or waiting for a retry) and the age of the oldest, for /metrics. */
  async stats(now: Date): Promise<QueueStats> {
    await this.start();
    const r = await this.pool.query<{ depth: string; active: string; oldest: Date | null }>(
      `select count(*) filter (where state in ('created', 'retry')) as depth,
              count(*) filter (where state = 'active') as active,
              min(created_on) filter (where state in ('created', 'retry')) as oldest
         from pgboss.job where name = $1`,
      [runQueueName],
    );
    const row = r.rows[0];
    return {
      depth: Number(row?.depth ?? 0),
      active: Number(row?.active ?? 0),
      oldestAgeSeconds: row?.oldest ? Math.max(0, (now.getTime() - row.oldest.getTime()) / 1000) : 0,
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    while (this.active.size) await Promise.allSettled([...this.active]);
    // pg-boss 11+ resolves stop() once it has stopped.
    if (this.started) await this.boss.stop({ graceful: false, timeout: 10_000 }).catch(() => {});
    await this.pool.end().catch(() => {});
  }
}
