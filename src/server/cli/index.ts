/**
 * The `crm-sync` command line (SPEC §11): the program and its global options; each command group lives in its
 * own file here. Every failure ends with a one-line reason and a non-zero exit.
 */
import { Command, CommanderError } from 'commander';
import type { ProviderRegistry } from '../connections/connection-service';
import { registerSandboxCommands } from '../sandbox/cli';
import { version } from '../version';
import { registerConnectionCommands } from './connections';
import { describeError, findUser } from './find-user';
import { registerKeyCommands } from './keys';
import { registerServerCommands } from './server';
import { registerSettingsCommands } from './settings';
import { createShell } from './shell';
import { registerSyncCommands } from './sync';
import { registerUserCommands } from './users';

export { print } from './shell';

export function buildCli(options: { registry?: ProviderRegistry } = {}): Command {
  const program = new Command('crm-sync')
    .description('CRM Calendar Connector: sync runner, administration and scripting')
    .version(version)
    .option('--json', 'print JSON instead of human output')
    .option('--tenant <id>', 'tenant of the user or admin objects (needed when an e-mail exists in several)');
  const sh = createShell(program, options.registry);
  registerServerCommands(program, sh);
  registerUserCommands(program, sh);
  registerConnectionCommands(program, sh);
  registerSettingsCommands(program, sh);
  registerSyncCommands(program, sh);
  registerKeyCommands(program, sh);
  registerSandboxCommands(program, {
    withRepository: (email, tenantId, fn) =>
      sh.withRuntime(async (rt) => {
        const user = await findUser(rt, email, tenantId ?? sh.tenant());
        return fn(rt.sandboxRepos({ tenantId: user.tenantId, userEmail: user.email }));
      }),
  });
  return program;
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
