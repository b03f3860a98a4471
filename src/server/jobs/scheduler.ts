import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { ConnectionRepository } from '../store/connections';
import type { SyncStateRepository } from '../store/sync-state';
import type { UserRepository } from '../store/users';
import type { UserSettingsService } from '../runs/user-settings';
import type { RunQueue } from './queue';
import { systemClock } from '../../shared/clock';
import { automaticRunsWanted } from '../services/pause';

export interface SchedulerOptions {
  tickMs?: number;
  reconcileMs?: number;
  now?: () => Date;
}

/**
 * Automatic sync (SPEC §6): every tick, claims the users whose next run is due and queues a run for each;
 * every reconcile, makes next_run_at follow each user's effective automatic-sync setting (it may come from a
 * profile or the global layer) and pause. Several schedulers (one per worker) may run: claims are atomic.
 */
export class Scheduler {
  private timers: NodeJS.Timeout[] = [];
  private busy: Promise<void> = Promise.resolve();
  private readonly o: Required<SchedulerOptions>;

  constructor(
    private readonly deps: {
      syncState: SyncStateRepository;
      users: UserRepository;
      connections: ConnectionRepository;
      settings: UserSettingsService;
      queue: RunQueue;
      logger: Logger;
    },
    options: SchedulerOptions = {},
  ) {
    this.o = {
      tickMs: options.tickMs ?? 5000,
      reconcileMs: options.reconcileMs ?? 60_000,
      now: options.now ?? systemClock,
    };
  }

  start(): void {
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => {
        this.busy = this.busy
          .then(() => fn().then(() => undefined))
          .catch((e: unknown) => {
            this.deps.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'scheduler step failed');
          });
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    this.busy = this.reconcile()
      .then(() => this.tick())
      .then(() => undefined)
      .catch(() => {});
    every(this.o.reconcileMs, () => this.reconcile());
    every(this.o.tickMs, () => this.tick());
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.busy;
  }

  /** Queues a run for each due user this scheduler could claim; returns how many. */
  async tick(): Promise<number> {
    const now = this.o.now();
    let queued = 0;
    for (const { tenantId, userId, profileId } of await this.deps.syncState.dueWithProfile(now, 100)) {
      const settings = await this.deps.settings.resolvedFor({ tenantId, id: userId, profileId }).catch(() => null);
      const fallback = new Date(now.getTime() + Math.max(15, settings?.syncIntervalMinutes ?? 5) * 60_000);
      if (!(await this.deps.syncState.claimDue(tenantId, userId, now, fallback))) continue;
      await this.deps.queue.enqueue({
        tenantId,
        userId,
        runId: crypto.randomUUID(),
        trigger: 'schedule',
        confirmDeletions: false,
      });
      queued++;
    }
    return queued;
  }

  /** Aligns next_run_at with automatic sync on/off, pause and connections, for every user. */
  async reconcile(): Promise<void> {
    const now = this.o.now();
    for (const user of await this.deps.users.list()) {
      const state = await this.deps.syncState.get(user.tenantId, user.id);
      const settings = await this.deps.settings.resolved(user.tenantId, user.id).catch(() => null);
      const conns = await this.deps.connections.list(user.tenantId, user.id);
      // The same decision as the status line's pause (src/server/services/pause.ts).
      const wanted = automaticRunsWanted({
        automaticSync: !!settings?.automaticSync,
        stored: user.paused,
        connections: conns,
        pending: null,
      });
      if (wanted && state.nextRunAt === null && state.leaseOwner === null) {
        await this.deps.syncState.setNextRun(user.tenantId, user.id, now.toISOString());
      } else if (!wanted && state.nextRunAt !== null) {
        await this.deps.syncState.setNextRun(user.tenantId, user.id, null);
      }
    }
  }
}
