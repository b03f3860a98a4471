import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/server/config';
import { openDatabase } from '../src/server/store/database';
import { migrateToLatest } from '../src/server/store/migrations';
import { buildApp } from '../src/server/http/app';
import { timed, type BenchSection } from './section';

/** Cold start of the embedded default: create the SQLite file, migrate, listen, answer /healthz. */
export const serverStart: BenchSection = {
  name: 'server-start',
  async run() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-start-'));
    try {
      const { ms, value } = await timed(async () => {
        const db = openDatabase(`sqlite:${path.join(dir, 'connector.db')}`);
        await migrateToLatest(db);
        const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', ADDIN_DIR: dir }), db });
        const address = await app.listen({ port: 0, host: '127.0.0.1' });
        const res = await fetch(`${address}/healthz`);
        await app.close();
        await db.close();
        return res.status;
      });
      return { coldStartToHealthyMs: Math.round(ms), healthStatus: value };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
