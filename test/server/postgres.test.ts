/**
 * Everything that needs real PostgreSQL, on one embedded cluster (startup is slow): the store behaviour, the
 * engine's StatusStore contract, and no overlapping runs for one user across two worker processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
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
import { loadConfig } from '../../src/server/config';
import { InProcessQueue } from '../../src/server/jobs/in-process-queue';
import { createRuntime } from '../../src/server/runtime';
import { MemoryWorld } from './support/memory-connectors';
import { StatementNames } from '../../src/server/store/prepared-statements';

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

describe('secrets at rest on PostgreSQL (SPEC §9)', () => {
  /** Every file under the cluster's data directory (heap, indexes, TOAST, WAL, …), with its bytes. */
  function* dataFiles(dir: string): Generator<{ file: string; bytes: Buffer }> {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) yield* dataFiles(file);
      else if (entry.isFile()) yield { file, bytes: fs.readFileSync(file) };
    }
  }

  it('no plaintext secret in any table, heap file or WAL segment after a checkpoint', async () => {
    const db = await freshDb();
    const clock = fixedClock('2030-01-01T08:00:00.000Z');
    const world = new MemoryWorld(clock);
    const rt = await createRuntime(
      loadConfig({
        LOG_LEVEL: 'silent',
        DATABASE_URL: 'sqlite::memory:',
        CONNECTOR_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
        PUBLIC_URL: 'https://connector.example.test',
      }),
      db,
      {
        registry: world.registry(),
        clock,
        logger: pino({ level: 'silent' }),
        verifier: { verify: () => Promise.reject(new Error('no tokens here')) },
        queue: new InProcessQueue(),
      },
    );
    try {
      const tag = crypto.randomBytes(6).toString('hex');
      const caldavPassword = `CalDAV-Passw0rd-${tag}`;
      const oauthCode = `code${tag}`;
      const refreshToken = `rt-${oauthCode}`; // what the memory connector's code exchange answers
      const rotatedRefreshToken = `Rotated-Refresh-Token-${tag}`;
      const clientSecret = `Client-Secret-${tag}`;
      const pendingClientSecret = `Pending-Client-Secret-${tag}`;
      const secrets = [caldavPassword, refreshToken, rotatedRefreshToken, clientSecret, pendingClientSecret];

      const ann = await rt.users.create({ tenantId: 'at-rest', email: `ann-${tag}@rest.test` });
      const bob = await rt.users.create({ tenantId: 'at-rest', email: `bob-${tag}@rest.test` });
      // A CalDAV-style password connection.
      await rt.connectionService.connect('at-rest', ann.id, 'calendar', {
        provider: 'memcal',
        method: 'password',
        fields: { username: ann.email, password: caldavPassword },
      });
      // An OAuth connection: start (the state row holds the PKCE verifier and the form, client secret included),
      // then the callback stores the refresh token; then a refresh rotates it, as the CRM connectors do.
      const started = await rt.connectionService.oauthStart('at-rest', bob.id, 'calendar', {
        provider: 'memcal',
        method: 'oauth',
        fields: { clientId: `client-${tag}`, clientSecret },
      });
      await rt.connectionService.oauthCallback({ state: started.state, code: oauthCode });
      expect(await rt.connections.secret('at-rest', bob.id, 'calendar')).toEqual({ refreshToken });
      await rt.connections.updateSecret(
        'at-rest',
        bob.id,
        'calendar',
        { refreshToken: rotatedRefreshToken, clientId: `client-${tag}`, clientSecret },
        null,
      );
      // An OAuth sign-in left pending (its state row stays until it expires).
      await rt.connectionService.oauthStart('at-rest', ann.id, 'calendar', {
        provider: 'memcal',
        method: 'oauth',
        fields: { clientId: `client-${tag}`, clientSecret: pendingClientSecret },
      });
      expect(await db.kysely.selectFrom('oauth_states').select('state').execute()).toHaveLength(1);

      // The tables, read directly: every row of every table in every schema of ours (pg-boss's too), as text.
      const tables = (
        await sql<{ schema: string; name: string }>`
          select table_schema as schema, table_name as name from information_schema.tables
          where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'`.execute(
          db.kysely,
        )
      ).rows;
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['connections', 'oauth_states', 'users']));
      let rowsText = '';
      for (const t of tables) {
        const rows = await sql<{ row: string }>`select t::text as row from ${sql.id(t.schema, t.name)} t`.execute(
          db.kysely,
        );
        rowsText += rows.rows.map((r) => r.row).join('\n');
      }
      expect(rowsText).toContain(ann.email);
      for (const s of secrets)
        expect({ secret: s, inTables: rowsText.includes(s) }).toEqual({ secret: s, inTables: false });

      // The files: flush every dirty page to the heap files (and the WAL is on disk already), then read them all.
      await sql`checkpoint`.execute(db.kysely);
      let scanned = 0;
      let sawEmail = false;
      const found: string[] = [];
      for (const { file, bytes } of dataFiles(pg.dataDir)) {
        scanned += bytes.length;
        if (bytes.includes(ann.email)) sawEmail = true;
        for (const s of secrets) {
          for (const form of [s, Buffer.from(s).toString('base64')]) {
            if (bytes.includes(form)) found.push(`${s} in ${path.relative(pg.dataDir, file)}`);
          }
        }
      }
      // The scan reads what is stored: the plaintext e-mail is there (so would a plaintext secret be).
      expect(sawEmail).toBe(true);
      expect(scanned).toBeGreaterThan(1_000_000);
      expect(found).toEqual([]);
    } finally {
      await rt.stop();
    }
  });
});

