/** A run report in plain words: status, counts per side, conflicts, errors. */
import { Badge, makeStyles, Text, tokens } from '@fluentui/react-components';
import type { RunReport } from '../../shared/run-report';
import { messages } from '../messages';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXXS },
  errors: { margin: 0, paddingLeft: tokens.spacingHorizontalL },
});

const badgeColor = (status: RunReport['status']) =>
  status === 'succeeded' || status === 'preview'
    ? 'success'
    : status === 'partial' || status === 'needs-confirmation'
      ? 'warning'
      : status === 'failed' || status === 'needs-reauth'
        ? 'danger'
        : 'informative';

export function RunSummary({ report, showErrors = true }: { report: RunReport; showErrors?: boolean }) {
  const s = useStyles();
  const m = messages.run;
  return (
    <div className={s.root}>
      <Text>
        <Badge appearance="tint" color={badgeColor(report.status)}>
          {m.status[report.status] ?? report.status}
        </Badge>{' '}
        {m.trigger[report.trigger] ?? report.trigger} · {messages.time.dateTime(report.startedAt)}
      </Text>
      <Text size={200}>{m.counts(messages.sides.crm, report.crm)}</Text>
      <Text size={200}>{m.counts('Calendar', report.calendar)}</Text>
      <Text size={200}>
        {m.conflicts(report.conflicts)} · {m.skipped(report.skipped)} · {m.invitations(report.invitationsSent)}
        {report.errors.length > 0 && ` · ${m.errors(report.errors.length)}`}
      </Text>
      {report.pendingDeletions && (
        <Text size={200}>
          {messages.banners.massDeletion(
            report.pendingDeletions.crm,
            report.pendingDeletions.calendar,
            report.pendingDeletions.reason,
          )}
        </Text>
      )}
      {showErrors && report.errors.length > 0 && (
        <ul className={s.errors}>
          {report.errors.map((e, i) => (
            <li key={i}>
              <Text size={200}>
                {m.errorSide[e.side] ?? e.side}: {e.message}
              </Text>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
