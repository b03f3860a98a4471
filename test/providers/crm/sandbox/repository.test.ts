import { repositoryContract } from './repository-contract';
import { openSandboxDb } from './sandbox-support';

describe('Sandbox repository on SQLite', () => {
  repositoryContract(async () => {
    const { db, repoFor } = await openSandboxDb();
    return { repoFor, close: () => db.close() };
  });
});
