/**
 * Everything that needs real PostgreSQL, on one embedded cluster (startup is slow): the store behaviour, the
 * engine's StatusStore contract, and no overlapping runs for one user across two worker processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { sql } from 'kysely';
import { PgBossQueue } from '../../src/server/jobs/pg-boss-queue';
import { openDatabase, type Db } from '../../src/server/store/database';
import { DbStatusStore } from '../../src/server/store/db-status-store';
import { RunStatusStore } from '../../src/server/store/run-status-store';
import { migrateToLatest } from '../../src/server/store/migrations';
import { ConnectionRepository } from '../../src/server/store/connections';
import { UserRepository } from '../../src/server/store/users';
import { keyringFromEnvironment } from '../../src/server/vault/keyring';
import { Vault } from '../../src/server/vault/vault';
import { describeStatusStoreContract } from '../support/status-store-contract';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { describeLeaseLoss } from './lease-loss-suite';
import { describeStore } from './store-suite';
import { fixedClock } from '../../src/shared/clock';

const testClock = fixedClock('2026-11-21T09:00:00.000Z', 1000);

jest.setTimeout(120_000);

let pg: TestPostgres;
const dbs: Db[] = [];
beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);
afterAll(async () => {
  for (const db of dbs) await db.close().catch(() => {});
  await pg?.stop();
});

async function freshDb(): Promise<Db> {
  const db = openDatabase(await pg.createDatabase());
  await migrateToLatest(db);
  dbs.push(db);
  return db;
}

describeStore('PostgreSQL', async () => {
  const db = openDatabase(await pg.createDatabase());
  await migrateToLatest(db);
  return db;
});

describeLeaseLoss('PostgreSQL', async () => {
  const db = openDatabase(await pg.createDatabase());
  await migrateToLatest(db);
  return db;
});

describe('StatusStore on PostgreSQL', () => {
  let db: Db;
  let n = 0;
  beforeAll(async () => {
    db = await freshDb();
  });
  describeStatusStoreContract('PostgreSQL', async () => {
    const user = await new UserRepository(db.kysely, testClock).create({
      tenantId: 'contract',
      email: `u${++n}@example.com`,
    });
    return { store: new DbStatusStore(db.kysely, 'contract', user.id), cleanup: async () => {} };
  });
  // A run's store reads everything in one query up front and answers from it until it writes: the contract holds
  // both when that snapshot is taken before any write and when it is taken later.
  describeStatusStoreContract('PostgreSQL, a run (snapshot first)', async () => {
    const user = await new UserRepository(db.kysely, testClock).create({
      tenantId: 'contract',
      email: `u${++n}@example.com`,
    });
    const store = new RunStatusStore(db.kysely, 'contract', user.id);
    await store.prefetch();
    return { store, cleanup: async () => {} };
  });
  describeStatusStoreContract('PostgreSQL, a run', async () => {
    const user = await new UserRepository(db.kysely, testClock).create({
      tenantId: 'contract',
      email: `u${++n}@example.com`,
    });
    return { store: new RunStatusStore(db.kysely, 'contract', user.id), cleanup: async () => {} };
  });
});

describe('two worker processes on PostgreSQL', () => {
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) {
      if (c.exitCode === null) {
        c.kill('SIGTERM');
        await new Promise((r) => c.once('exit', r));
      }
    }
  });

  it('never overlap the runs of one user', async () => {
    const url = await pg.createDatabase();
    const db = openDatabase(url);
    dbs.push(db);
    await migrateToLatest(db);
    await sql`create table test_run_log (seq serial primary key, pid integer, user_email text, event text, at text)`.execute(
      db.kysely,
    );
    const masterKey = crypto.randomBytes(32).toString('base64');
    const vault = new Vault(keyringFromEnvironment(masterKey));
    const users = new UserRepository(db.kysely, testClock);
    const conns = new ConnectionRepository(db.kysely, vault, testClock);
    const people = [];
    for (const email of ['one@pg.test', 'two@pg.test']) {
      const u = await users.create({ tenantId: 'pg', email });
      const base = { tenantId: 'pg', userId: u.id, url: null, options: {}, tokenExpiresAt: null };
      await conns.save({ ...base, side: 'crm', provider: 'memcrm', account: email, secret: { account: email } });
      await conns.save({ ...base, side: 'calendar', provider: 'memcal', account: email, secret: { username: email } });
      people.push(u);
    }

    const env = {
      ...process.env,
      DATABASE_URL: url,
      CONNECTOR_MASTER_KEY: masterKey,
      LOG_LEVEL: 'silent',
      HOLD_MS: '80',
    };
    const register = path.join(__dirname, 'support', 'ts-register.cjs');
    const script = path.join(__dirname, 'support', 'pg-worker-child.ts');
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, ['--no-warnings', '-r', register, script], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        let err = '';
        child.stderr!.on('data', (d) => (err += String(d)));
        child.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`worker exited ${code}: ${err}`)));
      });
    }

    const queue = new PgBossQueue(url);
    const perUser = 6;
    for (let i = 0; i < perUser; i++) {
      for (const u of people) {
        await queue.enqueue({
          tenantId: 'pg',
          userId: u.id,
          runId: crypto.randomUUID(),
          trigger: 'manual',
          confirmDeletions: false,
        });
      }
    }
    await queue.stop();

    const total = perUser * people.length;
    for (let i = 0; i < 600; i++) {
      const done = await db.kysely
        .selectFrom('status_runs')
        .select(sql<number>`count(*)`.as('n'))
        // The engine stores a `running` report when it starts: count finished runs only.
        .where('status', 'not in', ['running', 'queued'])
        .executeTakeFirst();
      if (Number(done?.n) >= total) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const runs = await db.kysely.selectFrom('status_runs').select(['status']).execute();
    expect(runs).toHaveLength(total);
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);

    const log = (
      await sql<{
        pid: number;
        user_email: string;
        event: string;
      }>`select pid, user_email, event from test_run_log order by seq`.execute(db.kysely)
    ).rows;
    // Both processes took runs, and for each user, starts and ends strictly alternate: never two at once.
    expect(new Set(log.map((l) => l.pid)).size).toBe(2);
    for (const u of people) {
      const events = log.filter((l) => l.user_email === u.email).map((l) => l.event);
      expect(events).toEqual(Array.from({ length: perUser }, () => ['start', 'end']).flat());
    }
  });
});
