/**
 * Side by side with vdirsyncer, the sync tool people pick for CalDAV: the same N events pushed into fresh Radicale
 * collections by the connector (from the Sandbox CRM, whole `crm-sync sync` commands) and by vdirsyncer (from a
 * local folder of .ics files, whole `vdirsyncer sync` commands); then the first run after the push, a steady no-op and
 * K changed items. Every command is timed from spawn to exit, and Radicale's request log says how many requests each
 * made.
 *
 * N defaults to 1,000; `BENCH_VS_VDIRSYNCER_N=1000,10000` adds the 10,000 run (its pushes take Radicale hours, by
 * estimate: it checks every upload's UID against the whole collection). K is 10. The connector runs as an installed
 * `crm-sync` bin does: `node bin/crm-sync.js` on the built server (`npm run build:server`, done here first; never
 * npx). Debian's `vdirsyncer` is installed by scripts/ensure-system-packages.sh when missing.
 *
 * Everything the side-by-side table in docs/BENCHMARKS.md needs is in the JSON: times, requests, ratios, the targets
 * met or not, the machine and its load average before and after each size.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRadicale, type RadicaleServer } from '../test/support/radicale';
import { systemClock } from '../src/shared/clock';
import type { BenchSection } from './section';

const K = 10;
const connectorUser = 'bench@example.com';

interface Command {
  ms: number;
  requests: number;
}

interface Side {
  push: Command;
  /** The run right after the push: the connector reads back the events it created (its first listing was empty). */
  firstRunAfterPush: Command;
  /** The steady state: nothing changed since the last run. */
  noop: Command;
  changes: Command;
}

const root = path.resolve(__dirname, '..', '..');

async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err || out}`)),
    );
  });
}

/** One whole command, timed from spawn to exit, with the requests Radicale logged meanwhile. */
async function timedCommand(radicale: RadicaleServer, go: () => Promise<unknown>): Promise<Command> {
  const before = radicale.requestCount();
  const t0 = performance.now();
  await go();
  const ms = Math.round(performance.now() - t0);
  // Radicale writes its log line after answering: give the last lines a moment to arrive.
  await new Promise((r) => setTimeout(r, 200));
  return { ms, requests: radicale.requestCount() - before };
}

interface Meeting {
  uid: string;
  subject: string;
  start: string;
  end: string;
  body: string;
  location: string;
  attendee: string;
}

function meetings(n: number): Meeting[] {
  // From tomorrow 08:00 UTC on, one an hour: the same events for both tools.
  const base = new Date(systemClock().getTime() + 86_400_000);
  base.setUTCHours(8, 0, 0, 0);
  return Array.from({ length: n }, (_, i) => {
    const start = new Date(base.getTime() + i * 3_600_000);
    return {
      uid: `bench-${i}-${crypto.randomUUID()}@vdirsyncer.bench`,
      subject: `Customer meeting ${i}`,
      start: start.toISOString(),
      end: new Date(start.getTime() + 1_800_000).toISOString(),
      body: `Notes for meeting ${i}`,
      location: 'Office',
      attendee: `client${i}@customer.example`,
    };
  });
}

const icsStamp = (iso: string): string => `${iso.replace(/[-:]/g, '').replace(/\.\d{3}/, '')}`;

function ics(m: Meeting, subject = m.subject): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//crm-connector bench//EN',
    'BEGIN:VEVENT',
    `UID:${m.uid}`,
    `DTSTAMP:${icsStamp(systemClock().toISOString())}`,
    `DTSTART:${icsStamp(m.start)}`,
    `DTEND:${icsStamp(m.end)}`,
    `SUMMARY:${subject}`,
    `DESCRIPTION:${m.body}`,
    `LOCATION:${m.location}`,
    `ATTENDEE;CN=Client:mailto:${m.attendee}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

async function connectorSide(radicale: RadicaleServer, dir: string, list: Meeting[]): Promise<Side> {
  const cli = path.join(root, 'bin', 'crm-sync.js');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: `sqlite:${path.join(dir, 'connector.db')}`,
    DATA_DIR: dir,
    CONNECTOR_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
    ALLOWED_PRIVATE_HOSTS: radicale.hostPort,
    LOG_LEVEL: 'silent',
  };
  const crmSync = (...args: string[]) => run(process.execPath, [cli, ...args], env, dir);
  const calendar = await radicale.makeCalendar('alice', 'connector', 'Connector');
  await crmSync('migrate');
  await crmSync('users', 'add', connectorUser);
  await crmSync('connect', connectorUser, 'crm', 'sandbox');
  await crmSync(
    'connect',
    connectorUser,
    'calendar',
    'caldav',
    '--url',
    `${radicale.origin}${calendar}`,
    '--username',
    'alice',
    '--password',
    radicale.users.alice ?? '',
  );
  // The user picks the target and source calendars after connecting (SPEC §3), as the pane asks; left unset, each run
  // would first list the account's calendars to find its default one (one PROPFIND more per run).
  await crmSync('calendars', connectorUser, '--target', calendar, '--source', calendar);
  const items = list.map((m) => ({
    type: 'meeting',
    subject: m.subject,
    start: m.start,
    end: m.end,
    timeZone: 'UTC',
    body: m.body,
    location: m.location,
    invitees: [m.attendee],
    sync: true,
  }));
  const file = path.join(dir, 'items.json');
  fs.writeFileSync(file, JSON.stringify(items));
  const imported = JSON.parse(await crmSync('sandbox', connectorUser, 'import', file, '--json')) as { id: string }[];
  const sync = () => crmSync('sync', connectorUser, '--json');
  const push = await timedCommand(radicale, sync);
  const firstRunAfterPush = await timedCommand(radicale, sync);
  const noop = await timedCommand(radicale, sync);
  for (const item of imported.slice(0, K)) {
    await crmSync('sandbox', connectorUser, 'update', item.id, '--subject', `Moved meeting ${item.id}`);
  }
  const changes = await timedCommand(radicale, sync);
  return { push, firstRunAfterPush, noop, changes };
}

