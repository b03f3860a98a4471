/**
 * While a run is queued or running, polls the sync status so the pane shows progress and then the result.
 * Returns whether a run is in flight.
 */
import { useEffect } from 'react';
import { useApp, useServices } from '../../state/context';

export const POLL_MS = 1000;

export function useRunProgress(): boolean {
  const { store } = useServices();
  const inFlight = useApp((st) => Boolean(st.status && (st.status.running || st.status.queued > 0)));
  useEffect(() => {
    if (!inFlight) return;
    const timer = window.setInterval(() => {
      store
        .getState()
        .refreshStatus()
        .catch(() => undefined);
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [inFlight, store]);
  return inFlight;
}
