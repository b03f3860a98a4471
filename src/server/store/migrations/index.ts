import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db, Dialect } from '../database';
import * as m0001 from './0001_initial';
import { core } from './0002_core';

/**
 * Migrations live in code (not read from disk) so the built server and the tests run the same list.
 * A migration is a module with up/down, or a function of the dialect where the two databases differ.
 */
function migrationsFor(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_initial': m0001,
    '0002_core': core(dialect),
  };
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrations = migrationsFor(db.dialect);
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };
  const migrator = new Migrator({ db: db.kysely, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
