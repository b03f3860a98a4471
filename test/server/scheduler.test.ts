import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/server/config';
import { InProcessQueue } from '../../src/server/jobs/in-process-queue';
import type { RunJob } from '../../src/server/jobs/queue';
import { Scheduler } from '../../src/server/jobs/scheduler';
import type { EngineApi, EngineContext } from '../../src/server/runs/engine-api';
import { engine as realEngine } from '../../src/server/runs/engine';
import { createRuntime, type Runtime } from '../../src/server/runtime';
import { openDatabase, type Db } from '../../src/server/store/database';
import { migrateToLatest } from '../../src/server/store/migrations';
import type { UserRecord } from '../../src/server/store/users';
import { emptySideCounts, type RunReport } from '../../src/shared/run-report';
import { MemoryWorld } from './support/memory-connectors';
import { systemClock } from '../../src/shared/clock';

/** An engine double whose run outcome and duration each test decides. */
class ScriptedEngine {
  outcome: RunReport['status'] = 'succeeded';
  hold: ((ctx: EngineContext) => Promise<void>) | null = null;
  readonly log: string[] = [];
  readonly api: EngineApi = {
    ...realEngine,
    runSync: async (ctx, opts) => {
      this.log.push(`start ${ctx.userEmail}`);
      if (this.hold) await this.hold(ctx);
      this.log.push(`end ${ctx.userEmail}`);
      const report: RunReport = {
        runId: opts.runId ?? crypto.randomUUID(),
        status: this.outcome,
        trigger: opts.trigger,
        startedAt: systemClock().toISOString(),
        finishedAt: systemClock().toISOString(),
        crm: emptySideCounts(),
        calendar: emptySideCounts(),
        conflicts: 0,
        skipped: 0,
        invitationsSent: 0,
        errors:
          this.outcome === 'needs-reauth'
            ? [
                {
                  message: 'The calendar token was revoked.',
                  kind: 'auth',
                  side: 'calendar',
                  itemId: null,
                  retryable: false,
                },
              ]
            : [],
        pendingDeletions: null,
      };
      await ctx.store.saveRun(report);
      return report;
    },
  };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scheduler-'));
let db: Db;
let rt: Runtime;
const engine = new ScriptedEngine();
const now = new Date('2030-01-01T08:00:00.000Z');
let random = 0.5;

beforeAll(async () => {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATABASE_URL: `sqlite:${path.join(dir, 'c.db')}`,
    CONNECTOR_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
  });
  db = openDatabase(config.DATABASE_URL);
  await migrateToLatest(db);
  rt = await createRuntime(config, db, {
    engine: engine.api,
    registry: new MemoryWorld(() => now).registry(),
    clock: () => now,
    logger: pino({ level: 'silent' }),
    verifier: { verify: () => Promise.reject(new Error('no tokens here')) },
    queue: new InProcessQueue(),
    runOptions: { now: () => now, random: () => random, waitPollMs: 5, leaseTtlMs: 60_000 },
  });
});
afterAll(async () => {
  await rt.stop();
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function connectedUser(email: string, automaticSync: boolean): Promise<UserRecord> {
  const u = await rt.users.create({ tenantId: 't', email });
  await rt.connectionService.connect('t', u.id, 'crm', {
    provider: 'memcrm',
    method: 'token',
    fields: { account: email },
  });
  await rt.connectionService.connect('t', u.id, 'calendar', {
    provider: 'memcal',
    method: 'password',
    fields: { username: email, password: 'pw' },
  });
  await rt.settings.setUser('t', u.id, { automaticSync });
  return u;
}

describe('scheduler', () => {
  it('schedules users with automatic sync on and claims each due user once', async () => {
    const on = await connectedUser('on@t.test', true);
    const off = await connectedUser('off@t.test', false);
    const queued: RunJob[] = [];
    const scheduler = new Scheduler(
      {
        syncState: rt.syncState,
        users: rt.users,
        connections: rt.connections,
        settings: rt.userSettings,
        queue: {
          kind: 'in-process',
          enqueue: async (j) => void queued.push(j),
          work: async () => {},
          stop: async () => {},
        },
        logger: pino({ level: 'silent' }),
      },
      { now: () => now },
    );
    await scheduler.reconcile();
    expect((await rt.syncState.get('t', on.id)).nextRunAt).toBe(now.toISOString());
    expect((await rt.syncState.get('t', off.id)).nextRunAt).toBeNull();
    expect(await scheduler.tick()).toBe(1);
    expect(queued).toEqual([expect.objectContaining({ userId: on.id, trigger: 'schedule' })]);
    expect(await scheduler.tick()).toBe(0);
    await rt.settings.setUser('t', on.id, { automaticSync: false });
    await scheduler.reconcile();
    expect((await rt.syncState.get('t', on.id)).nextRunAt).toBeNull();
  });
});

describe('run service', () => {
  it('sets the next run at the interval with jitter', async () => {
    const u = await connectedUser('jitter@t.test', true);
    await rt.settings.setGlobal('t', { syncIntervalMinutes: 10 });
    random = 0;
    await rt.runs.run({ tenantId: 't', userId: u.id, trigger: 'schedule' });
    expect((await rt.syncState.get('t', u.id)).nextRunAt).toBe(new Date(now.getTime() + 9 * 60_000).toISOString());
    random = 1;
    await rt.runs.run({ tenantId: 't', userId: u.id, trigger: 'schedule' });
    expect((await rt.syncState.get('t', u.id)).nextRunAt).toBe(new Date(now.getTime() + 11 * 60_000).toISOString());
    random = 0.5;
    await rt.settings.setGlobal('t', {});
  });

  it('retries a failed run with growing backoff, then back to the interval', async () => {
    const u = await connectedUser('flaky@t.test', true);
    engine.outcome = 'failed';
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      await rt.runs.run({ tenantId: 't', userId: u.id, trigger: 'retry' });
      const s = await rt.syncState.get('t', u.id);
      delays.push((Date.parse(s.nextRunAt!) - now.getTime()) / 1000);
    }
    expect(delays).toEqual([30, 60, 120]);
    engine.outcome = 'succeeded';
    await rt.runs.run({ tenantId: 't', userId: u.id, trigger: 'schedule' });
    const s = await rt.syncState.get('t', u.id);
    expect(s.failures).toBe(0);
    expect((Date.parse(s.nextRunAt!) - now.getTime()) / 60_000).toBe(5);
  });

  it('pauses automatic sync when authorization is revoked, and the schedule leaves it paused', async () => {
    const u = await connectedUser('revoked@t.test', true);
    engine.outcome = 'needs-reauth';
    const report = await rt.runs.run({ tenantId: 't', userId: u.id, trigger: 'schedule' });
    engine.outcome = 'succeeded';
    expect(report.status).toBe('needs-reauth');
    expect((await rt.users.get('t', u.id))?.paused).toMatchObject({ reason: 'needs-reauth' });
    expect((await rt.connections.get('t', u.id, 'calendar'))?.status).toBe('needs-reauth');
    expect((await rt.syncState.get('t', u.id)).nextRunAt).toBeNull();
    const scheduler = new Scheduler({
      syncState: rt.syncState,
      users: rt.users,
      connections: rt.connections,
      settings: rt.userSettings,
      queue: rt.queue,
      logger: pino({ level: 'silent' }),
    });
    await scheduler.reconcile();
    expect((await rt.syncState.get('t', u.id)).nextRunAt).toBeNull();
  });

  it('queues Sync now behind a running run of the same user, never in parallel', async () => {
    const u = await connectedUser('busy@t.test', false);
    engine.log.length = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    engine.hold = async () => gate;
    const first = rt.runs.run({ tenantId: 't', userId: u.id, trigger: 'manual' });
    while (!engine.log.includes('start busy@t.test')) await new Promise((r) => setTimeout(r, 5));
    engine.hold = null;
    const second = rt.runs.run({ tenantId: 't', userId: u.id, trigger: 'manual' });
    await new Promise((r) => setTimeout(r, 50));
    expect(engine.log).toEqual(['start busy@t.test']);
    release();
    await Promise.all([first, second]);
    expect(engine.log).toEqual(['start busy@t.test', 'end busy@t.test', 'start busy@t.test', 'end busy@t.test']);
  });

  it('shuts down gracefully: running runs are told to stop, finish, and release the lease', async () => {
    const u = await connectedUser('shutdown@t.test', false);
    let sawAbort = false;
    engine.hold = (ctx) =>
      new Promise<void>((resolve) => {
        ctx.signal?.addEventListener('abort', () => {
          sawAbort = true;
          resolve();
        });
      });
    const running = rt.runs.run({ tenantId: 't', userId: u.id, trigger: 'manual' });
    while ((await rt.syncState.get('t', u.id)).leaseOwner === null) await new Promise((r) => setTimeout(r, 5));
    await rt.runs.stop();
    engine.hold = null;
    expect(sawAbort).toBe(true);
    expect((await running).status).toBe('succeeded');
    expect((await rt.syncState.get('t', u.id)).leaseOwner).toBeNull();
    await expect(rt.runs.run({ tenantId: 't', userId: u.id, trigger: 'manual' })).rejects.toThrow(/shutting down/);
  });
});
