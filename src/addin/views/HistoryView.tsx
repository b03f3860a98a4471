/** History (SPEC §7): runs with counts, conflicts and errors in plain words; details; retry. */
import { useCallback, useEffect, useState } from 'react';
import {
  Button,
  Card,
  makeStyles,
  MessageBar,
  MessageBarBody,
  Spinner,
  Text,
  tokens,
} from '@fluentui/react-components';
import type { RunDetailResponse } from '../../shared/api';
import type { RunReport } from '../../shared/run-report';
import { describeError } from '../api/describe-error';
import { RunSummary } from '../components/RunSummary';
import { messages } from '../messages';
import { useServices } from '../state/context';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  list: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, margin: 0, padding: 0 },
  actions: { display: 'flex', gap: tokens.spacingHorizontalS },
  details: { margin: 0, paddingLeft: tokens.spacingHorizontalL },
});

const PAGE = 20;
const retryable = new Set<RunReport['status']>(['failed', 'partial', 'needs-reauth']);

export function HistoryView() {
  const s = useStyles();
  const { api, store } = useServices();
  const m = messages.history;
  const [runs, setRuns] = useState<RunReport[] | null>(null);
  const [limit, setLimit] = useState(PAGE);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    (n: number) =>
      api('listRuns', { query: { limit: n } }).then(
        (r) => setRuns(r.runs),
        (err: unknown) => setError(describeError(err)),
      ),
    [api],
  );
  useEffect(() => {
    void load(limit);
  }, [load, limit]);

  async function retry() {
    setError(null);
    try {
      await api('startRun', { body: {} });
      store.getState().notify({ intent: 'info', text: m.retried, untilRunEnds: true });
      await store.getState().refreshStatus();
      await load(limit);
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <div className={s.root}>
      {error && (
        <MessageBar intent="error" role="alert">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      )}
      {!runs && !error && <Spinner size="tiny" label={messages.loading} />}
      {runs?.length === 0 && <Text>{m.empty}</Text>}
      {runs && runs.length > 0 && (
        <ul className={s.list} role="list">
          {runs.map((r) => (
            <li key={r.runId} style={{ listStyleType: 'none' }}>
              <Card>
                {r.kind ? <ActionSummary report={r} /> : <RunSummary report={r} />}
                {r.kind !== 'reset' && <RunDetails runId={r.runId} />}
                {!r.kind && retryable.has(r.status) && (
                  <div className={s.actions}>
                    <Button size="small" onClick={() => void retry()}>
                      {m.retry}
                    </Button>
                  </div>
                )}
              </Card>
            </li>
          ))}
        </ul>
      )}
      {runs && runs.length >= limit && (
        <Button appearance="subtle" onClick={() => setLimit(limit + PAGE)}>
          {m.loadMore}
        </Button>
      )}
    </div>
  );
}

/** A cleanup, its undo or a reset (SPEC §7: who, when, what), in the words the user chose the action with. */
function ActionSummary({ report }: { report: RunReport }) {
  const m = messages.history;
  const total = (c: RunReport['crm']) => c.created + c.updated + c.deleted + c.archived;
  const n = total(report.crm) + total(report.calendar);
  return (
    <>
      <Text>{report.kind ? m.action[report.kind](n) : null}</Text>
      <Text size={200}>
        {m.byYou} · {messages.time.dateTime(report.startedAt)}
      </Text>
    </>
  );
}

function RunDetails({ runId }: { runId: string }) {
  const s = useStyles();
  const { api } = useServices();
  const [open, setOpen] = useState(false);
  const [data, setData] = useState<RunDetailResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const m = messages.history;
  async function toggle() {
    setOpen(!open);
    if (!data && !open) {
      try {
        setData(await api('getRun', { params: { runId } }));
      } catch (err) {
        setError(describeError(err));
      }
    }
  }
  return (
    <div>
      <Button size="small" appearance="subtle" aria-expanded={open} onClick={() => void toggle()}>
        {m.details}
      </Button>
      {open && !data && !error && <Spinner size="tiny" />}
      {open && error && <Text size={200}>{error}</Text>}
      {open && data && (
        <ul className={s.details}>
          {data.conflicts.map((c) => (
            <li key={c.id}>
              <Text size={200}>{m.conflictLine(c.field, messages.sides[c.winner] ?? c.winner, c.policy)}</Text>
            </li>
          ))}
          {data.trail.map((t, i) => (
            <li key={i}>
              <Text size={200}>{typeof t.subject === 'string' ? m.trailLine(t.subject, t.reason) : t.reason}</Text>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
