import { Command, CommanderError } from 'commander';
import { loadConfig } from './config';
import { openDatabase } from './store/database';
import { migrateToLatest } from './store/migrations';
import { serve } from './serve';
import { version } from './version';

/** The `crm-sync` command line (SPEC §11). Every failure ends with a one-line reason and a non-zero exit. */
export function buildCli(): Command {
  const program = new Command('crm-sync')
    .description('CRM Calendar Connector: sync runner, administration and scripting')
    .version(version)
    .option('--json', 'print JSON instead of human output');

  program
    .command('serve')
    .description('run the HTTP API, the task pane and the in-process scheduler')
    .action(async () => {
      await serve(loadConfig());
    });

  program
    .command('migrate')
    .description('apply database migrations')
    .action(async () => {
      const db = openDatabase(loadConfig().DATABASE_URL);
      try {
        const applied = await migrateToLatest(db);
        print(program, applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date', { applied });
      } finally {
        await db.close();
      }
    });

  return program;
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
    process.stderr.write(`crm-sync: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
