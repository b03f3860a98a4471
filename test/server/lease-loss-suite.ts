/**
 * A run whose lease is lost stops: called from the SQLite and the PostgreSQL test files. The run's lease is taken
 * over (or cannot be renewed before it expires) while its first batch of calendar writes is out; the run must write
 * nothing more (no link, no next batch, no cursor), be recorded `interrupted` with the reason, leave the lease to
 * its new holder, and the user's next run must converge without duplicates (the write intents cover the batch).
 */
import crypto from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../../src/server/config';
import { InProcessQueue } from '../../src/server/jobs/in-process-queue';
import type { EngineApi } from '../../src/server/runs/engine-api';
import { engine as realEngine } from '../../src/server/runs/engine';
import { leaseLostMessages } from '../../src/server/runs/run-lease';
import { createRuntime, type Runtime } from '../../src/server/runtime';
import type { Db } from '../../src/server/store/database';
import { fixedClock } from '../../src/shared/clock';
import type { MemoryCalendar } from '../../src/sync/testing';
import { meetingFields } from '../support/crm-drafts';
import { MemoryWorld } from './support/memory-connectors';

export function describeLeaseLoss(name: string, open: () => Promise<Db>): void {
  describe(`a run that loses its lease, on ${name}`, () => {
    let db: Db;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => {
      await db.close();
    });

    /** A runtime whose runs renew their lease every 50 ms, a user with 45 meetings to push (three batches of 20). */
    async function setup() {
      const clock = fixedClock('2030-01-01T08:00:00.000Z');
      const world = new MemoryWorld(clock);
      let signal: AbortSignal | undefined;
      const engine: EngineApi = {
        ...realEngine,
        runSync: (ctx, opts) => {
          signal = ctx.signal;
          return realEngine.runSync(ctx, opts);
        },
      };
      const rt: Runtime = await createRuntime(
        loadConfig({
          LOG_LEVEL: 'silent',
          DATABASE_URL: 'sqlite::memory:',
          CONNECTOR_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
        }),
        db,
        {
          engine,
          registry: world.registry(),
          clock,
          logger: pino({ level: 'silent' }),
          verifier: { verify: () => Promise.reject(new Error('no tokens here')) },
          queue: new InProcessQueue(),
          runOptions: { now: clock, leaseTtlMs: 150, waitPollMs: 5 },
        },
      );
      const tenantId = `lease-${crypto.randomUUID()}`;
      const email = `ann@${tenantId}.test`;
      const user = await rt.users.create({ tenantId, email });
      await rt.connectionService.connect(tenantId, user.id, 'crm', {
        provider: 'memcrm',
        method: 'token',
        fields: { account: email },
      });
      await rt.connectionService.connect(tenantId, user.id, 'calendar', {
        provider: 'memcal',
        method: 'password',
        fields: { username: email, password: 'pw' },
      });
      const crm = world.crm(email);
      for (let i = 0; i < 45; i++) {
        const start = new Date(Date.UTC(2030, 0, 10 + (i % 20), 8 + Math.floor(i / 20)));
        crm.userCreate({
          type: 'meeting',
          syncToCalendar: true,
          fields: meetingFields({
            subject: `Meeting ${i}`,
            // With someone besides the user: only related items sync by default.
            attendees: [{ email: `client${i}@customer.test` }],
            timing: {
              kind: 'timed',
              start: start.toISOString(),
              end: new Date(start.getTime() + 1_800_000).toISOString(),
              timeZone: 'UTC',
            },
          }),
        });
      }
      const calendar: MemoryCalendar = world.calendar(email);
      const batches: number[] = [];
      /** Lets the first batch through, then `during` (which loses the lease) and waits for the run's abort. */
      const onFirstBatch = (during: () => Promise<void>) => {
        const write = calendar.writeEvents.bind(calendar);
        jest.spyOn(calendar, 'writeEvents').mockImplementation(async (calendarId, writes) => {
          batches.push(writes.length);
          const results = await write(calendarId, writes);
          if (batches.length === 1) {
            await during();
            const s = signal!;
            await new Promise<void>((resolve) =>
              s.aborted ? resolve() : s.addEventListener('abort', () => resolve(), { once: true }),
            );
          }
          return results;
        });
      };
      const leaseRow = () =>
        db.kysely
          .selectFrom('sync_state')
          .select(['lease_owner', 'running_run_id', 'next_run_at', 'failures'])
          .where('tenant_id', '=', tenantId)
          .where('user_id', '=', user.id)
          .executeTakeFirstOrThrow();
      return { rt, tenantId, user, calendar, batches, onFirstBatch, leaseRow };
    }

    it('taken over mid-run: aborts, writes nothing more, is recorded interrupted, leaves the new lease alone', async () => {
      const { rt, tenantId, user, calendar, batches, onFirstBatch, leaseRow } = await setup();
      try {
        // What the janitor does with an expired lease, or another worker's run taking it over.
        onFirstBatch(async () => {
          await db.kysely
            .updateTable('sync_state')
            .set({ lease_owner: 'other-worker', running_run_id: 'other-run' })
            .where('tenant_id', '=', tenantId)
            .where('user_id', '=', user.id)
            .execute();
        });
        const runId = crypto.randomUUID();
        const report = await rt.runs.run({ tenantId, userId: user.id, runId, trigger: 'schedule' });
        expect(report.status).toBe('interrupted');
        expect(report.errors.map((e) => e.message)).toContain(leaseLostMessages.taken);
        // The batch in flight went out; nothing after it: no second batch, no link, no cursor.
        expect(batches).toEqual([20]);
        expect(calendar.all('primary')).toHaveLength(20);
        const store = rt.runs.store(tenantId, user.id);
        expect(await store.loadLinks()).toEqual([]);
        expect(await store.getCursor('crm')).toBeNull();
        // History says why.
        const saved = await store.getRun(runId);
        expect(saved?.status).toBe('interrupted');
        expect(saved?.finishedAt).not.toBeNull();
        expect(saved?.errors.map((e) => e.message)).toContain(leaseLostMessages.taken);
        // The new holder's lease is not released, and the schedule is not this run's to set.
        expect(await leaseRow()).toEqual({
          lease_owner: 'other-worker',
          running_run_id: 'other-run',
          next_run_at: null,
          failures: 0,
        });

        // Once the other run ends, the next run finds the batch (its write intents) and converges: no duplicates.
        jest.mocked(calendar.writeEvents).mockRestore();
        await rt.syncState.release(tenantId, user.id, 'other-worker', { nextRunAt: null, failures: 0 }, 'other-run');
        const next = await rt.runs.run({ tenantId, userId: user.id, trigger: 'retry' });
        expect(next.status).toBe('succeeded');
        const events = calendar.all('primary');
        expect(events).toHaveLength(45);
        expect(new Set(events.map((e) => e.crmTag)).size).toBe(45);
      } finally {
        await rt.stop();
      }
    });

    it('not renewed before it expired (the database away): aborts and is recorded interrupted', async () => {
      const { rt, tenantId, user, batches, onFirstBatch, leaseRow } = await setup();
      try {
        onFirstBatch(async () => {
          jest.spyOn(rt.syncState, 'renew').mockRejectedValue(new Error('Connection terminated unexpectedly'));
        });
        const runId = crypto.randomUUID();
        const report = await rt.runs.run({ tenantId, userId: user.id, runId, trigger: 'schedule' });
        expect(report.status).toBe('interrupted');
        expect(report.errors.map((e) => e.message)).toContain(leaseLostMessages.expired);
        expect(batches).toEqual([20]);
        expect((await rt.runs.store(tenantId, user.id).getRun(runId))?.status).toBe('interrupted');
        // Not released: the janitor clears the expired lease and queues the retry once the database is back.
        expect(await leaseRow()).toMatchObject({ lease_owner: rt.runs.owner, running_run_id: runId });
      } finally {
        jest.restoreAllMocks();
        await rt.stop();
      }
    });
  });
}
