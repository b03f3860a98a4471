/** `crm-sync doctor` on the default set-up (`npm start` on a new machine) passes: nothing there is a fault. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runDoctor } from '../../src/server/cli/doctor';
import { loadConfig } from '../../src/server/config';

describe('crm-sync doctor', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('passes on a new, empty database without an Entra app and without AUTH_MODE', async () => {
    const env = { DATA_DIR: dir, DATABASE_URL: `sqlite:${path.join(dir, 'connector.db')}`, LOG_LEVEL: 'silent' };
    const checks = await runDoctor(loadConfig(env), env);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.find((c) => c.name === 'identity')?.detail).toMatch(/development sign-in/);
    expect(checks.find((c) => c.name === 'migrations')?.detail).toMatch(/created when the server starts/);
    expect(checks.find((c) => c.name === 'metrics')?.detail).toMatch(/open \(embedded default/);
  });

  it('says /metrics is off in a production deployment without METRICS_TOKEN', async () => {
    const env = {
      DATA_DIR: dir,
      DATABASE_URL: `sqlite:${path.join(dir, 'connector.db')}`,
      LOG_LEVEL: 'silent',
      NODE_ENV: 'production',
      CONNECTOR_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    };
    const checks = await runDoctor(loadConfig(env), env);
    expect(checks.find((c) => c.name === 'metrics')).toEqual({
      name: 'metrics',
      ok: true,
      detail: 'GET /metrics is off: set METRICS_TOKEN to scrape it',
    });
  });

  it('still fails when AUTH_MODE=entra is chosen without an Entra app', async () => {
    const env = {
      DATA_DIR: dir,
      DATABASE_URL: `sqlite:${path.join(dir, 'connector.db')}`,
      LOG_LEVEL: 'silent',
      AUTH_MODE: 'entra',
    };
    const checks = await runDoctor(loadConfig(env), env);
    expect(checks.find((c) => c.name === 'identity')).toMatchObject({ ok: false, detail: 'set ENTRA_CLIENT_ID' });
  });
});
