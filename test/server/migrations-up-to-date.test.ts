/**
 * Every CLI command opens the store migrated (cli/context.ts). When every migration has run, that costs one query
 * instead of the Migrator's look at every table (issue 23); any other state is still the Migrator's to handle.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type KyselyPlugin } from 'kysely';
import { openDatabase, type Db } from '../../src/server/store/database';
import { migrateToLatest } from '../../src/server/store/migrations';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The same store, counting the statements sent through it. */
function counting(db: Db): { db: Db; count: () => number } {
  let n = 0;
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      n++;
      return args.node;
    },
    transformResult: (args) => Promise.resolve(args.result),
  };
  return { db: { ...db, kysely: db.kysely.withPlugin(plugin) }, count: () => n };
}

let seq = 0;
async function migrated(): Promise<Db> {
  const db = openDatabase(`sqlite:${path.join(dir, `store-${++seq}.db`)}`);
  const applied = await migrateToLatest(db);
  expect(applied).toContain('0001_initial');
  return db;
}

describe('migrateToLatest', () => {
  it('on a store that has run every migration: one query, nothing applied', async () => {
    const db = await migrated();
    try {
      const { db: watched, count } = counting(db);
      expect(await migrateToLatest(watched)).toEqual([]);
      expect(count()).toBe(1);
    } finally {
      await db.close();
    }
  });

  it('a migration not run yet is still applied', async () => {
    const db = await migrated();
    try {
      await sql`drop table worker_heartbeats`.execute(db.kysely);
      await sql`drop index sync_state_lease_until`.execute(db.kysely);
      await sql`delete from kysely_migration where name = '0004_worker_heartbeats'`.execute(db.kysely);
      expect(await migrateToLatest(db)).toEqual(['0004_worker_heartbeats']);
      await sql`select count(*) from worker_heartbeats`.execute(db.kysely);
    } finally {
      await db.close();
    }
  });

  it('a store migrated by a newer version (a migration this code does not know) is refused as before', async () => {
    const db = await migrated();
    try {
      await sql`insert into kysely_migration (name, timestamp) values ('9999_from_the_future', '2030-01-01')`.execute(
        db.kysely,
      );
      await expect(migrateToLatest(db)).rejects.toThrow(/9999_from_the_future/);
    } finally {
      await db.close();
    }
  });
});
