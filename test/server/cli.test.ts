import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildCli, runCli } from '../../src/server/cli';
import { MemoryWorld } from './support/memory-connectors';
import { systemClock } from '../../src/shared/clock';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
// The CLI builds its own runtime on the wall clock (as in production); the accounts share that clock.
const world = new MemoryWorld(systemClock);
const saved = { ...process.env };

beforeAll(() => {
  process.env.DATABASE_URL = `sqlite:${path.join(dir, 'connector.db')}`;
  process.env.LOG_LEVEL = 'silent';
  delete process.env.CONNECTOR_MASTER_KEY;
  process.env.DATA_DIR = dir;
});
afterAll(() => {
  process.env = saved;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs one command in process; returns stdout, stderr and the exit code. */
async function cli(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const w1 = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const w2 = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = 0;
  try {
    const program = buildCli({ registry: world.registry() }).exitOverride();
    await program.parseAsync(['node', 'crm-sync', ...args]).catch((e: unknown) => {
      err += `crm-sync: ${e instanceof Error ? e.message : String(e)}\n`;
      process.exitCode = 1;
    });
  } finally {
    w1.mockRestore();
    w2.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}

describe('crm-sync', () => {
  it('migrates and creates the development key file with mode 0600', async () => {
    const r = await cli('migrate', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).applied).toContain('0002_core');
    await cli('users', 'add', 'ann@example.test', '--admin');
    const key = path.join(dir, 'master-key.json');
    expect(fs.statSync(key).mode & 0o777).toBe(0o600);
  });

  it('adds and lists users, refusing a duplicate with a one-line reason', async () => {
    const dup = await cli('users', 'add', 'ann@example.test');
    expect(dup.code).toBe(1);
    expect(dup.err.trim().split('\n')).toHaveLength(1);
    const list = await cli('--json', 'users', 'list');
    expect(JSON.parse(list.out)).toEqual([expect.objectContaining({ email: 'ann@example.test', isAdmin: true })]);
  });

  it('connects, sets settings, syncs, previews, cleans up and resets', async () => {
    expect(
      (await cli('connect', 'ann@example.test', 'crm', 'memcrm', '--field', 'account=ann@example.test')).code,
    ).toBe(0);
    const bad = await cli(
      'connect',
      'ann@example.test',
      'calendar',
      'memcal',
      '--username',
      'ann@example.test',
      '--password',
      'wrong',
    );
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/rejected these credentials/);
    const ok = await cli(
      '--json',
      'connect',
      'ann@example.test',
      'calendar',
      'memcal',
      '--username',
      'ann@example.test',
      '--password',
      'pw',
    );
    expect(JSON.parse(ok.out)).toMatchObject({ side: 'calendar', status: 'connected' });
    expect(ok.out).not.toContain('"pw"');

    // Calendars (SPEC §11): listed with the default target and sources, then chosen; unknown ids are refused.
    expect(JSON.parse((await cli('--json', 'calendars', 'ann@example.test')).out)).toMatchObject({
      calendars: expect.arrayContaining([expect.objectContaining({ id: 'primary', isDefault: true })]),
      targetCalendarId: 'primary',
      sourceCalendarIds: ['primary'],
    });
    const chosen = await cli('calendars', 'ann@example.test', '--target', 'crm', '--source', 'primary');
    expect(chosen.code).toBe(0);
    expect(chosen.out).toMatch(/crm\s+CRM items\s+yes\s+yes/);
    expect(chosen.out).toMatch(/primary\s+Calendar\s+yes\s+yes/);
    expect(JSON.parse((await cli('--json', 'calendars', 'ann@example.test')).out)).toMatchObject({
      targetCalendarId: 'crm',
      sourceCalendarIds: ['primary'],
    });
    await cli('calendars', 'ann@example.test', '--target', 'primary');
    const unknownSource = await cli('calendars', 'ann@example.test', '--source', 'nope');
    expect(unknownSource.code).toBe(1);
    expect(unknownSource.err).toMatch(/unknown calendar nope/);

    const set = await cli(
      '--json',
      'settings',
      'ann@example.test',
      'pastWindowDays=10',
      'activityTypes=meeting,call',
      'syncInvitees=off',
    );
    const details = JSON.parse(set.out).details as { key: string; value: unknown; source: string }[];
    expect(details.find((d) => d.key === 'activityTypes')).toMatchObject({
      value: ['meeting', 'call'],
      source: 'user',
    });
    const wrong = await cli('settings', 'ann@example.test', 'direction=sideways');
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/direction/);

    world.crm('ann@example.test').userCreate({
      type: 'call',
      syncToCalendar: true,
      fields: {
        subject: 'Call Dana',
        // In the future of the CLI's clock, whatever day the suite runs.
        timing: {
          kind: 'timed',
          start: new Date(
            Math.ceil(systemClock().getTime() / 86_400_000 + 30) * 86_400_000 + 9 * 3_600_000,
          ).toISOString(),
          end: new Date(
            Math.ceil(systemClock().getTime() / 86_400_000 + 30) * 86_400_000 + 9.5 * 3_600_000,
          ).toISOString(),
          timeZone: 'UTC',
        },
        body: '',
        location: '',
        visibility: 'normal',
        showAs: 'busy',
        attendees: [{ email: 'dana@client.test' }],
        recurrence: null,
        reminderMinutes: null,
      },
    });
    const preview = await cli('--json', 'preview', 'ann@example.test');
    expect(JSON.parse(preview.out).actions.some((a: { action: string }) => a.action === 'create')).toBe(true);
    const sync = await cli('--json', 'sync', 'ann@example.test');
    expect(sync.code).toBe(0);
    const report = JSON.parse(sync.out);
    expect(report).toMatchObject({ status: 'succeeded', trigger: 'cli', calendar: { created: 1 } });
    const human = await cli('sync', 'ann@example.test');
    expect(human.out).toMatch(/^run .*: succeeded/);

    expect(JSON.parse((await cli('--json', 'cleanup', 'ann@example.test')).out)).toEqual({ groups: [] });
    const applied = JSON.parse((await cli('--json', 'cleanup', 'ann@example.test', '--apply')).out);
    expect((await cli('cleanup', 'ann@example.test', '--undo', applied.id)).code).toBe(0);
    expect((await cli('reset', 'ann@example.test')).err).toMatch(/--yes/);
    expect((await cli('reset', 'ann@example.test', '--yes')).code).toBe(0);
    expect(JSON.parse((await cli('--json', 'status', 'ann@example.test')).out).lastRun.status).toBe('succeeded');
  });

  it('manages profiles and global settings', async () => {
    expect(
      (await cli('profiles', 'create', 'Inside sales', 'direction=crm-to-calendar', '--lock', 'direction')).code,
    ).toBe(0);
    expect((await cli('profiles', 'assign', 'Inside sales', 'ann@example.test')).code).toBe(0);
    const list = JSON.parse((await cli('--json', 'profiles', 'list')).out);
    expect(list[0]).toMatchObject({ name: 'Inside sales', locked: ['direction'], users: ['ann@example.test'] });
    expect((await cli('global-settings', 'syncIntervalMinutes=10')).code).toBe(0);
    const eff = JSON.parse((await cli('--json', 'settings', 'ann@example.test')).out);
    expect(eff.settings).toMatchObject({ direction: 'crm-to-calendar', syncIntervalMinutes: 10 });
    expect((await cli('profiles', 'assign', 'Nope', 'ann@example.test')).code).toBe(1);
  });

  it('rotates the vault key and every secret still opens', async () => {
    const r = JSON.parse((await cli('--json', 'keys', 'rotate')).out);
    expect(r.keyId).toBe('k2');
    expect(r.reencrypted).toBeGreaterThanOrEqual(2);
    const again = JSON.parse((await cli('--json', 'keys', 'rotate')).out);
    expect(again.keyId).toBe('k3');
    const doctor = await cli('--json', 'doctor');
    const checks = JSON.parse(doctor.out).checks as { name: string; ok: boolean; detail: string }[];
    expect(checks.find((c) => c.name === 'stored credentials')).toMatchObject({ ok: true });
    expect((await cli('sync', 'ann@example.test')).code).toBe(0);
  });

  it('disconnects and fails with a one-line reason for unknown users', async () => {
    expect((await cli('disconnect', 'ann@example.test', 'calendar')).code).toBe(0);
    const r = await cli('sync', 'nobody@example.test');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no user nobody@example.test/);
  });

  it('runCli prints one line and sets a non-zero exit code', async () => {
    const w = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await runCli(['node', 'crm-sync', 'reset', crypto.randomUUID()]);
      expect(process.exitCode).toBe(1);
      expect(w.mock.calls.map((c) => String(c[0])).join('')).toMatch(/^crm-sync: .*--yes.*\n$/);
    } finally {
      w.mockRestore();
      process.exitCode = 0;
    }
  });
});
