/** One side of Connections: the stored connection (badge, disconnect, calendars) or the form to connect. */
import { lazy, Suspense, useState } from 'react';
import { Badge, Button, makeStyles, MessageBar, MessageBarBody, Text, tokens } from '@fluentui/react-components';
import type { Side } from '../../../shared/api';
import { describeError } from '../../api/describe-error';
import { messages } from '../../messages';
import { useApp, useServices } from '../../state/context';
import { CalendarPicker } from './CalendarPicker';
import { ConnectForm } from './ConnectForm';

// Only needed when the user disconnects: kept out of the first view's download.
const ConfirmDialog = lazy(() =>
  import(/* webpackChunkName: "confirm-dialog" */ '../../components/ConfirmDialog.js').then((m) => ({
    default: m.ConfirmDialog,
  })),
);

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  status: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXS },
  row: { display: 'flex', alignItems: 'center', gap: tokens.spacingHorizontalS, flexWrap: 'wrap' },
});

export function ConnectionPanel({ side }: { side: Side }) {
  const s = useStyles();
  const { api, store } = useServices();
  const connection = useApp((st) => st.connections?.[side] ?? null);
  const providers = useApp((st) => st.providers?.[side] ?? []);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const m = messages.connections;

  async function disconnect() {
    setBusy(true);
    setError(null);
    try {
      const r = await api('disconnect', { params: { side } });
      await store.getState().refreshConnections();
      store.getState().notify({ intent: 'success', text: m.disconnected(r.revoked) });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }

  if (!connection) return <ConnectForm side={side} providers={providers} />;
  const providerName = providers.find((p) => p.id === connection.provider)?.label ?? connection.provider;
  return (
    <div className={s.root}>
      <div className={s.status}>
        <div className={s.row}>
          <Text weight="semibold">{providerName}</Text>
          {connection.status === 'connected' ? (
            <Badge color="success" appearance="filled">
              {m.connected}
            </Badge>
          ) : (
            <Badge color={connection.status === 'needs-reauth' ? 'warning' : 'danger'} appearance="filled">
              {connection.status === 'needs-reauth' ? m.needsReauth : m.error}
            </Badge>
          )}
        </div>
        {connection.account && <Text size={200}>{m.account(connection.account)}</Text>}
        {connection.url && <Text size={200}>{m.url(connection.url)}</Text>}
        <Text size={200}>{m.connectedAt(messages.time.relative(connection.connectedAt))}</Text>
        {connection.lastError && (
          <MessageBar intent="error">
            <MessageBarBody>{connection.lastError}</MessageBarBody>
          </MessageBar>
        )}
      </div>
      {connection.status === 'needs-reauth' && (
        <ConnectForm side={side} providers={providers} initialProvider={connection.provider} reauthorize />
      )}
      {error && (
        <MessageBar intent="error">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      )}
      <div className={s.row}>
        <Button onClick={() => setConfirming(true)}>{m.disconnect}</Button>
      </div>
      {side === 'calendar' && connection.status === 'connected' && <CalendarPicker />}
      {confirming && (
        <Suspense fallback={null}>
          <ConfirmDialog
            open
            title={m.disconnectTitle(providerName)}
            confirmLabel={m.disconnect}
            focus="cancel"
            busy={busy}
            onConfirm={() => void disconnect()}
            onCancel={() => setConfirming(false)}
          >
            {m.disconnectBody(messages.sides[side])}
          </ConfirmDialog>
        </Suspense>
      )}
    </div>
  );
}
