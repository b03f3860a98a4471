import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { RunReport, RunTrigger } from '../../shared/run-report';
import { startedReport } from '../../shared/run-report';
import type { ConnectionService } from '../connections/connection-service';
import type { ConnectionRecord, ConnectionRepository } from '../store/connections';
import { DbStatusStore } from '../store/db-status-store';
import { RunStatusStore } from '../store/run-status-store';
import type { SyncSettings } from '../../shared/settings';
import type { Db } from '../store/database';
import type { SyncStateRepository } from '../store/sync-state';
import type { UserRecord, UserRepository } from '../store/users';
import { HttpError, notFound } from '../errors';
import type { EngineApi, EngineContext } from './engine-api';
import type { UserSettingsService } from './user-settings';
import { systemClock } from '../../shared/clock';
import { guardProviderWrites, guardWrites, RunLease } from './run-lease';

export interface RunRequest {
  tenantId: string;
  userId: string;
  runId?: string;
  trigger: RunTrigger;
  confirmDeletions?: boolean;
  /**
   * The run was queued and counted in the user's queued count: taking the lease takes it off the count (in the same
   * statement), and a run that ends before it holds the lease takes it off on its way out.
   */
  fromQueue?: boolean;
}

/** A run's report, and the calendar connection it ran with (the worker keeps its notifications subscribed). */
export interface RunOutcome {
  report: RunReport;
  calendar: ConnectionRecord | null;
}

/** What a run read once at its start and uses again at its end (instead of reading it again). */
interface RunInputs {
  user: UserRecord;
  settings: SyncSettings | null;
  connections: ConnectionRecord[] | null;
}

export interface RunServiceOptions {
  /** This process's name in run leases (host:pid:random). */
  owner?: string;
  leaseTtlMs?: number;
  /** How often a waiting run checks whether the user's running one finished. */
  waitPollMs?: number;
  /** How long a run waits behind a running one before giving up. */
  maxWaitMs?: number;
  /** ±fraction of the interval added at random, so users do not all run at the same second. */
  jitter?: number;
  random?: () => number;
  now?: () => Date;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    // The listener goes when the sleep ends either way: a run waiting long for a lease sleeps many times on the
    // same shutdown signal, and listeners left behind pile up (MaxListenersExceededWarning, a slow leak).
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Runs the engine for one user at a time (a database lease shared by every process), feeds it the user's
 * providers, settings and status store, and decides what happens next: the next automatic run with jitter,
 * a retry with backoff after a failure, or a pause when authorization was revoked (SPEC §6, §7).
 */
export class RunService {
  readonly owner: string;
  private readonly o: Required<Omit<RunServiceOptions, 'owner'>>;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly shutdown = new AbortController();

