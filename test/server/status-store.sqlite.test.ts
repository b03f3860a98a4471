import fs from 'node:fs';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, type CompiledQuery } from 'kysely';
import fc from 'fast-check';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../../src/server/store/database';
import { DbStatusStore } from '../../src/server/store/db-status-store';
import { RunStatusStore } from '../../src/server/store/run-status-store';
import { migrateToLatest } from '../../src/server/store/migrations';
import type { DatabaseSchema } from '../../src/server/store/schema';
import { UserRepository } from '../../src/server/store/users';
import { describeStatusStoreContract, makeLink } from '../support/status-store-contract';
import { fixedClock } from '../../src/shared/clock';
import { settled } from '../../src/sync/planner/writes';

const testClock = fixedClock('2026-11-21T09:00:00.000Z', 1000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'status-sqlite-'));
let db: Db;
beforeAll(async () => {
  db = openDatabase(`sqlite:${path.join(dir, 'status.db')}`);
  await migrateToLatest(db);
});
afterAll(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let n = 0;
describeStatusStoreContract('SQLite', async () => {
  const user = await new UserRepository(db.kysely, testClock).create({
    tenantId: 'contract',
    email: `u${++n}@example.com`,
  });
  return { store: new DbStatusStore(db.kysely, 'contract', user.id), cleanup: async () => {} };
});

// A run's store reads everything in one query up front and answers from it until it writes: the contract holds both
// when that snapshot is taken before any write and when it is taken later.
describeStatusStoreContract('SQLite, a run (snapshot first)', async () => {
  const user = await new UserRepository(db.kysely, testClock).create({
    tenantId: 'contract',
    email: `u${++n}@example.com`,
  });
  const store = new RunStatusStore(db.kysely, 'contract', user.id);
  await store.prefetch();
  return { store, cleanup: async () => {} };
});
describeStatusStoreContract('SQLite, a run', async () => {
  const user = await new UserRepository(db.kysely, testClock).create({
    tenantId: 'contract',
    email: `u${++n}@example.com`,
  });
  return { store: new RunStatusStore(db.kysely, 'contract', user.id), cleanup: async () => {} };
});

// As a run on SQLite uses it: the links are left out of the one read and read from the table a page at a time.
describeStatusStoreContract('SQLite, a run with its links apart (snapshot first)', async () => {
  const user = await new UserRepository(db.kysely, testClock).create({
    tenantId: 'contract',
    email: `u${++n}@example.com`,
  });
  const store = new RunStatusStore(db.kysely, 'contract', user.id, { linksApart: true });
  await store.prefetch();
  return { store, cleanup: async () => {} };
});

/** A new user with 2,500 settled links (more than two pages of 1,000), written in one transaction; ids in order. */
async function userWithPagesOfLinks() {
  const user = await new UserRepository(db.kysely, testClock).create({
    tenantId: 'contract',
    email: `u${++n}@example.com`,
  });
  const writer = new DbStatusStore(db.kysely, 'contract', user.id);
  const ids = Array.from({ length: 2500 }, (_, i) => `link-${String(i).padStart(5, '0')}`);
  await writer.transaction(async () => {
    for (const id of ids) await writer.upsertLink(makeLink({ id, crmId: `crm-${id}`, eventId: `ev-${id}` }));
  });
  return { user, writer, ids };
}

describe('RunStatusStore on SQLite', () => {
  // The quiet run's question (run.ts) answered in SQL must be the planner's `settled` over the same links.
  test("settledLinkCount is the planner's `settled` over the stored links, for this user only", async () => {
    const flags = fc.record(
      {
        crmHash: fc.constantFrom('', 'h1'),
        eventHash: fc.constantFrom('', 'h2'),
        heldPush: fc.constantFrom(undefined, { shown: {} }, { shown: { subject: 'Shown' } }),
        heldDelete: fc.constantFrom(undefined, false, true),
        iCalUIdOwed: fc.constantFrom(undefined, false, true),
      },
      { requiredKeys: ['crmHash', 'eventHash'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(flags, { maxLength: 5 }), fc.array(flags, { maxLength: 2 }), async (mine, others) => {
        const [user, other] = await Promise.all(
          [0, 1].map(() =>
            new UserRepository(db.kysely, testClock).create({ tenantId: 'contract', email: `u${++n}@example.com` }),
          ),
        );
        const links = mine.map((f, i) => makeLink({ id: `l${i}`, crmId: `c${i}`, eventId: `e${i}`, ...f }));
        const writer = new DbStatusStore(db.kysely, 'contract', user!.id);
        for (const l of links) await writer.upsertLink(l);
        // Another user's links, settled or not, change nothing for this one.
        const otherWriter = new DbStatusStore(db.kysely, 'contract', other!.id);
        for (const [i, f] of others.entries()) await otherWriter.upsertLink(makeLink({ id: `o${i}`, ...f }));
        const run = new RunStatusStore(db.kysely, 'contract', user!.id, { linksApart: true });
        await run.prefetch();
        const stored = await run.loadLinks();
        expect(await run.settledLinkCount?.()).toBe(stored.every(settled) ? stored.length : null);
      }),
      { numRuns: 60 },
    );
  });

  test('settledLinkCount over many links: every link counted once; one unsettled among them is seen', async () => {
    const { user, writer, ids } = await userWithPagesOfLinks();
    const run = () => new RunStatusStore(db.kysely, 'contract', user.id, { linksApart: true });
    expect(await run().settledLinkCount?.()).toBe(2500);
    await writer.upsertLink(makeLink({ id: ids[2400], crmId: `crm-${ids[2400]}`, eventId: 'ev', heldDelete: true }));
    expect(await run().settledLinkCount?.()).toBeNull();
    // Settled again: the partial index lets the link go.
    await writer.upsertLink(makeLink({ id: ids[2400], crmId: `crm-${ids[2400]}`, eventId: 'ev' }));
    expect(await run().settledLinkCount?.()).toBe(2500);
  });

  // What makes the quiet run cheap (migration 0005): SQLite answers from the two indexes and reads no link's row. A
  // change to the question's text that no longer repeats the partial index's term would scan the table again.
  test("settledLinkCount reads the indexes only, never the links' rows", async () => {
    const { user } = await userWithPagesOfLinks();
    const sqlite = new Database(path.join(dir, 'status.db'));
    const asked: CompiledQuery[] = [];
    const kysely = new Kysely<DatabaseSchema>({
      dialect: new SqliteDialect({ database: sqlite }),
      log: (event) => void asked.push(event.query),
    });
    try {
      expect(await new RunStatusStore(kysely, 'contract', user.id, { linksApart: true }).settledLinkCount?.()).toBe(
        2500,
      );
      expect(asked).toHaveLength(1);
      const plan = sqlite
        .prepare(`explain query plan ${asked[0]!.sql}`)
        .all(...asked[0]!.parameters)
        .map((step) => (step as { detail: string }).detail)
        .filter((detail) => detail.includes('status_links'));
      expect(plan).toEqual([
        expect.stringMatching(/^SEARCH status_links USING COVERING INDEX status_links_user_tenant \(/),
        expect.stringMatching(/^SEARCH status_links USING INDEX status_links_unsettled \(/),
      ]);
    } finally {
      await kysely.destroy();
    }
  });

  test('with the links in the one read (as on PostgreSQL) it has no settledLinkCount: the run reads them at once', async () => {
    const user = await new UserRepository(db.kysely, testClock).create({
      tenantId: 'contract',
      email: `u${++n}@example.com`,
    });
    await new DbStatusStore(db.kysely, 'contract', user.id).upsertLink(makeLink());
    expect(new RunStatusStore(db.kysely, 'contract', user.id).settledLinkCount).toBeUndefined();
    expect(await new RunStatusStore(db.kysely, 'contract', user.id, { linksApart: true }).settledLinkCount?.()).toBe(1);
  });

  test('links read a page at a time: every link once, in id order, past a page boundary', async () => {
    const { user, ids } = await userWithPagesOfLinks();
    // Another user's link sorts in between: never read.
    const other = await new UserRepository(db.kysely, testClock).create({
      tenantId: 'contract',
      email: `u${++n}@example.com`,
    });
    await new DbStatusStore(db.kysely, 'contract', other.id).upsertLink(makeLink({ id: 'link-01000a' }));
    const run = new RunStatusStore(db.kysely, 'contract', user.id, { linksApart: true });
    await run.prefetch();
    const loaded = await run.loadLinks();
    expect(loaded.map((l) => l.id)).toEqual(ids);
    expect(loaded[1999]).toEqual(makeLink({ id: ids[1999], crmId: `crm-${ids[1999]}`, eventId: `ev-${ids[1999]}` }));
  });

  test('a create deleting a note its item does not have sends no statement; one it has is deleted', async () => {
    const user = await new UserRepository(db.kysely, testClock).create({
      tenantId: 'contract',
      email: `u${++n}@example.com`,
    });
    const note = { side: 'calendar' as const, sourceId: 'crm-1', sourceHash: 'h', createdAt: 'x' };
    await new DbStatusStore(db.kysely, 'contract', user.id).putTombstone(note);
    const deletes: string[] = [];
    const counted = db.kysely.withPlugin({
      transformQuery: (args) => {
        if (args.node.kind === 'DeleteQueryNode') deletes.push(args.queryId.queryId);
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const store = new RunStatusStore(counted, 'contract', user.id);
    await store.prefetch();
    await store.deleteTombstone('calendar', 'crm-2');
    await store.deleteTombstone('crm', 'crm-1');
    expect(deletes).toHaveLength(0);
    await store.deleteTombstone('calendar', 'crm-1');
    expect(deletes).toHaveLength(1);
    expect(await store.listTombstones()).toEqual([]);
  });
});
