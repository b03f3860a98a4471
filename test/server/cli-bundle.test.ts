/**
 * The installed `crm-sync` (issue 23): bin/crm-sync.js runs the command line bundled into one file by webpack
 * (dist/cli/crm-sync.js, webpack.cli.config.js), not the sources the other CLI tests run. The same flow as a user's,
 * against a real Radicale and the Sandbox CRM: the bundle's own packages (commander, Kysely, undici, zod, pino, the
 * CalDAV parser) work from inside it, the ones it leaves in node_modules (the native SQLite driver; Fastify for
 * `serve`) are found from dist/cli, `--json` still prints one JSON document, and `serve` answers.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliBundle, ensureCliBuilt } from '../support/cli-build';
import { buildSpawnedCli, writeDevEnv, type SpawnedCli } from '../support/spawned-cli';
import { freePort } from '../support/free-port';
import { startRadicale, type RadicaleServer } from '../support/radicale';
import { systemClock } from '../../src/shared/clock';

jest.setTimeout(240_000);

let bin: string;
let radicale: RadicaleServer;
let dir: string;
const ann = 'ann@example.test';

let cli: SpawnedCli;
/** Node's compile cache and the bundle's code cache, this suite's own. */
let cacheDir: string;
const run = (args: string[], env: Record<string, string> = {}) =>
  cli.run(args, { cwd: dir, env: { NODE_COMPILE_CACHE: cacheDir, ...env } });

beforeAll(async () => {
  bin = ensureCliBuilt();
  cli = buildSpawnedCli([bin]);
  radicale = await startRadicale({ ann: 'ann-app-password' });
  await radicale.makeCalendar('ann', 'crm', 'CRM');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-bundle-'));
  cacheDir = path.join(dir, 'compile-cache');
  writeDevEnv(dir, radicale.hostPort);
}, 240_000);

afterAll(async () => {
  await radicale?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

it('runs from the bundle: --version, and a command that fails says why in one line', async () => {
  const version = await run(['--version']);
  expect(version.code).toBe(0);
  expect(version.stdout.trim()).toBe(
    (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string })
      .version,
  );
  const unknown = await run(['status', 'nobody@example.test']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/^crm-sync: .+\n$/);
});

it('sets up, pushes and runs a steady no-op; `--json` prints only the report', async () => {
  expect((await run(['users', 'add', ann])).code).toBe(0);
  expect((await run(['connect', ann, 'crm', 'sandbox'])).code).toBe(0);
  const caldav = ['--url', `${radicale.origin}/ann/crm/`, '--username', 'ann', '--password', 'ann-app-password'];
  expect((await run(['connect', ann, 'calendar', 'caldav', ...caldav])).code).toBe(0);
  // The calendar chosen, as the pane asks after connecting (unset, each run first lists the account's calendars).
  expect((await run(['calendars', ann, '--target', '/ann/crm/', '--source', '/ann/crm/'])).code).toBe(0);
  const start = new Date(systemClock().getTime() + 2 * 86_400_000);
  start.setUTCHours(9, 0, 0, 0);
  const end = new Date(start.getTime() + 3_600_000);
  const added = await run(
    ['sandbox', ann, 'add', '--type', 'meeting', '--subject', 'Kick-off'].concat([
      '--start',
      start.toISOString(),
      '--end',
      end.toISOString(),
      '--invitee',
      'bob@example.com',
    ]),
  );
  expect(added.code).toBe(0);

  const pushed = await run(['sync', ann, '--json']);
  expect(pushed.code).toBe(0);
  const report = JSON.parse(pushed.stdout) as { status: string; calendar: { created: number } };
  expect(report).toMatchObject({ status: 'succeeded', calendar: { created: 1 } });

  // The steady state: run twice more (the first run after a push reads the calendar back once).
  await run(['sync', ann, '--json']);
  const noop = await run(['sync', ann, '--json']);
  expect(noop.code).toBe(0);
  expect(JSON.parse(noop.stdout)).toMatchObject({
    status: 'succeeded',
    crm: { created: 0, updated: 0, deleted: 0 },
    calendar: { created: 0, updated: 0, deleted: 0 },
  });

  // The bin kept the bundle's code cache in Node's compile-cache folder, one per build and command, this user's only.
  const build = /^\/\*! crm-sync build ([0-9a-f]+) \*\//.exec(fs.readFileSync(cliBundle, 'latin1'))?.[1];
  expect(build).toMatch(/^[0-9a-f]{32}$/);
  const caches = fs
    .readdirSync(cacheDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => path.basename(f) === `crm-sync-${build}-sync.v8`);
  expect(caches).toHaveLength(1);
  expect(fs.statSync(path.join(cacheDir, caches[0] ?? '')).mode & 0o077).toBe(0);

  // A steady no-op loads none of the modules the bundle defers (scripts/bundle-lazy): node:zlib (its one request
  // asks for an uncompressed answer), node:child_process, node:http2.
  const loadedFile = path.join(dir, 'loaded.json');
  const preload = path.join(dir, 'loaded.cjs');
  fs.writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loadedFile)}, JSON.stringify(process.moduleLoadList)));`,
  );
  const watched = await run(['sync', ann, '--json'], { NODE_OPTIONS: `--require ${preload}` });
  expect(JSON.parse(watched.stdout)).toMatchObject({ status: 'succeeded', calendar: { created: 0, updated: 0 } });
  const loaded = JSON.parse(fs.readFileSync(loadedFile, 'utf8')) as string[];
  expect(loaded).toContain('NativeModule net'); // the list is real: the run did connect to Radicale
  expect(loaded.filter((m) => /^NativeModule (zlib|child_process|http2)$/.test(m))).toEqual([]);

  // A run that fails logs through the bundled pino, on stderr; stdout is still the one JSON report.
  const failed = await run(['sync', ann, '--json'], {
    CONNECTOR_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
  });
  expect(JSON.parse(failed.stdout)).toMatchObject({ status: 'failed' });
  expect(failed.stderr).toMatch(/^\{"level":40,.*"msg":"run failed before the engine finished"\}$/m);
});

it('`serve` from the bundle: Fastify from node_modules, the health check answers', async () => {
  const port = await freePort();
  const server = cli.start(['serve'], { cwd: dir, env: { HOST: '127.0.0.1', PORT: String(port) } });
  try {
    let health: { status?: string; database?: string } = {};
    for (let i = 0; i < 300 && !health.status; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        health = (await res.json()) as typeof health;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(health).toMatchObject({ status: 'ok', database: 'sqlite' });
  } finally {
    await server.stop();
  }
});
