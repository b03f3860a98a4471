/**
 * Seconds since `sinceMs` (an instant in ms), re-read every second while `sinceMs` is set: what the slow states
 * ("Still waiting for caldav.example.com… 20 s") count with. The clock is passed in (the pane's is the system clock;
 * the e2e suite moves the browser's clock forward instead of waiting).
 */
import { useEffect, useState } from 'react';
import { systemClock, type Clock } from '../../shared/clock';

export function useElapsedSeconds(sinceMs: number | null, clock: Clock = systemClock): number {
  const [now, setNow] = useState(() => clock().getTime());
  useEffect(() => {
    if (sinceMs === null) return;
    setNow(clock().getTime());
    const timer = window.setInterval(() => setNow(clock().getTime()), 1000);
    return () => window.clearInterval(timer);
  }, [sinceMs, clock]);
  return sinceMs === null ? 0 : Math.max(0, Math.floor((now - sinceMs) / 1000));
}

/** "40 s", "2 min 5 s": how long something has been waiting, for a person. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const min = Math.floor(seconds / 60);
  const s = seconds % 60;
  return s === 0 ? `${min} min` : `${min} min ${s} s`;
}
