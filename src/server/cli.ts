import { Command, CommanderError, Option } from 'commander';
import { loadConfig, type Config } from './config';
import { openDatabase } from './store/database';
import { migrateToLatest } from './store/migrations';
import { serve, worker } from './serve';
import { version } from './version';
import { defaultTenantId } from './store/users';
import { registerSandboxCommands } from './sandbox/cli';
import { disconnectSide } from './connections/disconnect';
import { calendarChoice, chooseCalendars, type CalendarChoice } from './connections/calendar-choice';
import { describeError, findUser, resolveTenant, withRuntime as openRuntime } from './cli/context';
import type { ProviderRegistry } from './connections/connection-service';
import type { Runtime } from './runtime';
import { formatReport, formatSettings, table } from './cli/format';
import { CliInputError, parseFields, parseSettingKeys, parseSettingPairs } from './cli/parse-settings';
import { runDoctor } from './cli/doctor';
import { addKeyToFile, loadKeyring } from './vault/keyring';
import { reencryptAll } from './vault/rotate';
import { connectionDto } from './http/handlers/dto';
import { syncStatus } from './http/handlers/sync';

const collect = (v: string, prev: string[]) => [...prev, v];

/** The `crm-sync` command line (SPEC §11). Every failure ends with a one-line reason and a non-zero exit. */
export function buildCli(options: { registry?: ProviderRegistry } = {}): Command {
  const program = new Command('crm-sync')
    .description('CRM Calendar Connector: sync runner, administration and scripting')
    .version(version)
    .option('--json', 'print JSON instead of human output')
    .option('--tenant <id>', 'tenant of the user or admin objects (needed when an e-mail exists in several)');
  const tenant = () => program.opts<{ tenant?: string }>().tenant;
  const out = (human: string, json: unknown) => print(program, human, json);
  const withRuntime = <T>(fn: (rt: Runtime) => Promise<T>, config?: Config) =>
    openRuntime(fn, config ?? loadConfig(), options.registry);

  program
    .command('serve')
    .description('run the HTTP API and the task pane (and, on SQLite, the scheduler and runs)')
    .option('--with-worker', 'on PostgreSQL, also take queued runs in this process')
    .action(async (o: { withWorker?: boolean }) => {
      await serve(loadConfig(), { withWorker: !!o.withWorker });
    });

  program
    .command('worker')
    .description('take queued runs and schedule automatic ones (PostgreSQL: run any number of these)')
    .action(async () => {
      await worker(loadConfig());
    });

  program
    .command('migrate')
    .description('apply database migrations')
    .action(async () => {
      const db = openDatabase(loadConfig().DATABASE_URL);
      try {
        const applied = await migrateToLatest(db);
        out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date', { applied });
      } finally {
        await db.close();
      }
    });

  program
    .command('doctor')
    .description('check configuration, database, key and identity settings')
    .action(async () => {
      const checks = await runDoctor(loadConfig());
      out(checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`).join('\n'), { checks });
      const failed = checks.find((c) => !c.ok);
      if (failed) throw new CliInputError(`${failed.name}: ${failed.detail}`);
    });

  const users = program.command('users').description('users of a tenant');
  users
    .command('add <email>')
    .option('--admin', 'make the user an admin')
    .action(async (email: string, o: { admin?: boolean }) => {
      await withRuntime(async (rt) => {
        const t = tenant() ?? defaultTenantId;
        if (await rt.users.findByEmail(t, email)) throw new CliInputError(`${email} already exists in tenant ${t}`);
        const u = await rt.users.create({ tenantId: t, email, isAdmin: !!o.admin });
        out(`added ${u.email} to tenant ${u.tenantId}${u.isAdmin ? ' (admin)' : ''}`, u);
      });
    });
  users.command('list').action(async () => {
    await withRuntime(async (rt) => {
      const list = await rt.users.list(tenant());
      const rows = await Promise.all(
        list.map(async (u) => ({
          ...u,
          connections: (await rt.connections.list(u.tenantId, u.id)).map(connectionDto),
        })),
      );
      out(
        table([
          ['tenant', 'email', 'admin', 'connections', 'paused'],
          ...rows.map((u) => [
            u.tenantId,
            u.email,
            u.isAdmin ? 'yes' : '',
            u.connections.map((c) => `${c.side}:${c.provider}(${c.status})`).join(' '),
            u.paused?.reason ?? '',
          ]),
        ]),
        rows,
      );
    });
  });

  program
    .command('connect <email> <side> <provider>')
    .description('connect a CRM or calendar with a form-based method (tests the credentials first)')
    .option('--url <url>', 'custom URL')
    .option('--method <id>', 'auth method id (default: the provider’s first non-OAuth method)')
    .option('--username <user>', 'user name (form field "username")')
    .option('--password <password>', 'password or app password (form field "password")')
    .option('--field <key=value>', 'any other form field', collect, [])
    .action(
      async (
        email: string,
        side: string,
        provider: string,
        o: { url?: string; method?: string; username?: string; password?: string; field: string[] },
      ) => {
        if (side !== 'crm' && side !== 'calendar') throw new CliInputError('side must be crm or calendar');
        await withRuntime(async (rt) => {
          const u = await findUser(rt, email, tenant());
          const connector = rt.connectionService.connector(side, provider);
          const method = o.method ?? connector.descriptor.authMethods.find((m) => m.kind !== 'oauth')?.id;
          if (!method) throw new CliInputError(`${provider} connects only through OAuth: connect it from the pane`);
          const fields = {
            ...parseFields(o.field),
            ...(o.username !== undefined ? { username: o.username } : {}),
            ...(o.password !== undefined ? { password: o.password } : {}),
          };
          const c = await rt.connectionService.connect(
            u.tenantId,
            u.id,
            side,
            {
              provider,
              method,
              ...(o.url ? { url: o.url } : {}),
              fields,
            },
            u.email,
          );
          out(`connected ${side} ${provider} as ${c.account ?? '?'}`, connectionDto(c));
        });
      },
    );

  program
    .command('disconnect <email> <side>')
    .description('revoke where possible, delete the credentials, turn automatic sync off')
    .action(async (email: string, side: string) => {
      if (side !== 'crm' && side !== 'calendar') throw new CliInputError('side must be crm or calendar');
      await withRuntime(async (rt) => {
        const u = await findUser(rt, email, tenant());
        const { revoked } = await disconnectSide(rt, u.tenantId, u.id, side);
        out(`disconnected ${side}${revoked ? ' (tokens revoked)' : ''}; automatic sync is off`, {
          disconnected: true,
          revoked,
          automaticSync: false,
        });
      });
    });

  program
    .command('calendars <email>')
    .description('list the calendars, or choose the target (receives CRM items) and the sources (imported)')
    .option('--target <id>', 'the calendar that receives CRM items')
    .option('--source <id>', 'a calendar whose events are imported into the CRM (repeat for several)', collect, [])
    .action(async (email: string, o: { target?: string; source: string[] }) => {
      await withRuntime(async (rt) => {
        const u = await findUser(rt, email, tenant());
        let choice = await calendarChoice(rt, u.tenantId, u.id);
        if (o.target !== undefined || o.source.length) {
          const target = o.target ?? choice.targetCalendarId;
          if (!target) throw new CliInputError('the account has no default calendar: pass --target <id>');
          choice = await chooseCalendars(rt, u.tenantId, u.id, {
            targetCalendarId: target,
            sourceCalendarIds: o.source.length ? o.source : choice.sourceCalendarIds,
          });
        }
        out(formatCalendars(choice), choice);
      });
    });

  program
    .command('settings <email> [pairs...]')
    .description('show the effective settings, or set user overrides (key=value)')
    .option('--clear <key>', 'drop a user override', collect, [])
    .action(async (email: string, pairs: string[], o: { clear: string[] }) => {
      await withRuntime(async (rt) => {
        const u = await findUser(rt, email, tenant());
        const set = parseSettingPairs(pairs);
        const clear = parseSettingKeys(o.clear);
        const s =
          pairs.length || clear.length
            ? await rt.userSettings.update(u.tenantId, u.id, set, clear)
            : await rt.userSettings.effective(u.tenantId, u.id);
        if (set.automaticSync !== undefined || clear.includes('automaticSync')) {
          await rt.syncState.setNextRun(u.tenantId, u.id, s.settings.automaticSync ? rt.clock().toISOString() : null);
        }
        out(formatSettings(s), s);
      });
    });

  program
    .command('global-settings [pairs...]')
    .description("show or set the tenant's global settings (key=value; admin)")
    .option('--clear <key>', 'drop a global value', collect, [])
    .action(async (pairs: string[], o: { clear: string[] }) => {
      await withRuntime(async (rt) => {
        const t = await resolveTenant(rt, tenant());
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
        out(
          Object.entries(values)
            .map(([k, v]) => `  ${k} = ${JSON.stringify(v)}`)
            .join('\n') || '  (defaults)',
          { values },
        );
      });
    });

  program
    .command('status <email>')
    .description('automatic sync, pause, running and last run')
    .action(async (email: string) => {
      await withRuntime(async (rt) => {
        const u = await findUser(rt, email, tenant());
        const s = await syncStatus(rt, u);
        out(
          [
            `automatic sync: ${s.automaticSync ? 'on' : 'off'}${s.paused ? ` (paused: ${s.paused.message})` : ''}`,
            `next run: ${s.nextRunAt ?? '—'}`,
            s.lastRun ? formatReport(s.lastRun) : 'no runs yet',
          ].join('\n'),
          s,
        );
      });
    });

  program
    .command('sync <email>')
    .description('one run now (waits behind a running one); prints the run report')
    .option('--confirm-deletions', 'confirm the deletions a stopped run asked about')
    .action(async (email: string, o: { confirmDeletions?: boolean }) => {
      await withRuntime(async (rt) => {
        const u = await findUser(rt, email, tenant());
        const report = await rt.runs.run({
          tenantId: u.tenantId,
          userId: u.id,
          trigger: 'cli',
          confirmDeletions: !!o.confirmDeletions,
        });
        out(formatReport(report), report);
        if (report.status === 'failed' || report.status === 'needs-reauth') {
          throw new CliInputError(report.errors[0]?.message ?? `run ${report.status}`);
        }
      });
    });

  program
    .command('preview <email>')
    .description('the plan of a run, changing nothing')
    .action(async (email: string) => {
      await withRuntime(async (rt) => {
        const u = await findUser(rt, email, tenant());
        const preview = await rt.engine.previewSync(await rt.runs.context(u.tenantId, u.id));
        const lines = preview.actions.map(
          (a) =>
            `  ${a.side.padEnd(8)} ${a.action.padEnd(13)} ${a.subject}${a.sendsInvitation ? ' ✉' : ''} — ${a.reason}`,
        );
        out([formatReport(preview.report), ...lines].join('\n'), preview);
      });
    });

  program
    .command('cleanup <email>')
    .description('duplicate cleanup: preview by default')
    .addOption(new Option('--apply', 'remove the extra copies (undoable for 7 days)').conflicts('undo'))
    .option('--undo <id>', 'restore what a cleanup removed')
    .action(async (email: string, o: { apply?: boolean; undo?: string }) => {
      await withRuntime(async (rt) => {
        const u = await findUser(rt, email, tenant());
        if (o.apply || o.undo) {
          const record = await rt.runs.exclusive(u.tenantId, u.id, async () => {
            const ctx = await rt.runs.context(u.tenantId, u.id);
            return o.undo ? rt.engine.undoCleanup(ctx, o.undo) : rt.engine.applyCleanup(ctx);
          });
          out(
            `${o.undo ? 'undid' : 'applied'} cleanup ${record.id}: ${record.removals.length} removal(s); undo until ${record.undoUntil}`,
            { ...record, removals: record.removals.map((r) => ({ side: r.side, id: r.id })) },
          );
          return;
        }
        const { groups } = await rt.engine.previewCleanup(await rt.runs.context(u.tenantId, u.id));
        out(
          groups.length
            ? groups
                .map(
                  (g) =>
                    `${g.kind}: keep ${g.keep.side} ${g.keep.id} "${g.keep.subject}"; remove ${g.remove.map((r) => `${r.side} ${r.id}`).join(', ')}`,
                )
                .join('\n')
            : 'no duplicates found',
          { groups },
        );
      });
    });

  program
    .command('reset <email>')
    .description('forget the sync state (links, cursors, conflicts); keeps every event and CRM item')
    .option('--yes', 'confirm')
    .action(async (email: string, o: { yes?: boolean }) => {
      if (!o.yes) throw new CliInputError('reset forgets the sync state: add --yes to confirm');
      await withRuntime(async (rt) => {
        const u = await findUser(rt, email, tenant());
        await rt.runs.exclusive(u.tenantId, u.id, () =>
          rt.engine.resetSync({ store: rt.runs.store(u.tenantId, u.id), now: rt.clock }),
        );
        out('sync state reset; the next run re-pairs without duplicates or mail', { reset: true, repairing: true });
      });
    });

  const profiles = program.command('profiles').description('sync profiles (admin)');
  profiles.command('list').action(async () => {
    await withRuntime(async (rt) => {
      const t = await resolveTenant(rt, tenant());
      const list = await rt.settings.listProfiles(t);
      const usersOf = await rt.users.list(t);
      const rows = list.map((p) => ({ ...p, users: usersOf.filter((u) => u.profileId === p.id).map((u) => u.email) }));
      out(
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
      await withRuntime(async (rt) => {
        const t = await resolveTenant(rt, tenant());
        if (await rt.settings.findProfileByName(t, name)) throw new CliInputError(`profile ${name} already exists`);
        const p = await rt.settings.createProfile(t, {
          name,
          values: parseSettingPairs(pairs),
          locked: parseSettingKeys(o.lock),
        });
        await rt.audit.record(t, { actor: 'cli', action: 'profile.create', target: name, details: p });
        out(`created profile ${name}`, p);
      });
    });
  profiles.command('assign <name> <email>').action(async (name: string, email: string) => {
    await withRuntime(async (rt) => {
      const u = await findUser(rt, email, tenant());
      const p = await rt.settings.findProfileByName(u.tenantId, name);
      if (!p) throw new CliInputError(`no profile ${name} in tenant ${u.tenantId}`);
      await rt.users.setProfile(u.tenantId, u.id, p.id);
      await rt.audit.record(u.tenantId, {
        actor: 'cli',
        action: 'profile.assign',
        target: u.email,
        details: { profile: name },
      });
      out(`assigned ${name} to ${u.email}`, { userId: u.id, profileId: p.id });
    });
  });

  const keys = program.command('keys').description('vault keys');
  keys
    .command('rotate')
    .description('make a new key current (key file) and re-encrypt every stored secret under the current key')
    .action(async () => {
      const config = loadConfig();
      let keyring = loadKeyring(config);
      if (keyring.source === 'key-file') keyring = addKeyToFile(keyring);
      await withRuntime(async (rt) => {
        rt.vault.useKeyring(keyring);
        const r = await reencryptAll(rt.db, rt.vault);
        out(`current key ${r.keyId}: re-encrypted ${r.reencrypted}, already current ${r.unchanged}`, r);
      }, config);
    });

  registerSandboxCommands(program, {
    withRepository: (email, tenantId, fn) =>
      withRuntime(async (rt) => {
        const user = await findUser(rt, email, tenantId ?? tenant());
        return fn(rt.sandboxRepos({ tenantId: user.tenantId, userEmail: user.email }));
      }),
  });

  return program;
}

function formatCalendars(c: CalendarChoice): string {
  return table([
    ['id', 'name', 'target', 'source', 'writable'],
    ...c.calendars.map((cal) => [
      cal.id,
      cal.name,
      cal.id === c.targetCalendarId ? 'yes' : '',
      c.sourceCalendarIds.includes(cal.id) ? 'yes' : '',
      cal.canWrite ? 'yes' : 'no',
    ]),
  ]);
}

export function print(program: Command, human: string, json: unknown): void {
  process.stdout.write(program.opts<{ json?: boolean }>().json ? `${JSON.stringify(json, null, 2)}\n` : `${human}\n`);
}

export async function runCli(argv: string[]): Promise<void> {
  const program = buildCli().exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`crm-sync: ${describeError(e).split('\n')[0]}\n`);
    process.exitCode = 1;
  }
}
