/**
 * CLI start-up cost of a steady no-op (issue 23): N events paired between the Sandbox CRM and one Radicale
 * calendar, then whole `crm-sync sync <user>` commands timed from spawn to exit, and the modules each command
 * loaded (files read by require or import, counted by a preloaded hook; the bundled CLI is one file plus the
 * packages it leaves in node_modules).
 *
 * Usage (after `npm run build:server` and `npx tsc -p tsconfig.bench.json`):
 *   node dist-bench/bench/cli-start.js [entry.js ...]
 * Each argument is a script that runs the CLI: the default is this tree's `bin/crm-sync.js` (the bundled
 * dist/cli/crm-sync.js, as installed); a copy of an older build works too (its `bin`, or a `dist/server/main.js`
 * of before the bundle). With several, their runs alternate against the same database and calendar, so a loaded
 * machine weighs on each alike: compare builds (before/after) in the same minute. N = CLI_START_N (1,000), runs
 * per entry = CLI_START_RUNS (15). The set-up (migrate, connect, import, push) runs with the first entry.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRadicale } from '../test/support/radicale';
import { systemClock } from '../src/shared/clock';

const user = 'start@example.com';

/** Preloaded into every timed command: on exit, the number of modules loaded and the packages they came from. */
const hook = `
const { registerHooks } = require('node:module');
const { fileURLToPath } = require('node:url');
// Every module file loaded, by require or by import() (Node's synchronous hooks see both).
const seen = new Set();
registerHooks({
  load(url, context, next) {
    if (url.startsWith('file:')) seen.add(fileURLToPath(url));
    return next(url, context);
  },
});
process.on('exit', () => {
  const files = [...new Set([...seen, ...Object.keys(require.cache)])].filter((f) => f !== __filename);
  const pkgs = new Set();
  for (const f of files) {
    const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f);
    if (m) pkgs.add(m[1]);
  }
  const own = files.filter((f) => !f.includes('node_modules')).length;
  require('fs').writeFileSync(process.env.CLI_START_REPORT, JSON.stringify({ modules: files.length, own, packages: [...pkgs].sort() }));
});
`;

function run(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ out: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve({ out, ms });
      else reject(new Error(`${args.join(' ')} exited ${code}: ${err || out}`));
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const n = Number(process.env.CLI_START_N ?? 1000);
  const runs = Number(process.env.CLI_START_RUNS ?? 15);
  const mains = process.argv.slice(2).length
    ? process.argv.slice(2).map((p) => path.resolve(p))
    : [path.resolve(__dirname, '..', '..', 'bin', 'crm-sync.js')];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-start-'));
  const hookFile = path.join(dir, 'count-modules.cjs');
  fs.writeFileSync(hookFile, hook);
  const radicale = await startRadicale();
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: `sqlite:${path.join(dir, 'connector.db')}`,
      DATA_DIR: dir,
      CONNECTOR_MASTER_KEY: process.env.CONNECTOR_MASTER_KEY ?? crypto.randomBytes(32).toString('base64'),
      ALLOWED_PRIVATE_HOSTS: radicale.hostPort,
      LOG_LEVEL: 'silent',
    };
    const cli = (...args: string[]) => run([mains[0]!, ...args], env, dir);
    const calendar = await radicale.makeCalendar('alice', 'start', 'Start');
    await cli('migrate');
    await cli('users', 'add', user);
    await cli('connect', user, 'crm', 'sandbox');
    const url = `${radicale.origin}${calendar}`;
    const password = radicale.users.alice ?? '';
    await cli('connect', user, 'calendar', 'caldav', '--url', url, '--username', 'alice', '--password', password);
    const base = systemClock().getTime() + 86_400_000;
    const items = Array.from({ length: n }, (_, i) => ({
      type: 'meeting',
      subject: `Customer meeting ${i}`,
      start: new Date(base + i * 3_600_000).toISOString(),
      end: new Date(base + i * 3_600_000 + 1_800_000).toISOString(),
      timeZone: 'UTC',
      body: `Notes for meeting ${i}`,
      location: 'Office',
      invitees: [`client${i}@customer.example`],
      sync: true,
    }));
    fs.writeFileSync(path.join(dir, 'items.json'), JSON.stringify(items));
    await cli('sandbox', user, 'import', path.join(dir, 'items.json'), '--json');
    const push = await cli('sync', user, '--json');
    if (process.env.CLI_START_KEEP) process.stderr.write(`${dir}\n${push.out}\n`);
    const noop = await cli('sync', user, '--json');
    const first = JSON.parse(push.out) as { status: string; calendar: Record<string, number> };
    const report = JSON.parse(noop.out) as { status: string; calendar: Record<string, number> };
    process.stderr.write(
      `pushed ${first.calendar.created ?? 0} of ${n} events in ${Math.round(push.ms)} ms (${first.status}); ` +
        `no-op ${report.status}, calendar writes ${JSON.stringify(report.calendar)}\n`,
    );

    // The floor: a Node process that loads nothing (what no CLI can go below on this machine, now).
    const floor: number[] = [];
    const times = mains.map(() => [] as number[]);
    const loads: unknown[] = [];
    for (let i = 0; i < runs; i++) {
      floor.push((await run(['-e', ''], env, dir)).ms);
      // CLI_START_PROFILE=<dir>: one CPU profile of each entry's no-op (the last round), for a flame graph.
      const profile = process.env.CLI_START_PROFILE && i === runs - 1 ? process.env.CLI_START_PROFILE : null;
      for (const [k, entry] of mains.entries()) {
        const reportFile = path.join(dir, `modules-${k}.json`);
        const r = await run(
          [
            ...(profile ? ['--cpu-prof', '--cpu-prof-dir', path.join(profile, String(k))] : []),
            '--require',
            hookFile,
            entry,
            'sync',
            user,
            '--json',
          ],
          {
            ...env,
            CLI_START_REPORT: reportFile,
          },
          dir,
        );
        times[k]!.push(r.ms);
        if (i === 0) loads[k] = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
      }
    }
    const result = mains.map((entry, k) => ({
      entry,
      events: n,
      runs,
      medianMs: Math.round(median(times[k]!)),
      minMs: Math.round(Math.min(...times[k]!)),
      maxMs: Math.round(Math.max(...times[k]!)),
      loaded: loads[k],
    }));
    const nodeFloorMs = Math.round(median(floor));
    process.stdout.write(`${JSON.stringify({ loadavg: os.loadavg(), nodeFloorMs, result }, null, 2)}\n`);
  } finally {
    await radicale.stop();
    if (!process.env.CLI_START_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
