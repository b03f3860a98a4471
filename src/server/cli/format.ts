import type { RunReport } from '../../shared/run-report';
import type { SettingsResponse } from '../../shared/api/settings';

/** One run report for people (the JSON form is the report itself). */
export function formatReport(r: RunReport): string {
  const side = (name: string, c: RunReport['crm']) =>
    `  ${name.padEnd(9)} created ${c.created}, updated ${c.updated}, deleted ${c.deleted}, archived ${c.archived}`;
  const lines = [
    `run ${r.runId}: ${r.status} (${r.trigger}, started ${r.startedAt}${r.finishedAt ? `, finished ${r.finishedAt}` : ''})`,
    side('CRM', r.crm),
    side('calendar', r.calendar),
    `  conflicts ${r.conflicts}, skipped ${r.skipped}, invitations sent ${r.invitationsSent}`,
  ];
  if (r.pendingDeletions) {
    lines.push(
      `  stopped before deleting: CRM ${r.pendingDeletions.crm}, calendar ${r.pendingDeletions.calendar} — ${r.pendingDeletions.reason}`,
    );
  }
  for (const e of r.errors)
    lines.push(`  error (${e.side}, ${e.kind}${e.retryable ? ', will retry' : ''}): ${e.message}`);
  return lines.join('\n');
}

export function formatSettings(s: SettingsResponse): string {
  const rows = s.details.map(
    (d) =>
      `  ${d.key.padEnd(24)} ${JSON.stringify(d.value).padEnd(36)} ${d.source}${d.locked ? ' (locked)' : ''}${d.adminOnly ? ' (admin)' : ''}`,
  );
  return [`profile: ${s.profile?.name ?? '—'}`, ...rows].join('\n');
}

export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
