import { useCallback } from 'react';
import { makeStyles, Spinner, Text, tokens } from '@fluentui/react-components';
import { messages } from '../../messages';
import { useServices } from '../../state/context';
import { useLoad } from './use-load';

const useStyles = makeStyles({ list: { margin: 0, paddingLeft: tokens.spacingHorizontalL } });

export function AuditPanel() {
  const s = useStyles();
  const { api } = useServices();
  const m = messages.admin;
  const { data, error } = useLoad(useCallback(() => api('adminAudit', { query: { limit: 100 } }), [api]));
  if (error) return <Text role="alert">{error}</Text>;
  if (!data) return <Spinner size="tiny" label={messages.loading} />;
  if (data.entries.length === 0) return <Text>{m.auditEmpty}</Text>;
  return (
    <ul className={s.list}>
      {data.entries.map((e) => (
        <li key={e.id}>
          <Text size={200}>
            {messages.time.dateTime(e.at)} · {m.auditLine(e.actor, e.action, e.target)}
          </Text>
        </li>
      ))}
    </ul>
  );
}