describe('named (prepared) statements on PostgreSQL', () => {
  const preparedOurs = async (db: Db, like: string) =>
    (
      await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements
        where name like 'crm\\_sync\\_%' and statement like ${like}`.execute(db.kysely)
    ).rows[0]!.n;

  it('each connection prepares a statement with parameters once; off, nothing is prepared', async () => {
    const url = await pg.createDatabase();
    const setup = openDatabase(url);
    await migrateToLatest(setup);
    await setup.close();
    // One connection, so the check below runs on the connection that ran the statements.
    const on = openDatabase(url, { max: 1 });
    const off = openDatabase(url, { max: 1, preparedStatements: false });
    dbs.push(on, off);
    const users = (db: Db) =>
      db.kysely
        .selectFrom('users')
        .select('id')
        .where('tenant_id', '=', 'prepared')
        .where('email', '=', 'x@y')
        .execute();
    for (let i = 0; i < 3; i++) {
      await users(on);
      await users(off);
    }
    expect(await preparedOurs(on, '%from "users"%')).toBe(1);
    expect(await preparedOurs(off, '%')).toBe(0);
  });

  it('a prepared statement whose result columns changed (a migration meanwhile) is prepared afresh', async () => {
    const db = openDatabase(await pg.createDatabase(), { max: 1 });
    dbs.push(db);
    await sql`create table prep_t (a integer)`.execute(db.kysely);
    await sql`insert into prep_t values (1)`.execute(db.kysely);
    const read = () => sql<Record<string, unknown>>`select * from prep_t where a = ${1}`.execute(db.kysely);
    expect((await read()).rows).toEqual([{ a: 1 }]);
    await sql`alter table prep_t add column b text default 'new'`.execute(db.kysely);
    // PostgreSQL refuses the old plan once (0A000); the text then gets a new name and is prepared again.
    await expect(read()).rejects.toMatchObject({ code: '0A000' });
    expect((await read()).rows).toEqual([{ a: 1, b: 'new' }]);
  });

  it('names at most maxNames different texts (texts that vary go unnamed)', () => {
    const names = new StatementNames(2);
    const a = names.nameFor('select $1');
    expect(names.nameFor('select $1')).toBe(a);
    expect(names.nameFor('select $1, $2')).toEqual(expect.any(String));
    expect(names.nameFor('select $1, $2, $3')).toBeUndefined();
    names.failed('select $1', Object.assign(new Error('cached plan must not change result type'), { code: '0A000' }));
    expect(names.size).toBe(1);
    expect(names.nameFor('select $1')).not.toBe(a);
    names.failed('select $1, $2', Object.assign(new Error('duplicate key'), { code: '23505' }));
    expect(names.size).toBe(2);
  });
});
