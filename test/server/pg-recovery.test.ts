/**
 * Production on PostgreSQL survives its failures (issue 16, findings 1–2), with real processes on an embedded
 * cluster: `crm-sync worker` and `crm-sync serve` children keep running through a PostgreSQL restart in the middle
 * of runs and resume by themselves; a worker SIGKILLed mid-run has its run recorded as interrupted, its lease
 * released and its user's sync retried within one lease time; nothing stays "running" and no job stays stranded.
 */
import { sql } from 'kysely';
import { interruptedMessage } from '../../src/server/jobs/janitor';
import type { RunReport } from '../../src/shared/run-report';
import { freePort, startPostgres, type TestPostgres } from '../support/postgres';
import { pgCluster, type PgCluster } from './support/pg-processes';

jest.setTimeout(180_000);

let pg: TestPostgres;
const clusters: PgCluster[] = [];
beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);
afterAll(async () => {
  for (const c of clusters) await c.close().catch(() => {});
  await pg?.stop();
});

/** For each user, run starts and ends strictly alternate in the children's log: never two runs at once. */
function expectNoOverlap(log: { user_email: string; event: string }[]): void {
  const byUser = new Map<string, string[]>();
  for (const l of log) byUser.set(l.user_email, [...(byUser.get(l.user_email) ?? []), l.event]);
  for (const [user, events] of byUser) {
    const pairs = events
      .join(',')
      .replace(/start,end/g, '')
      .replace(/,+/g, ',')
      .replace(/^,|,$/g, '');
    // A run killed with its process logs a start with no end; it can only be the user's last in-flight one.
    expect({ user, rest: pairs === '' || pairs === 'start' ? '' : pairs }).toEqual({ user, rest: '' });
  }
}

describe('a PostgreSQL restart in the middle of runs', () => {
  it('leaves workers and the API running; they resume by themselves and every run finishes', async () => {
    const c = await pgCluster(pg, {
      users: 8,
      env: { HOLD_MS: '300', RUN_LEASE_SECONDS: '4', WORKER_MAINTENANCE_SECONDS: '1' },
    });
    clusters.push(c);
    const workers = [await c.spawn(), await c.spawn()];
    const port = await freePort();
    // On PostgreSQL (a production deployment) /metrics is served only with a token.
    const metricsToken = 'pg-recovery-metrics-token-0123';
    const api = await c.spawn({
      CHILD_MODE: 'serve',
      PORT: String(port),
      HOST: '127.0.0.1',
      METRICS_TOKEN: metricsToken,
    });
    const health = async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
    expect(await health()).toBe(200);

    for (let round = 0; round < 4; round++) for (const u of c.users) await c.enqueue(u);
    await c.until('runs under way', async () => (await c.log()).length >= 4);

    await pg.restart(1500);

    await c.until(
      'every job finished and no run left running',
      async () => {
        const states = await c.jobStates();
        const runs = await c.runs();
        return !states.created && !states.active && !states.retry && runs.every((r) => r.status !== 'running');
      },
      90_000,
    );
    for (const w of [...workers, api])
      expect({ pid: w.pid, alive: w.alive(), stderr: w.stderr() }).toEqual({ pid: w.pid, alive: true, stderr: '' });
    await c.until('the API answers healthy again', async () => (await health()) === 200);

    const runs = await c.runs();
    expect(runs.length).toBeGreaterThanOrEqual(c.users.length);
    expect(runs.filter((r) => !['succeeded', 'interrupted'].includes(r.status))).toEqual([]);
    // Every user's latest run succeeded: the interrupted ones were retried.
    for (const u of c.users) {
      const mine = runs
        .filter((r) => r.user_id === u.id)
        .map((r) => JSON.parse(r.data) as RunReport)
        .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
      expect(mine.at(-1)?.status).toBe('succeeded');
    }
    expectNoOverlap(await c.log());
    const leases = await c.db.kysely.selectFrom('sync_state').select('lease_owner').execute();
    expect(leases.filter((l) => l.lease_owner !== null)).toEqual([]);

    // Operators see it: both workers alive, nothing waiting, runs by status, the pool's lost connections.
    await c.until('both worker heartbeats fresh', async () => {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      return r.status === 200 && ((await r.json()) as { workers: { alive: number } }).workers.alive === 2;
    });
    const metrics = await (
      await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })
    ).text();
    expect(metrics).toMatch(/^crm_sync_workers_alive 2$/m);
    expect(metrics).toMatch(/^crm_sync_queue_depth 0$/m);
    expect(metrics).toMatch(/^crm_sync_runs\{status="succeeded",trigger="manual"\} \d+$/m);
    expect(metrics).toMatch(/^crm_sync_db_connection_errors [1-9]\d*$/m);
    expect(metrics).toMatch(/^crm_sync_run_duration_seconds_count \d+$/m);

    // A run queued after the outage still goes through.
    const runId = await c.enqueue(c.users[0]!);
    await c.until('a new run after the restart', async () =>
      (await c.runs()).some((r) => r.run_id === runId && r.status === 'succeeded'),
    );
  });
});