  constructor(
    private readonly deps: {
      db: Db;
      users: UserRepository;
      connections: ConnectionRepository;
      connectionService: ConnectionService;
      settings: UserSettingsService;
      syncState: SyncStateRepository;
      engine: EngineApi;
      logger: Logger;
    },
    options: RunServiceOptions = {},
  ) {
    this.owner = options.owner ?? `${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
    this.o = {
      leaseTtlMs: options.leaseTtlMs ?? 120_000,
      waitPollMs: options.waitPollMs ?? 500,
      maxWaitMs: options.maxWaitMs ?? 30 * 60_000,
      jitter: options.jitter ?? 0.1,
      random: options.random ?? Math.random,
      now: options.now ?? systemClock,
      sleep: options.sleep ?? defaultSleep,
    };
  }

  /** Runs holding or waiting for a lease in this process now (the worker heartbeat reports it). */
  get activeRuns(): number {
    return this.inFlight.size;
  }

  store(tenantId: string, userId: string): DbStatusStore {
    return new DbStatusStore(this.deps.db.kysely, tenantId, userId);
  }

  /** Everything the engine needs for one user; throws NotConnectedError when a side is missing. */
  async context(tenantId: string, userId: string, signal?: AbortSignal): Promise<EngineContext> {
    const user = await this.user(tenantId, userId);
    return this.contextFor(user, this.store(tenantId, userId), { user, settings: null, connections: null }, signal);
  }

  /**
   * The engine context from one read of the connections and one of the settings layers (run in parallel); what was
   * read is kept in `inputs` for the end of the run.
   */
  private async contextFor(
    user: UserRecord,
    store: DbStatusStore,
    inputs: RunInputs,
    signal?: AbortSignal,
  ): Promise<EngineContext> {
    const [{ crm, calendar }, settings] = await Promise.all([
      this.deps.connectionService.openBoth(user.tenantId, user.id),
      this.deps.settings.resolvedFor(user),
    ]);
    inputs.settings = settings;
    inputs.connections = [crm.record, calendar.record];
    const opts = calendar.record.options;
    let target = opts.targetCalendarId ?? null;
    let sources = opts.sourceCalendarIds ?? [];
    if (!target || sources.length === 0) {
      // SPEC §3: the default is the primary calendar for both.
      const primary = (await calendar.provider.listCalendars()).find((c) => c.isDefault);
      if (!primary) throw new HttpError(409, 'conflict', 'The calendar account has no default calendar: choose one.');
      target = target ?? primary.id;
      if (sources.length === 0) sources = [primary.id];
    }
    return {
      crm: crm.provider,
      calendar: calendar.provider,
      store,
      settings,
      userEmail: user.email,
      calendars: { targetCalendarId: target, sourceCalendarIds: sources },
      now: this.o.now,
      ...(signal ? { signal } : {}),
    };
  }

  private async user(tenantId: string, userId: string): Promise<UserRecord> {
    const user = await this.deps.users.get(tenantId, userId);
    if (!user) throw notFound('user');
    return user;
  }

  /**
   * One run now. Waits (polling the lease) while another process or request runs this user, so runs never
   * overlap and Sync now queues behind a running one.
   */
  async run(req: RunRequest): Promise<RunReport> {
    return (await this.runWithOutcome(req)).report;
  }

  /** `run`, also giving the calendar connection the run used (null when it failed before reading it). */
  async runWithOutcome(req: RunRequest): Promise<RunOutcome> {
    if (this.shutdown.signal.aborted) throw new HttpError(503, 'unavailable', 'The connector is shutting down.');
    const runId = req.runId ?? crypto.randomUUID();
    const p = this.runHoldingLease({ ...req, runId });
    this.inFlight.add(p);
    try {
      return await p;
    } finally {
      this.inFlight.delete(p);
    }
  }

  /**
   * Waits for the user's lease (another run may hold it) and takes it; gives the user's failure count before.
   * With `dequeue` the statement that takes the lease also takes the run off the user's queued count.
   */
  private async acquire(
    tenantId: string,
    userId: string,
    runId: string,
    dequeue = false,
  ): Promise<{ failures: number; sentAt: number }> {
    // A duration, not a date: the monotonic clock.
    const deadline = performance.now() + this.o.maxWaitMs;
    for (;;) {
      const sentAt = performance.now();
      const taken = await this.deps.syncState.take(
        tenantId,
        userId,
        this.owner,
        runId,
        this.o.leaseTtlMs,
        this.o.now(),
        {
          dequeue,
        },
      );
      if (taken) return { ...taken, sentAt };
      if (this.shutdown.signal.aborted) throw new HttpError(503, 'unavailable', 'The connector is shutting down.');
      if (performance.now() > deadline)
        throw new HttpError(409, 'conflict', 'Another run for this user is still running.');
      await this.o.sleep(this.o.waitPollMs, this.shutdown.signal);
    }
  }

  /** Runs `fn` (reset, cleanup) while holding the user's lease, so it never interleaves with a run. */
  async exclusive<T>(tenantId: string, userId: string, fn: () => Promise<T>): Promise<T> {
    await this.user(tenantId, userId);
    await this.acquire(tenantId, userId, `exclusive-${crypto.randomUUID()}`);
    try {
      return await fn();
    } finally {
      await this.deps.syncState.releaseKeepingSchedule(tenantId, userId, this.owner);
    }
  }

  private async runHoldingLease(req: RunRequest & { runId: string }): Promise<RunOutcome> {
    const { tenantId, userId, runId } = req;
    let before: { failures: number; sentAt: number };
    let user: UserRecord;
    try {
      user = await this.user(tenantId, userId);
      before = await this.acquire(tenantId, userId, runId, req.fromQueue);
    } catch (e) {
      // Never held the lease, so its statement never took this run off the queued count.
      if (req.fromQueue) await this.deps.syncState.addQueued(tenantId, userId, -1).catch(() => {});
      throw e;
    }
    const abort = new AbortController();
    const onShutdown = () => abort.abort(new Error('shutting down'));
    this.shutdown.signal.addEventListener('abort', onShutdown);
    // Renewed every third of its TTL; once lost (taken over, or not renewed in time), the run is aborted and its
    // store refuses every write: another run of this user may be writing now.
    const lease = new RunLease({
      ttlMs: this.o.leaseTtlMs,
      heldSince: before.sentAt,
      renew: () => this.deps.syncState.renew(tenantId, userId, this.owner, this.o.leaseTtlMs, this.o.now(), runId),
      onLost: (err) => {
        this.deps.logger.warn({ tenantId, userId, runId, reason: err.message }, 'run lease lost: run stopped');
        abort.abort(err);
      },
    });
    lease.start();
    const inputs: RunInputs = { user, settings: null, connections: null };
    let report: RunReport;
    try {
      report = await this.execute(req, inputs, abort.signal, lease);
    } finally {
      lease.stop();
      this.shutdown.signal.removeEventListener('abort', onShutdown);
    }
    // A lost lease is not this run's to release, nor is the user's schedule, pause or connection state to set: the
    // lease's new holder (a retry the janitor queued, another run) does that.
    if (lease.lost === null) await this.afterRun(tenantId, userId, report, before.failures, inputs, runId);
    return { report, calendar: inputs.connections?.find((c) => c.side === 'calendar') ?? null };
  }

  private async execute(
    req: RunRequest & { runId: string },
    inputs: RunInputs,
    signal: AbortSignal,
    lease: RunLease,
  ): Promise<RunReport> {
    const startedAt = this.o.now().toISOString();
    // Under the lease nobody else writes this user's sync state: the run's reads come from one query.
    const guarded = guardWrites(
      new RunStatusStore(this.deps.db.kysely, req.tenantId, req.userId, {
        linksApart: this.deps.db.dialect === 'sqlite',
      }),
      () => lease.check(),
    );
    let report: RunReport;
    try {
      const opened = await this.contextFor(inputs.user, guarded.store, inputs, signal);
      const check = () => lease.check();
      const ctx: EngineContext = {
        ...opened,
        crm: guardProviderWrites(opened.crm, check),
        calendar: guardProviderWrites(opened.calendar, check),
      };
      report = await this.deps.engine.runSync(ctx, {
        runId: req.runId,
        trigger: req.trigger,
        ...(req.confirmDeletions ? { confirmDeletions: true } : {}),
      });
    } catch (e) {
      if (lease.lost !== null) return this.interrupted(req, startedAt, guarded.lastReport(), lease.lost);
      // The engine reports provider trouble in its report; anything thrown here is the connector's own failure.
      const m = (e as { message?: unknown } | null)?.message;
      const message = typeof m === 'string' ? m : String(e);
      this.deps.logger.warn({ runId: req.runId, err: message }, 'run failed before the engine finished');
      const failed: RunReport = {
        ...startedReport(req.runId, req.trigger, startedAt),
        status: 'failed',
        finishedAt: this.o.now().toISOString(),
        errors: [{ message, kind: 'internal', side: 'connector', itemId: null, retryable: true }],
      };
      await this.store(req.tenantId, req.userId).saveRun(failed);
      return failed;
    }
    // Every write of a run that returns was made under its lease (a refused one throws), so its report stands even
    // if the lease was lost since; what comes after (release, schedule) is skipped then.
    return report;
  }

  /**
   * Records a run whose lease was lost as `interrupted`, with what it did until then and why it stopped (its own
   * history row only: writing it cannot disturb the lease's new holder).
   */
  private async interrupted(
    req: RunRequest & { runId: string },
    startedAt: string,
    last: RunReport | null,
    reason: string,
  ): Promise<RunReport> {
    const base: RunReport = last
      ? (JSON.parse(JSON.stringify(last)) as RunReport)
      : startedReport(req.runId, req.trigger, startedAt);
    const report: RunReport & { status: 'interrupted' } = {
      ...base,
      status: 'interrupted',
      finishedAt: this.o.now().toISOString(),
      errors: [
        ...base.errors,
        { message: reason, kind: 'transient', side: 'connector', itemId: null, retryable: true },
      ],
    };
    await this.store(req.tenantId, req.userId)
      .saveInterrupted(report)
      .catch((e: unknown) =>
        // The database may be what took the lease away; the janitor then records the run when it is back.
        this.deps.logger.warn({ runId: req.runId, err: (e as Error).message }, 'could not record the interrupted run'),
      );
    return report;
  }

  /**
   * Next automatic run, retry backoff, pause on revoked authorization; then releases the lease. It uses the settings
   * and connections the run started with (read again only when the run failed before reading them): a setting
   * changed during the run is picked up by the scheduler's reconcile, as one changed between runs is.
   */
  private async afterRun(
    tenantId: string,
    userId: string,
    report: RunReport,
    failuresBefore: number,
    inputs: RunInputs,
    runId: string,
  ) {
    const { syncState, users, connections } = this.deps;
    let settings = inputs.settings;
    if (!settings) {
      try {
        settings = await this.deps.settings.resolvedFor(inputs.user);
      } catch {
        settings = null;
      }
    }
    let paused: { reason: string; message: string } | null = null;
    if (report.status === 'needs-reauth') {
      const authErrors = report.errors.filter((e) => e.kind === 'auth');
      for (const side of ['crm', 'calendar'] as const) {
        const err = authErrors.find((e) => e.side === side);
        if (err) await connections.setStatus(tenantId, userId, side, 'needs-reauth', err.message);
      }
      paused = {
        reason: 'needs-reauth',
        message:
          authErrors[0]?.message ?? 'Authorization expired or was revoked: re-authorize to resume automatic sync.',
      };
    } else if (report.status === 'needs-confirmation') {
      paused = { reason: 'needs-confirmation', message: report.pendingDeletions?.reason ?? 'Confirm the deletions.' };
    } else if (report.status === 'succeeded' || report.status === 'partial') {
      for (const c of inputs.connections ?? (await connections.list(tenantId, userId))) {
        if (c.status !== 'connected') await connections.setStatus(tenantId, userId, c.side, 'connected', null);
      }
    }
    const was = inputs.user.paused;
    // Written only when it changes (a run that finds the user as it was writes nothing here).
    if ((was?.reason ?? null) !== (paused?.reason ?? null) || (was?.message ?? null) !== (paused?.message ?? null))
      await users.setPaused(tenantId, userId, paused);

    const now = this.o.now().getTime();
    const failed = report.status === 'failed';
    const failures = failed ? failuresBefore + 1 : 0;
    let nextRunAt: string | null = null;
    if (settings?.automaticSync && !paused) {
      const intervalMs = settings.syncIntervalMinutes * 60_000;
      const delay = failed
        ? Math.min(intervalMs, 30_000 * 2 ** Math.min(failures - 1, 10))
        : intervalMs * (1 + this.o.jitter * (2 * this.o.random() - 1));
      nextRunAt = new Date(now + Math.round(delay)).toISOString();
    }
    // Only this run's lease: if it was lost, another run of this user (maybe in this process) holds it now.
    await syncState.release(tenantId, userId, this.owner, { nextRunAt, failures }, runId);
  }

  /** Graceful shutdown: running engines are told to stop between writes, then awaited; no new runs start. */
  async stop(): Promise<void> {
    this.shutdown.abort();
    await Promise.allSettled([...this.inFlight]);
  }
}
