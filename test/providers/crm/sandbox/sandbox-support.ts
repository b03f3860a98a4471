import { openDatabase, type Db } from '../../../../src/server/store/database';
import { migrateToLatest } from '../../../../src/server/store/migrations';
import { kyselySandboxRepositories } from '../../../../src/server/sandbox/repository';
import type { SandboxRepositoryFactory } from '../../../../src/providers/crm/sandbox';
import { systemClock, type Clock } from '../../../../src/shared/clock';

export interface SandboxDb {
  db: Db;
  repoFor: SandboxRepositoryFactory;
}

/** A migrated in-memory SQLite store with the Sandbox CRM tables. */
export async function openSandboxDb(url = 'sqlite::memory:', clock: Clock = systemClock): Promise<SandboxDb> {
  const db = openDatabase(url);
  await migrateToLatest(db);
  return { db, repoFor: kyselySandboxRepositories(db.kysely, clock) };
}