describe('a worker SIGKILLed in the middle of a run', () => {
  it('has the run recorded as interrupted, its lease released and the user retried within one lease time', async () => {
    const c = await pgCluster(pg, {
      users: 3,
      env: { HOLD_MS: '2500', RUN_LEASE_SECONDS: '3', WORKER_MAINTENANCE_SECONDS: '1' },
    });
    clusters.push(c);
    const victim = await c.spawn();
    const runIds = [];
    for (const u of c.users) runIds.push(await c.enqueue(u));
    await c.until('the victim is in the middle of runs', async () =>
      (await c.runs()).some((r) => r.status === 'running'),
    );
    const started = (await c.log()).filter((l) => l.pid === victim.pid && l.event === 'start');
    victim.process.kill('SIGKILL');
    await victim.exited;
    // The restarted worker (and the janitor in it) picks up.
    await c.spawn();

    const killedEmails = new Set(started.map((l) => l.user_email));
    const killedUsers = c.users.filter((u) => killedEmails.has(u.email));
    expect(killedUsers.length).toBeGreaterThan(0);
    await c.until(
      'killed runs interrupted and retried successfully',
      async () => {
        const runs = (await c.runs()).map((r) => ({ ...r, report: JSON.parse(r.data) as RunReport }));
        const held = await c.db.kysely
          .selectFrom('sync_state')
          .select('user_id')
          .where('lease_owner', 'is not', null)
          .execute();
        return (
          held.length === 0 &&
          killedUsers.every(
            (u) =>
              runs.some((r) => r.user_id === u.id && r.status === 'interrupted') &&
              runs.some((r) => r.user_id === u.id && r.report.trigger === 'retry' && r.status === 'succeeded'),
          )
        );
      },
      60_000,
    );
    const runs = (await c.runs()).map((r) => ({ ...r, report: JSON.parse(r.data) as RunReport }));
    const interrupted = runs.filter((r) => r.status === 'interrupted');
    expect(interrupted.length).toBe(killedUsers.length);
    for (const r of interrupted) {
      expect(r.report.finishedAt).not.toBeNull();
      expect(r.report.errors.map((e) => e.message)).toContain(interruptedMessage);
    }
    expect(runs.filter((r) => r.status === 'running')).toEqual([]);
    const held = await c.db.kysely
      .selectFrom('sync_state')
      .select(['user_id', 'lease_owner'])
      .where('lease_owner', 'is not', null)
      .execute();
    expect(held).toEqual([]);
    // The killed worker's heartbeat is no longer fresh; the restarted one's is.
    const beats = await sql<{ pid: number }>`select pid from worker_heartbeats`.execute(c.db.kysely);
    expect(beats.rows.map((b) => Number(b.pid))).toContain(c.children[1]!.pid);
    expectNoOverlap(await c.log());
  });
});
