/**
 * The real `crm-sync` process (issue 17): `--json` puts only the JSON answer on stdout (log lines on stderr, even at
 * LOG_LEVEL=debug), and the `.env` of the working directory is read by every command and by `crm-sync serve` alike
 * (ALLOWED_PRIVATE_HOSTS there lets both reach a CalDAV server on 127.0.0.1; the process environment gets nothing).
 * Against a real Radicale and the built-in Sandbox CRM, the README's try-it commands.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../support/free-port';
import { startRadicale, type RadicaleServer } from '../support/radicale';
import { buildSpawnedCli, writeDevEnv, type SpawnedCli } from '../support/spawned-cli';
import { systemClock } from '../../src/shared/clock';

jest.setTimeout(120_000);

let cli: SpawnedCli;
let radicale: RadicaleServer;
let dir: string;
const ann = 'ann@example.test';

beforeAll(async () => {
  cli = buildSpawnedCli();
  radicale = await startRadicale({ ann: 'ann-app-password' });
  await radicale.makeCalendar('ann', 'crm', 'CRM');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-spawned-'));
  writeDevEnv(dir, radicale.hostPort, 'as README says: one .env for npm start, crm-sync serve and every command');
}, 60_000);

afterAll(async () => {
  await radicale?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[], env?: Record<string, string>) => cli.run(args, { cwd: dir, ...(env ? { env } : {}) });
const caldavArgs = () => [
  'connect',
  ann,
  'calendar',
  'caldav',
  '--url',
  `${radicale.origin}/`,
  '--username',
  'ann',
  '--password',
  'ann-app-password',
];

it('reads ALLOWED_PRIVATE_HOSTS from .env: the CalDAV server on 127.0.0.1 is reachable from the CLI', async () => {
  expect((await run(['users', 'add', ann])).code).toBe(0);
  expect((await run(['connect', ann, 'crm', 'sandbox'])).code).toBe(0);
  // The same command with the setting emptied in the environment (which wins over .env) is refused: it is the
  // .env that lets it through.
  const refused = await run(caldavArgs(), { ALLOWED_PRIVATE_HOSTS: '' });
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/not allowed|private|blocked/i);
  const connected = await run(caldavArgs());
  expect(connected.stderr).not.toMatch(/not allowed|blocked/i);
  expect(connected.code).toBe(0);
});

it('`sync --json` prints only the JSON report on stdout; the log lines go to stderr', async () => {
  const start = new Date(systemClock().getTime() + 2 * 86_400_000);
  start.setUTCHours(9, 0, 0, 0);
  const added = await run([
    'sandbox',
    ann,
    'add',
    '--type',
    'meeting',
    '--subject',
    'Kick-off',
    '--start',
    start.toISOString(),
    '--end',
    new Date(start.getTime() + 3_600_000).toISOString(),
    '--invitee',
    'bob@example.com',
  ]);
  expect(added.code).toBe(0);

  const synced = await run(['sync', ann, '--json']);
  expect(synced.code).toBe(0);
  // The whole of stdout is one JSON document (a log line before it made `| jq` fail).
  const report = JSON.parse(synced.stdout) as { status: string; calendar: { created: number } };
  expect(report.status).toBe('succeeded');
  expect(report.calendar.created).toBe(1);
  // At LOG_LEVEL=debug the run does log: on stderr, as pino JSON lines.
  expect(synced.stdout.trim().startsWith('{')).toBe(true);

  // A run that fails before the engine starts logs a warning (here: another master key, so the stored secrets
  // cannot be opened). The warning goes to stderr; stdout is still the one JSON report.
  const failed = await run(['sync', ann, '--json'], {
    CONNECTOR_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
  });
  const failedReport = JSON.parse(failed.stdout) as { status: string };
  expect(failedReport.status).toBe('failed');
  const logLines = failed.stderr.split('\n').filter((l) => l.startsWith('{"level"'));
  expect(logLines.some((l) => l.includes('run failed before the engine finished'))).toBe(true);
});

it('`crm-sync serve` reads the same .env: its API connects the CalDAV server on 127.0.0.1 too', async () => {
  const port = await freePort();
  const server = cli.start(['serve'], { cwd: dir, env: { HOST: '127.0.0.1', PORT: String(port) } });
  try {
    const origin = `http://127.0.0.1:${port}`;
    let token = '';
    for (let i = 0; i < 200 && !token; i++) {
      try {
        const res = await fetch(`${origin}/auth/dev/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'bob@example.test' }),
        });
        if (res.ok) token = ((await res.json()) as { accessToken: string }).accessToken;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(token).not.toBe('');
    const res = await fetch(`${origin}/api/v1/connections/calendar`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        provider: 'caldav',
        method: 'app-password',
        url: `${radicale.origin}/`,
        fields: { username: 'ann', password: 'ann-app-password' },
      }),
    });
    expect(res.status).toBe(201);
  } finally {
    await server.stop();
  }
});
