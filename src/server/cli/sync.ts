import { Option, type Command } from 'commander';
import { findUser } from './find-user';
import { formatReport } from './format';
import { CliInputError } from './parse-settings';
import type { CliShell } from './shell';

/** status, sync, preview, cleanup, reset: each one call to its use case in `runtime.sync` (src/server/services). */
export function registerSyncCommands(program: Command, sh: CliShell): void {
  program
    .command('status <email>')
    .description('automatic sync, pause, running and last run')
    .action(async (email: string) => {
      await sh.withRuntime(async (rt) => {
        const s = await rt.sync.status.status(await findUser(rt, email, sh.tenant()));
        const pause = s.paused ? ` (paused: ${s.paused.message})` : '';
        sh.out(
          [
            `automatic sync: ${s.automaticSync ? 'on' : 'off'}${pause}`,
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
      await sh.withRuntime(async (rt) => {
        const report = await rt.sync.run.runNow(await findUser(rt, email, sh.tenant()), !!o.confirmDeletions);
        sh.out(formatReport(report), report);
        if (report.status === 'failed' || report.status === 'needs-reauth') {
          throw new CliInputError(report.errors[0]?.message ?? `run ${report.status}`);
        }
      });
    });

  program
    .command('preview <email>')
    .description('the plan of a run, changing nothing')
    .action(async (email: string) => {
      await sh.withRuntime(async (rt) => {
        const preview = await rt.sync.preview.preview(await findUser(rt, email, sh.tenant()));
        const lines = preview.actions.map(
          (a) =>
            `  ${a.side.padEnd(8)} ${a.action.padEnd(13)} ${a.subject}${a.sendsInvitation ? ' ✉' : ''} — ${a.reason}`,
        );
        sh.out([formatReport(preview.report), ...lines].join('\n'), preview);
      });
    });

  program
    .command('cleanup <email>')
    .description('duplicate cleanup: preview by default')
    .addOption(new Option('--apply', 'remove the extra copies (undoable for 7 days)').conflicts('undo'))
    .option('--undo <id>', 'restore what a cleanup removed')
    .action(async (email: string, o: { apply?: boolean; undo?: string }) => {
      await sh.withRuntime(async (rt) => {
        const u = await findUser(rt, email, sh.tenant());
        if (o.apply || o.undo) {
          const record = o.undo ? await rt.sync.cleanup.undo(u, o.undo) : await rt.sync.cleanup.apply(u);
          sh.out(
            `${o.undo ? 'undid' : 'applied'} cleanup ${record.id}: ${record.removals.length} removal(s); undo until ${record.undoUntil}`,
            { ...record, removals: record.removals.map((r) => ({ side: r.side, id: r.id })) },
          );
          return;
        }
        const { groups } = await rt.sync.cleanup.preview(u);
        const describe = (g: (typeof groups)[number]) =>
          `${g.kind}: keep ${g.keep.side} ${g.keep.id} "${g.keep.subject}"; remove ${g.remove.map((r) => `${r.side} ${r.id}`).join(', ')}`;
        sh.out(groups.length ? groups.map(describe).join('\n') : 'no duplicates found', { groups });
      });
    });

  program
    .command('reset <email>')
    .description('forget the sync state (links, cursors, conflicts); keeps every event and CRM item')
    .option('--yes', 'confirm')
    .action(async (email: string, o: { yes?: boolean }) => {
      if (!o.yes) throw new CliInputError('reset forgets the sync state: add --yes to confirm');
      await sh.withRuntime(async (rt) => {
        await rt.sync.reset.reset(await findUser(rt, email, sh.tenant()));
        sh.out('sync state reset; the next run re-pairs without duplicates or mail', { reset: true, repairing: true });
      });
    });
}
