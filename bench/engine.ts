/**
 * Engine benchmark (issue 3): initial sync of 1k / 10k / 100k CRM items into an empty calendar, the no-op run after
 * it, 100 changes among 10k, and duplicate cleanup over 50k events, on the in-memory providers. Every scenario runs
 * in its own child process so its peak RSS is its own. Figures: wall time, listing and planning time, writes per
 * side. Targets: no-op of 10k makes zero writes and plans in < 100 ms; initial planning of 10k < 500 ms; linear
 * growth; peak RSS < 300 MB at 100k.
 */
import { fork } from 'node:child_process';
import { defaultSettings } from '../src/shared/settings';
import type { SyncedFields } from '../src/sync/model';
import {
  applyCleanup,
  MemoryCalendar,
  MemoryCrm,
  MemoryStatusStore,
  previewCleanup,
  runSync,
  type EngineContext,
} from '../src/sync';
import { engineEnv, gather } from '../src/sync/run';
import { plan } from '../src/sync/planner';
import { peakRssMb, type BenchSection } from './section';

const CHILD_FLAG = '--engine-bench-child';
const USER = 'bench@example.com';
const NOW = new Date('2026-11-21T09:00:00.000Z');

function item(i: number): SyncedFields {
  const start = new Date(NOW.getTime() + (1 + (i % 300)) * 86_400_000 + (i % 9) * 3_600_000);
  return {
    subject: `Meeting ${i}`,
    timing: {
      kind: 'timed',
      start: start.toISOString(),
      end: new Date(start.getTime() + 3_600_000).toISOString(),
      timeZone: 'Europe/Berlin',
    },
    body: `Agenda for meeting ${i}`,
    location: `Room ${i % 40}`,
    visibility: 'normal',
    showAs: 'busy',
    attendees: [{ email: `client${i % 500}@acme.test`, name: `Client ${i % 500}` }],
    recurrence: null,
    reminderMinutes: 15,
  };
}

function world(n: number): { ctx: EngineContext; crm: MemoryCrm; cal: MemoryCalendar; store: MemoryStatusStore } {
  const now = (): Date => NOW;
  const crm = new MemoryCrm({ userEmail: USER, now, capabilities: { maxBatch: 100 } });
  const cal = new MemoryCalendar({ userEmail: USER, now });
  const store = new MemoryStatusStore();
  for (let i = 0; i < n; i++) crm.userCreate({ type: 'meeting', fields: item(i) });
  const ctx: EngineContext = {
    crm,
    calendar: cal,
    store,
    settings: { ...defaultSettings },
    userEmail: USER,
    calendars: { targetCalendarId: 'primary', sourceCalendarIds: ['primary'] },
    now,
    sleep: async () => undefined,
  };
  return { ctx, crm, cal, store };
}

async function measurePlan(ctx: EngineContext): Promise<{ listMs: number; planMs: number; ops: number }> {
  const env = engineEnv(ctx);
  const t0 = performance.now();
  const g = await gather(ctx, env, await ctx.store.getMeta(), null);
  const t1 = performance.now();
  const p = plan(g.input);
  const t2 = performance.now();
  return { listMs: Math.round(t1 - t0), planMs: Math.round(t2 - t1), ops: p.ops.length };
}

async function timedRun(w: ReturnType<typeof world>): Promise<Record<string, number | string>> {
  const crm0 = w.crm.writeLog.length;
  const cal0 = w.cal.writeLog.length;
  const planned = await measurePlan(w.ctx);
  const t0 = performance.now();
  const report = await runSync(w.ctx, { trigger: 'cli' });
  return {
    status: report.status,
    ...planned,
    runMs: Math.round(performance.now() - t0),
    crmWrites: w.crm.writeLog.length - crm0,
    calendarWrites: w.cal.writeLog.length - cal0,
  };
}

async function scenario(name: string, n: number): Promise<Record<string, unknown>> {
  if (name === 'sync') {
    const w = world(n);
    const initial = await timedRun(w);
    // The run right after the initial one lists the target calendar in full once (its first, empty, complete
    // listing is not trusted as a baseline); from then on no-op runs are incremental.
    const firstNoop = await timedRun(w);
    const noop = await timedRun(w);
    return { items: n, initial, firstNoop, noop, peakRssMb: peakRssMb() };
  }
  if (name === 'incremental') {
    const w = world(n);
    await runSync(w.ctx, { trigger: 'cli' });
    const events = w.cal.all();
    for (let i = 0; i < 50; i++) w.crm.userUpdate(`crm-${1 + i * 97}`, { subject: `Changed ${i}` });
    for (let i = 0; i < 50; i++)
      w.cal.userUpdate(events[(i * 89 + 13) % events.length]!.id, { location: `Moved ${i}` });
    const changed = await timedRun(w);
    return { items: n, changes: 100, changed, peakRssMb: peakRssMb() };
  }
  // cleanup: n/2 synced items plus a tagged copy of each event → n events, n/2 duplicate groups.
  const w = world(n / 2);
  await runSync(w.ctx, { trigger: 'cli' });
  for (const e of w.cal.all()) {
    w.cal.userCreate('primary', { fields: e.fields, crmTag: e.crmTag, iCalUId: `${e.iCalUId}-copy` });
  }
  const cal0 = w.cal.writeLog.length;
  const t0 = performance.now();
  const preview = await previewCleanup(w.ctx);
  const t1 = performance.now();
  const rec = await applyCleanup(w.ctx);
  const t2 = performance.now();
  return {
    events: w.cal.size + rec.removals.length,
    groups: preview.groups.length,
    previewMs: Math.round(t1 - t0),
    applyMs: Math.round(t2 - t1),
    removed: rec.removals.length,
    calendarWrites: w.cal.writeLog.length - cal0,
    crmWrites: 0,
    peakRssMb: peakRssMb(),
  };
}

function inChild(name: string, n: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [CHILD_FLAG, name, String(n)], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      execArgv: ['--max-old-space-size=4096'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`engine bench child ${name} ${n} exited ${code}`));
      else resolve(JSON.parse(out) as Record<string, unknown>);
    });
  });
}

export const engineBench: BenchSection = {
  name: 'engine',
  async run() {
    return {
      initialAndNoop: {
        '1k': await inChild('sync', 1_000),
        '10k': await inChild('sync', 10_000),
        '100k': await inChild('sync', 100_000),
      },
      incremental100of10k: await inChild('incremental', 10_000),
      cleanup50kEvents: await inChild('cleanup', 50_000),
      targets: {
        noop10kWrites: 0,
        noop10kPlanMs: '< 100',
        initial10kPlanMs: '< 500',
        peakRssMbAt100k: '< 300',
      },
    };
  },
};

if (process.argv[2] === CHILD_FLAG) {
  void scenario(process.argv[3]!, Number(process.argv[4])).then(
    (r) => process.stdout.write(JSON.stringify(r)),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
