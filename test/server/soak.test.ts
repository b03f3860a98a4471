/**
 * Soak (issue 16): SOAK_USERS (default 200) users with automatic sync on, two real `crm-sync worker` processes on an
 * embedded PostgreSQL, SOAK_ROUNDS (default 3) automatic runs each. Round 0 is the schedulers' own (automatic sync
 * turned on: every user due at once); for each next round the test moves every user's next run to now, as if their
 * interval had passed, so many runs happen in minutes instead of hours, through the same scheduler claim, pg-boss
 * queue, lease and run history. Then: every user ran every round and each run succeeded, no two runs of one user
 * ever overlapped, no job is left queued / active / retrying, no run "running", no lease held, and every job the
 * schedulers queued has its run in the history (and no run exists without its job).
 *
 * `npm run test:soak` runs it alone; SOAK_USERS / SOAK_ROUNDS size it.
 */
import { sql } from 'kysely';
import type { RunReport } from '../../src/shared/run-report';
import { SettingsRepository } from '../../src/server/store/settings';
import { systemClock } from '../../src/shared/clock';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { pgCluster, type PgCluster } from './support/pg-processes';

const users = Number(process.env.SOAK_USERS ?? '200');
const rounds = Number(process.env.SOAK_ROUNDS ?? '3');

jest.setTimeout(60_000 + users * rounds * 600);

let pg: TestPostgres;
let cluster: PgCluster;
afterAll(async () => {
  await cluster?.close().catch(() => {});
  await pg?.stop();
});

// The time-travel run (scripts/time-travel.sh, faketime) checks date logic; this one has none and runs in `npm test`.
const underTimeTravel = !!process.env.FAKETIME;
if (underTimeTravel) process.stdout.write('soak: skipped under time travel (it runs in the normal suite)\n');

(underTimeTravel ? describe.skip : describe)(`soak: ${users} users, two workers, ${rounds} automatic runs each`, () => {
  it('runs every user every round, never two runs of one user at once, and leaves no job or run behind', async () => {
    const started = performance.now();
    pg = await startPostgres();
    cluster = await pgCluster(pg, {
      users,
      env: { HOLD_MS: '20', RUN_LEASE_SECONDS: '10', WORKER_MAINTENANCE_SECONDS: '2', WORKER_CONCURRENCY: '8' },
    });
    // Automatic sync on for the whole tenant (the admin's global layer), every minute.
    await new SettingsRepository(cluster.db.kysely, systemClock).setGlobal('pg', {
      automaticSync: true,
      syncIntervalMinutes: 1,
    });
    await cluster.spawn();
    await cluster.spawn();

    const scheduled = async () =>
      (await cluster.runs())
        .map((r) => ({ ...r, report: JSON.parse(r.data) as RunReport }))
        .filter((r) => r.report.trigger === 'schedule');
    const roundTimes: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const t0 = performance.now();
      if (round > 0) {
        // Every user's interval has passed.
        await sql`update sync_state set next_run_at = ${systemClock().toISOString()} where next_run_at is not null`.execute(
          cluster.db.kysely,
        );
      }
      await cluster.until(
        `round ${round}: every user's automatic run finished`,
        async () => {
          const done = new Map<string, number>();
          for (const r of await scheduled())
            if (r.status !== 'running' && r.status !== 'queued') done.set(r.user_id, (done.get(r.user_id) ?? 0) + 1);
          return cluster.users.every((u) => (done.get(u.id) ?? 0) >= round + 1);
        },
        30_000 + users * 500,
      );
      roundTimes.push((performance.now() - t0) / 1000);
    }
    // Quiet: nothing more is due for a minute, so whatever is in flight now finishes.
    await cluster.until(
      'no job queued, active or retrying and no run running',
      async () => {
        const s = await cluster.jobStates();
        return !s.created && !s.active && !s.retry && (await cluster.runs()).every((r) => r.status !== 'running');
      },
      60_000,
    );

    const runs = await scheduled();
    // Every user ran every round (at least; a claim can never make a user run twice at once, checked below).
    const perUser = new Map<string, number>();
    for (const r of runs) perUser.set(r.user_id, (perUser.get(r.user_id) ?? 0) + 1);
    expect(cluster.users.filter((u) => (perUser.get(u.id) ?? 0) < rounds).map((u) => u.email)).toEqual([]);
    expect(runs.filter((r) => r.status !== 'succeeded').map((r) => [r.user_id, r.status])).toEqual([]);

    // No overlap: per user, the engine's start and end alternate across both worker processes.
    const log = await cluster.log();
    const byUser = new Map<string, string[]>();
    for (const l of log) byUser.set(l.user_email, [...(byUser.get(l.user_email) ?? []), l.event]);
    const overlapping = [...byUser].filter(([, events]) => events.join(',').replace(/start,end,?/g, '') !== '');
    expect(overlapping.map(([u]) => u)).toEqual([]);
    expect(log.length).toBe(2 * (await cluster.runs()).length);

    // Every job the schedulers queued was run and recorded, and every recorded run came from a job.
    const jobs = (
      await sql<{
        state: string;
        run_id: string;
      }>`select state, data->>'runId' as run_id from pgboss.job where name = 'crm-sync-run'`.execute(cluster.db.kysely)
    ).rows;
    expect(jobs.filter((j) => j.state !== 'completed')).toEqual([]);
    const recorded = new Set((await cluster.runs()).map((r) => r.run_id));
    const queued = new Set(jobs.map((j) => j.run_id));
    expect([...queued].filter((id) => !recorded.has(id))).toEqual([]);
    expect([...recorded].filter((id) => !queued.has(id))).toEqual([]);
    const leases = await cluster.db.kysely
      .selectFrom('sync_state')
      .select('lease_owner')
      .where('lease_owner', 'is not', null)
      .execute();
    expect(leases).toEqual([]);
    // Both workers took part, and both are still alive.
    const pids = new Set(
      (await sql<{ pid: number }>`select distinct pid from test_run_log`.execute(cluster.db.kysely)).rows.map(
        (r) => r.pid,
      ),
    );
    expect(pids.size).toBe(2);
    expect(cluster.children.every((c) => c.alive())).toBe(true);

    const wall = (performance.now() - started) / 1000;
    process.stdout.write(
      `soak: ${JSON.stringify({ users, rounds, runs: runs.length, jobs: jobs.length, roundSeconds: roundTimes.map((t) => Math.round(t * 10) / 10), runsPerSecond: Math.round((runs.length / roundTimes.reduce((a, b) => a + b, 0)) * 10) / 10, wallSeconds: Math.round(wall) })}\n`,
    );
  });
});