async function vdirsyncerSide(radicale: RadicaleServer, dir: string, list: Meeting[]): Promise<Side> {
  const calendar = await radicale.makeCalendar('bob', 'vdirsyncer', 'vdirsyncer');
  const local = path.join(dir, 'local');
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(local, { recursive: true });
  for (const m of list) fs.writeFileSync(path.join(local, `${m.uid}.ics`), ics(m));
  const config = path.join(dir, 'config');
  fs.writeFileSync(
    config,
    [
      '[general]',
      `status_path = "${path.join(dir, 'status')}/"`,
      '',
      '[pair bench]',
      'a = "bench_local"',
      'b = "bench_remote"',
      'collections = null',
      'conflict_resolution = "a wins"',
      '',
      '[storage bench_local]',
      'type = "filesystem"',
      `path = "${local}/"`,
      'fileext = ".ics"',
      '',
      '[storage bench_remote]',
      'type = "caldav"',
      `url = "${radicale.origin}${calendar}"`,
      'username = "bob"',
      `password = "${radicale.users.bob ?? ''}"`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, VDIRSYNCER_CONFIG: config };
  const vdirsyncer = (...args: string[]) => run('vdirsyncer', args, env, dir);
  await vdirsyncer('discover');
  const sync = () => vdirsyncer('sync');
  const push = await timedCommand(radicale, sync);
  const firstRunAfterPush = await timedCommand(radicale, sync);
  const noop = await timedCommand(radicale, sync);
  for (const m of list.slice(0, K)) fs.writeFileSync(path.join(local, `${m.uid}.ics`), ics(m, `Moved ${m.subject}`));
  const changes = await timedCommand(radicale, sync);
  return { push, firstRunAfterPush, noop, changes };
}

const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;

function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '';
}

/** The machine the figures come from: the doc's table names it, and the load says how much to trust them. */
function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? '',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    radicale: version('radicale', ['--version']),
    vdirsyncer: version('vdirsyncer', ['--version']),
    uptime: version('uptime', []),
  };
}

const loadAverage = (): number[] => os.loadavg().map((l) => Math.round(l * 100) / 100);

export const vsVdirsyncer: BenchSection = {
  name: 'vs-vdirsyncer',
  async run() {
    if (spawnSync('vdirsyncer', ['--version']).status !== 0) {
      spawnSync('bash', [path.join(root, 'scripts', 'ensure-system-packages.sh')], { stdio: 'inherit' });
    }
    // The CLI as installed: bin/crm-sync.js runs dist/server/main.js, built here from the current sources (untimed).
    const build = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.server.json'],
      { cwd: root, stdio: 'inherit' },
    );
    if (build.status !== 0) throw new Error('npm run build:server failed');
    const sizes = (process.env.BENCH_VS_VDIRSYNCER_N ?? '1000').split(',').map(Number);
    const results: Record<string, unknown> = { machine: machine(), changedItems: K };
    for (const n of sizes) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-vdir-${n}-`));
      const radicale = await startRadicale(
        { alice: 'alice-bench-password', bob: 'bob-bench-password' },
        { logRequests: true },
      );
      const loadBefore = loadAverage();
      const t0 = performance.now();
      try {
        const list = meetings(n);
        const vdir = await vdirsyncerSide(radicale, path.join(dir, 'vdirsyncer'), list);
        const connectorDir = path.join(dir, 'connector');
        fs.mkdirSync(connectorDir);
        const connector = await connectorSide(radicale, connectorDir, list);
        const time = {
          push: ratio(connector.push.ms, vdir.push.ms),
          firstRunAfterPush: ratio(connector.firstRunAfterPush.ms, vdir.firstRunAfterPush.ms),
          noop: ratio(connector.noop.ms, vdir.noop.ms),
          changes: ratio(connector.changes.ms, vdir.changes.ms),
        };
        results[`n${n}`] = {
          connector,
          vdirsyncer: vdir,
          // connector ÷ vdirsyncer: below 1 the connector is faster.
          timeRatio: time,
          // vdirsyncer ÷ connector: how many times faster the connector is.
          connectorFasterBy: {
            push: ratio(vdir.push.ms, connector.push.ms),
            noop: ratio(vdir.noop.ms, connector.noop.ms),
            changes: ratio(vdir.changes.ms, connector.changes.ms),
          },
          // The targets, each judged within this one run.
          targets: {
            noop: `≥ ${n >= 10_000 ? 20 : 2}× faster`,
            noopMet: ratio(vdir.noop.ms, connector.noop.ms) >= (n >= 10_000 ? 20 : 2),
            changesMet: connector.changes.requests <= 12 && time.changes < 1,
            pushMet: time.push <= 1,
          },
          loadAverage: { before: loadBefore, after: loadAverage() },
          wallMs: Math.round(performance.now() - t0),
        };
      } finally {
        await radicale.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    return results;
  },
};
