/** Audit log (SPEC §8): every admin change, newest first, in words, with what changed from what to what. */
import { useCallback } from 'react';
import { makeStyles, Spinner, Text, tokens } from '@fluentui/react-components';
import { messages } from '../../messages';
import { useServices } from '../../state/context';
import { describeAudit } from './audit-lines';
import { useLoad } from './use-load';

const useStyles = makeStyles({
  list: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, margin: 0, padding: 0 },
  entry: { display: 'flex', flexDirection: 'column', listStyleType: 'none' },
  changes: { margin: 0, paddingLeft: tokens.spacingHorizontalL },
});

export function AuditPanel() {
  const s = useStyles();
  const { api } = useServices();
  const m = messages.admin;
  const { data, error } = useLoad(useCallback(() => api('adminAudit', { query: { limit: 100 } }), [api]));
  if (error) return <Text role="alert">{error}</Text>;
  if (!data) return <Spinner size="tiny" label={messages.loading} />;
  if (data.entries.length === 0) return <Text>{m.auditEmpty}</Text>;
  return (
    <ul className={s.list} role="list">
      {data.entries.map((e) => {
        const { summary, changes } = describeAudit(e);
        return (
          <li key={e.id} className={s.entry}>
            <Text size={200}>{messages.time.dateTime(e.at)}</Text>
            <Text>{m.auditLine(e.actor === 'cli' ? m.audit.cli : e.actor, summary)}</Text>
            {changes.length > 0 && (
              <ul className={s.changes}>
                {changes.map((c) => (
                  <li key={c}>
                    <Text size={200}>{c}</Text>
                  </li>
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ul>
  );
}
