import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from '../database';
import * as m0001 from './0001_initial';
import * as m0100 from './0100_sandbox';

/** Migrations live in code (not read from disk) so the built server and the tests run the same list. */
const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0100_sandbox': m0100,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db: db.kysely, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
