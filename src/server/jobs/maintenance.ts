import os from 'node:os';
import type { Logger } from 'pino';
import type { WorkerRepository } from '../store/workers';
import type { RunJanitor } from './janitor';

export interface MaintenanceOptions {
  /** How often the heartbeat is written and the janitor sweeps. */
  everyMs: number;
  now: () => Date;
}

/** A worker heartbeat not refreshed for this many periods means the worker is gone (healthz, metrics). */
export const heartbeatGraceFactor = 3;

/**
 * A worker's periodic chores: its heartbeat row (so /healthz and /metrics know which workers live) and a janitor
 * sweep. Each step is caught and logged: a database outage only skips beats, and the next one after it writes again.
 */
export class WorkerMaintenance {
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> = Promise.resolve();
  private readonly startedAt: string;

  constructor(
    readonly workerId: string,
    private readonly deps: {
      workers: WorkerRepository;
      janitor: RunJanitor;
      activeRuns: () => number;
      logger: Logger;
    },
    private readonly o: MaintenanceOptions,
  ) {
    this.startedAt = o.now().toISOString();
  }

  start(): void {
    const step = () => {
      this.busy = this.busy.then(() => this.step());
    };
    step();
    this.timer = setInterval(step, this.o.everyMs);
    this.timer.unref();
  }

  /** One heartbeat and one sweep (tests call it directly). */
  async step(): Promise<void> {
    const now = this.o.now();
    try {
      await this.deps.workers.beat({
        id: this.workerId,
        host: os.hostname(),
        pid: process.pid,
        startedAt: this.startedAt,
        seenAt: now.toISOString(),
        activeRuns: this.deps.activeRuns(),
      });
      await this.deps.workers.prune(new Date(now.getTime() - 60 * 60_000));
      await this.deps.janitor.sweep();
    } catch (e) {
      this.deps.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'worker maintenance step failed');
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.busy;
    await this.deps.workers.remove(this.workerId).catch(() => {});
  }
}
