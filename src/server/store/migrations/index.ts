import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db, Dialect } from '../database';
import * as m0001 from './0001_initial';
import { core } from './0002_core';
import * as m0003 from './0003_crm_item_tags';
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
    '0100_sandbox': m0100,
  };
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrations = migrationsFor(db.dialect);
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };
  // Core migrations are numbered 0002–0099 and the Sandbox CRM's from 0100, so a core migration added later
  // sorts before an already applied sandbox one: allow that instead of refusing to start.
  const migrator = new Migrator({ db: db.kysely, provider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
