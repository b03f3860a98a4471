import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database';

/**
 * A link the planner would not leave alone, as SQLite reads it from the stored JSON: the planner's `settled`
 * (planner/writes.ts) negated. The quiet run's question (run-status-store.ts `settledLinks`) names the index below
 * through this very text: SQLite uses a partial index only for a query that repeats its WHERE term. If `settled`
 * changes, the property test in test/server/status-store.sqlite.test.ts fails; a new migration then makes the index
 * again with the new text.
 */
export const unsettledLinkSql =
  "json_extract(data, '$.crmHash') = '' or json_extract(data, '$.eventHash') = '' " +
  "or json_extract(data, '$.heldPush') is not null or json_extract(data, '$.heldDelete') = 1 " +
  "or json_extract(data, '$.iCalUIdOwed') = 1";

/**
 * SQLite only: two indexes that let a quiet run (run.ts) count a user's links and find any unsettled one without
 * reading their JSON (issue 23). The count reads the first index alone; the second holds only the links that are
 * not settled, normally none. Before them the question read every link's row: 14 ms and some 1.3 MB of pages at
 * 1,000 links, of a 340 ms steady no-op. PostgreSQL reads the links in the run's one query anyway
 * (RunStatusStore), so it gets neither.
 */
export function quietRunIndexes(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'sqlite') return;
      await sql`create index status_links_user_tenant on status_links (user_id, tenant_id)`.execute(db);
      await sql`create index status_links_unsettled on status_links (user_id, tenant_id) where ${sql.raw(
        unsettledLinkSql,
      )}`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'sqlite') return;
      await sql`drop index status_links_unsettled`.execute(db);
      await sql`drop index status_links_user_tenant`.execute(db);
    },
  };
}
