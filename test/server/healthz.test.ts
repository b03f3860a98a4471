import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { DatabaseSchema } from '../../src/server/store/schema';
import { loadConfig } from '../../src/server/config';
import { openDatabase } from '../../src/server/store/database';
import { migrateToLatest } from '../../src/server/store/migrations';
import { buildApp } from '../../src/server/http/app';

describe('health and the pane on one origin', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'healthz-'));
  const addinDir = path.join(dir, 'addin');
  fs.mkdirSync(addinDir);
  fs.writeFileSync(path.join(addinDir, 'taskpane.html'), '<!doctype html><title>pane</title>');
  const db = openDatabase(`sqlite:${path.join(dir, 'data', 'connector.db')}`);

  afterAll(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the SQLite file on first start and answers /healthz', async () => {
    await migrateToLatest(db);
    expect(fs.existsSync(path.join(dir, 'data', 'connector.db'))).toBe(true);
    const app = await buildApp({ config: loadConfig({ ADDIN_DIR: addinDir, LOG_LEVEL: 'silent' }), db });
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', database: 'sqlite' });
    const pane = await app.inject({ method: 'GET', url: '/taskpane.html' });
    expect(pane.statusCode).toBe(200);
    expect(pane.body).toContain('<title>pane</title>');
    await app.close();
  });

  it('reports 503 when the database is gone', async () => {
    const raw = new Database(':memory:');
    const other = {
      kysely: new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: raw }) }),
      dialect: 'sqlite' as const,
      close: async () => {},
    };
    const app = await buildApp({ config: loadConfig({ ADDIN_DIR: addinDir, LOG_LEVEL: 'silent' }), db: other });
    raw.close();
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(503);
    await app.close();
  });
});
