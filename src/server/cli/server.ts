import type { Command } from 'commander';
import type { CliShell } from './shell';
import { CliInputError } from './parse-settings';

/** serve, worker, migrate, doctor: running the connector and checking its setup. */
export function registerServerCommands(program: Command, sh: CliShell): void {
  program
    .command('serve')
    .description('run the HTTP API and the task pane (and, on SQLite, the scheduler and runs)')
    .option('--with-worker', 'on PostgreSQL, also take queued runs in this process')
    .action(async (o: { withWorker?: boolean }) => {
      const { serve } = await import('../serve.js');
      await serve(await sh.loadConfig(), { withWorker: !!o.withWorker });
    });

  program
    .command('worker')
    .description('take queued runs and schedule automatic ones (PostgreSQL: run any number of these)')
    .action(async () => {
      const { worker } = await import('../serve.js');
      await worker(await sh.loadConfig());
    });

  program
    .command('migrate')
    .description('apply database migrations')
    .action(async () => {
      const [{ openDatabase }, { migrateToLatest }] = await Promise.all([
        import('../store/database.js'),
        import('../store/migrations/index.js'),
      ]);
      const config = await sh.loadConfig();
      const db = openDatabase(config.DATABASE_URL, {
        preparedStatements: config.DATABASE_PREPARED_STATEMENTS === 'on',
      });
      try {
        const applied = await migrateToLatest(db);
        sh.out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date', { applied });
      } finally {
        await db.close();
      }
    });

  program
    .command('doctor')
    .description('check configuration, database, key and identity settings')
    .action(async () => {
      const { runDoctor } = await import('./doctor.js');
      const checks = await runDoctor(await sh.loadConfig());
      sh.out(checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`).join('\n'), { checks });
      const failed = checks.find((c) => !c.ok);
      if (failed) throw new CliInputError(`${failed.name}: ${failed.detail}`);
    });
}
