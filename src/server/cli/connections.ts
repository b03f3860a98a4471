import type { Command } from 'commander';
import { calendarChoice, chooseCalendars, type CalendarChoice } from '../connections/calendar-choice';
import { disconnectSide } from '../connections/disconnect';
import { connectionDto } from '../http/handlers/dto';
import { findUser } from './find-user';
import { table } from './format';
import { CliInputError, parseFields } from './parse-settings';
import { collect, type CliShell } from './shell';

/** connect, disconnect, calendars: one user's two sides. */
export function registerConnectionCommands(program: Command, sh: CliShell): void {
  program
    .command('connect <email> <side> <provider>')
    .description('connect a CRM or calendar with a form-based method (tests the credentials first)')
    .option('--url <url>', 'custom URL')
    .option('--method <id>', 'auth method id (default: the provider’s first non-OAuth method)')
    .option('--username <user>', 'user name (form field "username")')
    .option('--password <password>', 'password or app password (form field "password")')
    .option('--field <key=value>', 'any other form field', collect, [])
    .action(async (email: string, side: string, provider: string, o: ConnectOptions) => {
      if (side !== 'crm' && side !== 'calendar') throw new CliInputError('side must be crm or calendar');
      await sh.withRuntime(async (rt) => {
        const u = await findUser(rt, email, sh.tenant());
        await rt.connectionService.loadAll();
        const connector = rt.connectionService.connector(side, provider);
        const method = o.method ?? connector.descriptor.authMethods.find((m) => m.kind !== 'oauth')?.id;
        if (!method) throw new CliInputError(`${provider} connects only through OAuth: connect it from the pane`);
        const fields = {
          ...parseFields(o.field),
          ...(o.username !== undefined ? { username: o.username } : {}),
          ...(o.password !== undefined ? { password: o.password } : {}),
        };
        const request = { provider, method, ...(o.url ? { url: o.url } : {}), fields };
        const c = await rt.connectionService.connect(u.tenantId, u.id, side, request, u.email);
        sh.out(`connected ${side} ${provider} as ${c.account ?? '?'}`, connectionDto(c));
      });
    });

  program
    .command('disconnect <email> <side>')
    .description('revoke where possible, delete the credentials, turn automatic sync off')
    .action(async (email: string, side: string) => {
      if (side !== 'crm' && side !== 'calendar') throw new CliInputError('side must be crm or calendar');
      await sh.withRuntime(async (rt) => {
        const u = await findUser(rt, email, sh.tenant());
        const { revoked } = await disconnectSide(rt, u.tenantId, u.id, side);
        sh.out(`disconnected ${side}${revoked ? ' (tokens revoked)' : ''}; automatic sync is off`, {
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
      await sh.withRuntime(async (rt) => {
        const u = await findUser(rt, email, sh.tenant());
        let choice = await calendarChoice(rt, u.tenantId, u.id);
        if (o.target !== undefined || o.source.length) {
          const target = o.target ?? choice.targetCalendarId;
          if (!target) throw new CliInputError('the account has no default calendar: pass --target <id>');
          choice = await chooseCalendars(rt, u.tenantId, u.id, {
            targetCalendarId: target,
            sourceCalendarIds: o.source.length ? o.source : choice.sourceCalendarIds,
          });
        }
        sh.out(formatCalendars(choice), choice);
      });
    });
}

interface ConnectOptions {
  url?: string;
  method?: string;
  username?: string;
  password?: string;
  field: string[];
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
