/**
 * Whether a run is queued or running. The shell keeps the status live (state/use-live-status.ts), faster while a
 * run is in flight, so views only read it.
 */
import { runInFlight } from '../../state/app-store';
import { useApp } from '../../state/context';

export function useRunProgress(): boolean {
  return useApp((st) => runInFlight(st.status));
}
