import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/server/store/database';
import { migrateToLatest } from '../../src/server/store/migrations';
import { describeLeaseLoss } from './lease-loss-suite';
import { describeStore } from './store-suite';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-sqlite-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describeStore('SQLite', async () => {
  const db = openDatabase(`sqlite:${path.join(dir, 'store.db')}`);
  await migrateToLatest(db);
  return db;
});

describeLeaseLoss('SQLite', async () => {
  const db = openDatabase(`sqlite:${path.join(dir, 'lease.db')}`);
  await migrateToLatest(db);
  return db;
});
