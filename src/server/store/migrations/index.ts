import { sql } from 'kysely';
import { DEFAULT_MIGRATION_TABLE, Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import type { Db, Dialect } from '../database';
import * as m0001 from './0001_initial';
import { core } from './0002_core';
import * as m0003 from './0003_crm_item_tags';
import * as m0004 from './0004_worker_heartbeats';
import { quietRunIndexes } from './0005_quiet_run_indexes';
import * as m0100 from './0100_sandbox';

/**
 * Migrations live in code (not read from disk) so the built server and the tests run the same list.
 * A migration is a module with up/down, or a function of the dialect where the two databases differ.
 */
function migrationsFor(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_initial': m0001,
    '0002_core': core(dialect),
    '0003_crm_item_tags': m0003,
    '0004_worker_heartbeats': m0004,
    '0005_quiet_run_indexes': quietRunIndexes(dialect),
    '0100_sandbox': m0100,
  };
}

/**
 * True when the store has run exactly these migrations. One query: every CLI command opens the store migrated, and
 * the Migrator reads the metadata of every table before it finds nothing to do (10–15 ms of a 400 ms no-op sync,
 * issue 23). Anything else (no migration table yet, one missing, one this code does not know) goes to the Migrator,
 * which applies or refuses as before.
 */
async function upToDate(db: Db, names: string[]): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string }>`select name from ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(
      db.kysely,
    );
    const applied = new Set(rows.map((r) => r.name));
    return applied.size === names.length && names.every((n) => applied.has(n));
  } catch {
    return false;
  }
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrations = migrationsFor(db.dialect);
  if (await upToDate(db, Object.keys(migrations))) return [];
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };
  // Core migrations are numbered 0002–0099 and the Sandbox CRM's from 0100, so a core migration added later
  // sorts before an already applied sandbox one: allow that instead of refusing to start.
  const migrator = new Migrator({ db: db.kysely, provider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
