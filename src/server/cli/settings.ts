import type { Command } from 'commander';
import { findUser, resolveTenant } from './find-user';
import { formatSettings, table } from './format';
import { CliInputError, parseSettingKeys, parseSettingPairs } from './parse-settings';
import { collect, type CliShell } from './shell';

/** settings (a user's), global-settings and profiles (the tenant's; admin). */
export function registerSettingsCommands(program: Command, sh: CliShell): void {
  program
    .command('settings <email> [pairs...]')
    .description('show the effective settings, or set user overrides (key=value)')
    .option('--clear <key>', 'drop a user override', collect, [])
    .action(async (email: string, pairs: string[], o: { clear: string[] }) => {
      await sh.withRuntime(async (rt) => {
        const u = await findUser(rt, email, sh.tenant());
        const set = parseSettingPairs(pairs);
        const clear = parseSettingKeys(o.clear);
        const s =
          pairs.length || clear.length
            ? await rt.sync.settings.update(u, set, clear)
            : await rt.sync.settings.effective(u);
        sh.out(formatSettings(s), s);
      });
    });

  program
    .command('global-settings [pairs...]')
    .description("show or set the tenant's global settings (key=value; admin)")
    .option('--clear <key>', 'drop a global value', collect, [])
    .action(async (pairs: string[], o: { clear: string[] }) => {
      await sh.withRuntime(async (rt) => {
        const t = await resolveTenant(rt, sh.tenant());
        const before = await rt.settings.getGlobal(t);
        if (pairs.length || o.clear.length) {
          const next: Record<string, unknown> = { ...before, ...parseSettingPairs(pairs) };
          for (const k of parseSettingKeys(o.clear)) delete next[k];
          await rt.settings.setGlobal(t, next);
          await rt.audit.record(t, {
            actor: 'cli',
            action: 'global-settings.update',
            target: null,
            details: { before, after: next },
          });
        }
        const values = await rt.settings.getGlobal(t);
        const lines = Object.entries(values).map(([k, v]) => `  ${k} = ${JSON.stringify(v)}`);
        sh.out(lines.join('\n') || '  (defaults)', { values });
      });
    });

  registerProfileCommands(program, sh);
}

function registerProfileCommands(program: Command, sh: CliShell): void {
  const profiles = program.command('profiles').description('sync profiles (admin)');
  profiles.command('list').action(async () => {
    await sh.withRuntime(async (rt) => {
      const t = await resolveTenant(rt, sh.tenant());
      const list = await rt.settings.listProfiles(t);
      const usersOf = await rt.users.list(t);
      const rows = list.map((p) => ({ ...p, users: usersOf.filter((u) => u.profileId === p.id).map((u) => u.email) }));
      sh.out(
        table([
          ['name', 'settings', 'locked', 'users'],
          ...rows.map((p) => [p.name, JSON.stringify(p.values), p.locked.join(','), p.users.join(',')]),
        ]),
        rows,
      );
    });
  });
  profiles
    .command('create <name> [pairs...]')
    .option('--lock <key>', 'lock a setting for users of the profile', collect, [])
    .action(async (name: string, pairs: string[], o: { lock: string[] }) => {
      await sh.withRuntime(async (rt) => {
        const t = await resolveTenant(rt, sh.tenant());
        if (await rt.settings.findProfileByName(t, name)) throw new CliInputError(`profile ${name} already exists`);
        const p = await rt.settings.createProfile(t, {
          name,
          values: parseSettingPairs(pairs),
          locked: parseSettingKeys(o.lock),
        });
        await rt.audit.record(t, { actor: 'cli', action: 'profile.create', target: name, details: p });
        sh.out(`created profile ${name}`, p);
      });
    });
  profiles.command('assign <name> <email>').action(async (name: string, email: string) => {
    await sh.withRuntime(async (rt) => {
      const u = await findUser(rt, email, sh.tenant());
      const p = await rt.settings.findProfileByName(u.tenantId, name);
      if (!p) throw new CliInputError(`no profile ${name} in tenant ${u.tenantId}`);
      await rt.users.setProfile(u.tenantId, u.id, p.id);
      await rt.audit.record(u.tenantId, {
        actor: 'cli',
        action: 'profile.assign',
        target: u.email,
        details: { profile: name },
      });
      sh.out(`assigned ${name} to ${u.email}`, { userId: u.id, profileId: p.id });
    });
  });
}
