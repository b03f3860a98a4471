/**
 * Keeps the sync status live while the pane is visible, so it learns about runs it did not start (automatic
 * runs, the CLI, another Outlook window): every IDLE_POLL_MS when nothing runs, every ACTIVE_POLL_MS while a run
 * is queued or running, at once when the pane becomes visible again, and not at all while it is hidden (Outlook
 * keeps pinned panes alive in the background). Polling, not server-sent events: it needs no long-lived
 * connection through Outlook's proxies and corporate gateways, and a status call is a few indexed reads.
 */
import { useEffect } from 'react';
import type { AppStore } from './app-store';
import { runInFlight } from './app-store';

export const IDLE_POLL_MS = 10_000;
export const ACTIVE_POLL_MS = 1_000;

export function useLiveStatus(store: AppStore, enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    let timer: number | undefined;
    let stopped = false;
    const visible = () => document.visibilityState !== 'hidden';
    const schedule = () => {
      window.clearTimeout(timer);
      if (stopped || !visible()) return;
      const delay = runInFlight(store.getState().status) ? ACTIVE_POLL_MS : IDLE_POLL_MS;
      timer = window.setTimeout(() => void tick(), delay);
    };
    const tick = async () => {
      await store
        .getState()
        .refreshStatus()
        .catch(() => undefined);
      schedule();
    };
    const onVisibility = () => {
      if (visible()) void tick();
      else window.clearTimeout(timer);
    };
    // A run started from the pane (Sync now, Retry, a confirmation) switches to the fast pace at once.
    const unsubscribe = store.subscribe((st, prev) => {
      if (runInFlight(st.status) && !runInFlight(prev.status)) schedule();
    });
    document.addEventListener('visibilitychange', onVisibility);
    schedule();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      unsubscribe();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [store, enabled]);
}
