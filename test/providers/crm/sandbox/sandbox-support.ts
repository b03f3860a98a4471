import { openDatabase, type Db } from '../../../../src/server/store/database';
import { migrateToLatest } from '../../../../src/server/store/migrations';
import { kyselySandboxRepositories } from '../../../../src/server/sandbox/repository';
import type { SandboxRepositoryFactory } from '../../../../src/providers/crm/sandbox';

export interface SandboxDb {
  db: Db;
  repoFor: SandboxRepositoryFactory;
}

/** A migrated in-memory SQLite store with the Sandbox CRM tables. */
export async function openSandboxDb(url = 'sqlite::memory:'): Promise<SandboxDb> {
  const db = openDatabase(url);
  await migrateToLatest(db);
  return { db, repoFor: kyselySandboxRepositories(db.kysely) };
}
