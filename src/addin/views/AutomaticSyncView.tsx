/**
 * Automatic sync (SPEC §6): the on/off checkbox, Sync calendar now with its menu (Preview, Run duplicate cleanup,
 * Reset calendar sync), live progress while a run is queued or running, the result and the last sync time.
 */
import { useEffect, useState } from 'react';
import {
  Checkbox,
  makeStyles,
  Menu,
  MenuItem,
  MenuList,
  MenuPopover,
  MenuTrigger,
  MessageBar,
  MessageBarBody,
  ProgressBar,
  SplitButton,
  Text,
  tokens,
  type MenuButtonProps,
} from '@fluentui/react-components';
import { describeError } from '../api/describe-error';
import { RunSummary } from '../components/RunSummary';
import { Section } from '../components/Section';
import { messages } from '../messages';
import { useApp, useServices } from '../state/context';
import { CleanupDialog } from './sync/CleanupDialog';
import { PreviewDialog } from './sync/PreviewDialog';
import { ResetDialog } from './sync/ResetDialog';
import { useRunProgress } from './sync/use-run-progress';
import { formatWait, useElapsedSeconds } from '../state/use-elapsed';

/** After this long, the running state says why a run can take long and that the pane can be closed. */
const SLOW_RUN_AFTER_S = 20;

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalL },
  row: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXS },
});

type Open = 'preview' | 'cleanup' | 'reset' | null;

export function AutomaticSyncView() {
  const s = useStyles();
  const { api, store } = useServices();
  const m = messages.sync;
  const status = useApp((st) => st.status);
  const connections = useApp((st) => st.connections);
  const settings = useApp((st) => st.settings);
  const [open, setOpen] = useState<Open>(null);
  const [error, setError] = useState<string | null>(null);
  /** The value the user just chose, shown while the server confirms it. */
  const [toggling, setToggling] = useState<boolean | null>(null);
  const busy = useRunProgress();
  const runningSince = busy && status?.running ? Date.parse(status.running.startedAt) : null;
  const runFor = useElapsedSeconds(runningSince !== null && Number.isFinite(runningSince) ? runningSince : null);

  const bothConnected = connections?.crm?.status === 'connected' && connections?.calendar?.status === 'connected';
  const autoLocked = settings?.details.find((d) => d.key === 'automaticSync')?.locked ?? false;

  useEffect(() => {
    void store
      .getState()
      .refreshStatus()
      .catch(() => undefined);
  }, [store]);

  async function toggle(enabled: boolean) {
    setToggling(enabled);
    setError(null);
    try {
      store.getState().setStatus(await api('setAutomaticSync', { body: { enabled } }));
      await store.getState().refreshSettings();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setToggling(null);
    }
  }

  async function syncNow() {
    setError(null);
    try {
      await api('startRun', { body: {} });
      // Goes away by itself once the run is over (its result then shows below).
      store.getState().notify({ intent: 'info', text: m.started, untilRunEnds: true });
      await store.getState().refreshStatus();
    } catch (err) {
      setError(describeError(err));
    }
  }

  const lastRun = status?.lastRun ?? null;
  return (
    <div className={s.root}>
      {!bothConnected && (
        <MessageBar intent="info">
          <MessageBarBody>{m.needsConnections}</MessageBarBody>
        </MessageBar>
      )}
      <div className={s.row}>
        <Checkbox
          label={m.enable}
          checked={toggling ?? status?.automaticSync ?? false}
          disabled={!bothConnected || toggling !== null || autoLocked}
          onChange={(_e, d) => void toggle(Boolean(d.checked))}
        />
        {status?.automaticSync && settings && (
          <Text size={200}>{m.enabledHint(settings.settings.syncIntervalMinutes)}</Text>
        )}
        {autoLocked && <Text size={200}>{messages.settings.locked(settings?.profile?.name ?? null)}</Text>}
      </div>

      <div className={s.row}>
        <Menu positioning="below-end">
          <MenuTrigger disableButtonEnhancement>
            {(triggerProps: MenuButtonProps) => (
              <SplitButton
                appearance="primary"
                menuButton={{ ...triggerProps, 'aria-label': m.moreActions }}
                primaryActionButton={{ onClick: () => void syncNow(), disabled: !bothConnected || busy }}
              >
                {m.syncNow}
              </SplitButton>
            )}
          </MenuTrigger>
          <MenuPopover>
            <MenuList>
              <MenuItem disabled={!bothConnected} onClick={() => setOpen('preview')}>
                {m.preview}
              </MenuItem>
              <MenuItem disabled={!bothConnected} onClick={() => setOpen('cleanup')}>
                {m.cleanup}
              </MenuItem>
              <MenuItem onClick={() => setOpen('reset')}>{m.reset}</MenuItem>
            </MenuList>
          </MenuPopover>
        </Menu>
        <Text size={200} aria-live="polite">
          {lastRun?.finishedAt ? m.lastSync(messages.time.relative(lastRun.finishedAt)) : m.neverSynced}
          {status?.automaticSync && status.nextRunAt
            ? ` · ${m.nextSync(messages.time.relative(status.nextRunAt))}`
            : ''}
        </Text>
      </div>

      {busy && (
        <div className={s.row} role="status">
          <ProgressBar aria-label={m.running} />
          <Text size={200}>
            {m.running}
            {status && status.queued > 0 ? ` ${m.queued(status.queued)}` : ''}
          </Text>
          {runningSince !== null && runFor >= SLOW_RUN_AFTER_S && (
            <Text size={200}>{m.slowRun(formatWait(runFor))}</Text>
          )}
        </div>
      )}

      {error && (
        <MessageBar intent="error" role="alert">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      )}

      {lastRun && (
        <Section title={m.resultTitle}>
          <RunSummary report={lastRun} />
        </Section>
      )}

      {open === 'preview' && <PreviewDialog onClose={() => setOpen(null)} />}
      {open === 'cleanup' && <CleanupDialog onClose={() => setOpen(null)} />}
      {open === 'reset' && <ResetDialog onClose={() => setOpen(null)} />}
    </div>
  );
}
