import type { Command } from 'commander';
import { connectionDto } from '../http/handlers/dto';
import { defaultTenantId } from '../store/users';
import { table } from './format';
import { CliInputError } from './parse-settings';
import type { CliShell } from './shell';

/** users add / list. */
export function registerUserCommands(program: Command, sh: CliShell): void {
  const users = program.command('users').description('users of a tenant');
  users
    .command('add <email>')
    .option('--admin', 'make the user an admin')
    .action(async (email: string, o: { admin?: boolean }) => {
      await sh.withRuntime(async (rt) => {
        const t = sh.tenant() ?? defaultTenantId;
        if (await rt.users.findByEmail(t, email)) throw new CliInputError(`${email} already exists in tenant ${t}`);
        const u = await rt.users.create({ tenantId: t, email, isAdmin: !!o.admin });
        sh.out(`added ${u.email} to tenant ${u.tenantId}${u.isAdmin ? ' (admin)' : ''}`, u);
      });
    });
  users.command('list').action(async () => {
    await sh.withRuntime(async (rt) => {
      const list = await rt.users.list(sh.tenant());
      const rows = await Promise.all(
        list.map(async (u) => ({
          ...u,
          connections: (await rt.connections.list(u.tenantId, u.id)).map(connectionDto),
        })),
      );
      sh.out(
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
}
