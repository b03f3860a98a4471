/** The server and the CLI read the same .env: a host allowed there is allowed for both; the shell still wins. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/server/config';
import { loadDotEnv } from '../../src/server/env-file';

describe('.env', () => {
  const saved = { ...process.env };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dotenv-'));
  afterAll(() => {
    process.env = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives every entry point the settings written there, without overriding the environment', () => {
    delete process.env.ALLOWED_PRIVATE_HOSTS;
    process.env.LOG_LEVEL = 'error';
    fs.writeFileSync(path.join(dir, '.env'), 'ALLOWED_PRIVATE_HOSTS=caldav.lan:5232\nLOG_LEVEL=debug\n');
    expect(loadDotEnv(dir)).toBe(path.join(dir, '.env'));
    const config = loadConfig(process.env);
    expect(config.ALLOWED_PRIVATE_HOSTS).toEqual(['caldav.lan:5232']);
    expect(config.LOG_LEVEL).toBe('error');
  });

  it('is optional', () => {
    expect(loadDotEnv(path.join(dir, 'missing'))).toBeNull();
  });
});
