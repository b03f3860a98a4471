/**
 * Real worker and API processes on an embedded PostgreSQL, for the recovery, chaos and overlap tests: users with
 * in-memory providers, `crm-sync worker` / `crm-sync serve` children (support/pg-worker-child.ts), and what the
 * tests read back (run history, the run log the children write, pg-boss job states).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { sql } from 'kysely';
import { PgBossQueue } from '../../../src/server/jobs/pg-boss-queue';
import type { RunJob } from '../../../src/server/jobs/queue';
import { openDatabase, type Db } from '../../../src/server/store/database';
import { migrateToLatest } from '../../../src/server/store/migrations';
import { ConnectionRepository } from '../../../src/server/store/connections';
import { UserRepository, type UserRecord } from '../../../src/server/store/users';
import { keyringFromEnvironment } from '../../../src/server/vault/keyring';
import { Vault } from '../../../src/server/vault/vault';
import type { TestPostgres } from '../../support/postgres';
import { systemClock } from '../../../src/shared/clock';

export interface Child {
  process: ChildProcess;
  pid: number;
  stderr: () => string;
  alive: () => boolean;
  exited: Promise<number | null>;
}

export interface PgCluster {
  url: string;
  db: Db;
  users: UserRecord[];
  env: NodeJS.ProcessEnv;
  children: Child[];
  spawn(extra?: NodeJS.ProcessEnv): Promise<Child>;
  enqueue(user: UserRecord, trigger?: RunJob['trigger']): Promise<string>;
  runs(): Promise<{ user_id: string; run_id: string; status: string; data: string }[]>;
  jobStates(): Promise<Record<string, number>>;
  log(): Promise<{ pid: number; user_email: string; event: string; at: string }[]>;
  /** Polls `check` until it returns true (or throws after `timeoutMs`, with `what` in the message). */
  until(what: string, check: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const register = path.join(__dirname, 'ts-register.cjs');
const script = path.join(__dirname, 'pg-worker-child.ts');

export async function pgCluster(pg: TestPostgres, o: { users: number; env?: NodeJS.ProcessEnv }): Promise<PgCluster> {
  const url = await pg.createDatabase();
  const db = openDatabase(url);
  await migrateToLatest(db);
  await sql`create table test_run_log (seq serial primary key, pid integer, user_email text, event text, at text)`.execute(
    db.kysely,
  );
  const masterKey = crypto.randomBytes(32).toString('base64');
  const vault = new Vault(keyringFromEnvironment(masterKey));
  const userRepo = new UserRepository(db.kysely, systemClock);
  const conns = new ConnectionRepository(db.kysely, vault, systemClock);
  const users: UserRecord[] = [];
  for (let i = 0; i < o.users; i++) {
    const email = `u${i}@pg.test`;
    const u = await userRepo.create({ tenantId: 'pg', email });
    const base = { tenantId: 'pg', userId: u.id, url: null, options: {}, tokenExpiresAt: null };
    await conns.save({ ...base, side: 'crm', provider: 'memcrm', account: email, secret: { account: email } });
    await conns.save({ ...base, side: 'calendar', provider: 'memcal', account: email, secret: { username: email } });
    users.push(u);
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url,
    CONNECTOR_MASTER_KEY: masterKey,
    LOG_LEVEL: 'silent',
    AUTH_MODE: 'dev',
    ...o.env,
  };
  const children: Child[] = [];
  let queue: PgBossQueue | null = null;

  const cluster: PgCluster = {
    url,
    db,
    users,
    env,
    children,
    async spawn(extra = {}) {
      const p = spawn(process.execPath, ['--no-warnings', '-r', register, script], {
        env: { ...env, ...extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      p.stderr!.on('data', (d) => (err += String(d)));
      const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
      await new Promise<void>((resolve, reject) => {
        p.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
        void exited.then((code) => reject(new Error(`child exited ${code}: ${err}`)));
      });
      const child: Child = {
        process: p,
        pid: p.pid!,
        stderr: () => err,
        alive: () => p.exitCode === null && p.signalCode === null,
        exited,
      };
      children.push(child);
      return child;
    },
    async enqueue(user, trigger = 'manual') {
      // Queued as `crm-sync serve` would: with the deployment's job expiry (a killed worker's job is handed on after it).
      queue ??= new PgBossQueue(url, {
        onError: () => {},
        ...(env.RUN_JOB_EXPIRY_SECONDS ? { expireSeconds: Number(env.RUN_JOB_EXPIRY_SECONDS) } : {}),
      });
      const runId = crypto.randomUUID();
      await queue.enqueue({ tenantId: user.tenantId, userId: user.id, runId, trigger, confirmDeletions: false });
      return runId;
    },
    async runs() {
      return db.kysely.selectFrom('status_runs').select(['user_id', 'run_id', 'status', 'data']).execute();
    },
    async jobStates() {
      const rows = (
        await sql<{
          state: string;
          n: string;
        }>`select state, count(*) as n from pgboss.job where name = 'crm-sync-run' group by state`.execute(db.kysely)
      ).rows;
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
    },
    async log() {
      return (
        await sql<{
          pid: number;
          user_email: string;
          event: string;
          at: string;
        }>`select pid, user_email, event, at from test_run_log order by seq`.execute(db.kysely)
      ).rows;
    },
    async until(what, check, timeoutMs = 60_000) {
      const deadline = performance.now() + timeoutMs;
      let last: unknown = null;
      while (performance.now() < deadline) {
        try {
          if (await check()) return;
        } catch (e) {
          last = e; // the database may be restarting
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`timed out waiting for: ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    },
    async close() {
      await queue?.stop();
      for (const c of children) {
        if (c.alive()) {
          c.process.kill('SIGTERM');
          await c.exited;
        }
      }
      await db.close();
    },
  };
  return cluster;
}
