/**
 * Banners above every view (SPEC §7): authorization expired or revoked (re-authorize), mass deletion waiting for
 * confirmation, authorization about to expire.
 */
import { useState } from 'react';
import {
  Button,
  makeStyles,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  tokens,
} from '@fluentui/react-components';
import type { Side } from '../../shared/api';
import { describeError } from '../api/describe-error';
import { messages } from '../messages';
import { useApp, useServices } from '../state/context';
import { systemClock } from '../../shared/clock';

const useStyles = makeStyles({ root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS } });

/** Warn this long before a provider's authorization runs out. */
export const EXPIRY_WARNING_MS = 3 * 24 * 3600_000;

export function Banners({ now = systemClock().getTime() }: { now?: number }) {
  const s = useStyles();
  const { api, store } = useServices();
  const connections = useApp((st) => st.connections);
  const status = useApp((st) => st.status);
  const [busy, setBusy] = useState(false);
  const b = messages.banners;
  const sides: Side[] = ['crm', 'calendar'];

  const reauth = sides.filter((side) => connections?.[side]?.status === 'needs-reauth');
  if (status?.paused?.reason === 'needs-reauth' && status.paused.side && !reauth.includes(status.paused.side)) {
    reauth.push(status.paused.side);
  }
  const expiring = sides.filter((side) => {
    const c = connections?.[side];
    if (!c || c.status !== 'connected' || !c.tokenExpiresAt) return false;
    const left = Date.parse(c.tokenExpiresAt) - now;
    return left > 0 && left < EXPIRY_WARNING_MS;
  });
  const pending = status?.pendingConfirmation ?? null;

  async function answer(confirm: boolean) {
    if (!pending) return;
    setBusy(true);
    try {
      await api('confirmDeletions', { body: { runId: pending.runId, confirm } });
      await store.getState().refreshStatus();
    } catch (err) {
      store.getState().notify({ intent: 'error', text: describeError(err) });
    } finally {
      setBusy(false);
    }
  }

  if (reauth.length === 0 && expiring.length === 0 && !pending) return null;
  return (
    <div className={s.root}>
      {reauth.map((side) => (
        <MessageBar key={`reauth-${side}`} intent="error" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>{b.reauthTitle}</MessageBarTitle>
            {b.reauth(messages.sides[side], status?.paused?.side === side ? status.paused.message : '')}
          </MessageBarBody>
          <MessageBarActions>
            <Button size="small" onClick={() => store.getState().navigate('connections')}>
              {b.reauthAction}
            </Button>
          </MessageBarActions>
        </MessageBar>
      ))}
      {pending && (
        <MessageBar intent="warning" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>{b.massDeletionTitle}</MessageBarTitle>
            {b.massDeletion(pending.crm, pending.calendar, pending.reason)}
          </MessageBarBody>
          <MessageBarActions>
            <Button size="small" disabled={busy} onClick={() => void answer(true)}>
              {b.massDeletionConfirm}
            </Button>
            <Button size="small" disabled={busy} onClick={() => void answer(false)}>
              {b.massDeletionDismiss}
            </Button>
          </MessageBarActions>
        </MessageBar>
      )}
      {expiring.map((side) => (
        <MessageBar key={`expiring-${side}`} intent="warning" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>{b.expiringTitle}</MessageBarTitle>
            {b.expiring(messages.sides[side], messages.time.relative(connections![side]!.tokenExpiresAt!, now))}
          </MessageBarBody>
          <MessageBarActions>
            <Button size="small" onClick={() => store.getState().navigate('connections')}>
              {b.reauthAction}
            </Button>
          </MessageBarActions>
        </MessageBar>
      ))}
    </div>
  );
}
