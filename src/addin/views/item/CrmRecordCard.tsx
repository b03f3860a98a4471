/** One CRM record linked to the open item: link, Sync-to-calendar switch, conflicts, trail. */
import { useState } from 'react';
import {
  Badge,
  Card,
  CardHeader,
  Link,
  makeStyles,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Switch,
  Text,
  tokens,
} from '@fluentui/react-components';
import type { ItemView } from '../../../shared/api';
import { describeError } from '../../api/describe-error';
import { messages } from '../../messages';
import { useApp, useServices } from '../../state/context';

const useStyles = makeStyles({
  body: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  trail: { margin: 0, paddingLeft: tokens.spacingHorizontalL },
});

export function CrmRecordCard({ record, onChange }: { record: ItemView; onChange(next: ItemView): void }) {
  const s = useStyles();
  const { api } = useServices();
  const m = messages.item;
  const lastRunId = useApp((st) => st.status?.lastRun?.runId ?? null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function flip(enabled: boolean) {
    setBusy(true);
    setError(null);
    try {
      onChange((await api('setItemSyncFlag', { params: { crmId: record.crmId }, body: { enabled } })).item);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const recent = record.conflicts.filter((c) => c.runId === lastRunId);
  const shownConflicts = recent.length > 0 ? recent : [];
  return (
    <Card aria-label={`${m.record}: ${record.subject}`}>
      <CardHeader
        header={<Text weight="semibold">{record.subject}</Text>}
        description={<Badge appearance="tint">{messages.item.types[record.type] ?? record.type}</Badge>}
      />
      <div className={s.body}>
        {record.start && <Text size={200}>{messages.time.dateTime(record.start)}</Text>}
        {record.url && (
          <Link href={record.url} target="_blank" rel="noreferrer">
            {m.openInCrm}
          </Link>
        )}
        {shownConflicts.length > 0 && (
          <MessageBar intent="warning">
            <MessageBarBody>
              <MessageBarTitle>{m.conflictTitle}</MessageBarTitle>
              {shownConflicts.map((c) => (
                <div key={c.id}>{m.conflictLine(c.field, messages.sides[c.winner])}</div>
              ))}
            </MessageBarBody>
          </MessageBar>
        )}
        <Switch
          label={m.syncToggle}
          checked={record.syncToCalendar}
          disabled={busy || record.cannotSyncReason !== null}
          onChange={(_e, d) => void flip(d.checked)}
        />
        {record.cannotSyncReason && <Text size={200}>{m.cannotSync(record.cannotSyncReason)}</Text>}
        {record.lastSyncedAt && <Text size={200}>{m.lastSynced(messages.time.relative(record.lastSyncedAt))}</Text>}
        {record.people.length > 0 && (
          <>
            <Text weight="semibold">{m.matchedPeople}</Text>
            <ul className={s.trail} aria-label={m.matchedPeople}>
              {record.people.map((p) => (
                <li key={p.contactId}>
                  <Text size={200}>{m.personLine(p.name, p.email, p.kind, p.companyName)}</Text>
                </li>
              ))}
            </ul>
          </>
        )}
        {error && (
          <MessageBar intent="error">
            <MessageBarBody>{error}</MessageBarBody>
          </MessageBar>
        )}
        <Text weight="semibold">{m.trail}</Text>
        {record.trail.length === 0 ? (
          <Text size={200}>{m.trailEmpty}</Text>
        ) : (
          <ul className={s.trail}>
            {record.trail.map((t, i) => (
              <li key={i}>
                <Text size={200}>
                  {messages.time.dateTime(t.at)}: {t.reason}
                </Text>
              </li>
            ))}
          </ul>
        )}
      </div>
    </Card>
  );
}
