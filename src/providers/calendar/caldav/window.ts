/** Whether an event can have occurrences inside the listing window (SPEC §5: past window … horizon). */
import type { CalendarEvent } from '../../../sync/model';
import type { ListWindow } from '../../../sync/ports';

function bounds(e: CalendarEvent): { start: number; end: number } {
  const t = e.fields.timing;
  if (t.kind === 'timed') return { start: Date.parse(t.start), end: Date.parse(t.end) };
  return {
    start: Date.parse(`${t.startDate}T00:00:00Z`) - 14 * 3_600_000,
    end: Date.parse(`${t.endDate}T00:00:00Z`) + 14 * 3_600_000,
  };
}

function seriesEnd(rrule: string, firstEnd: number): number {
  const until = /(?:^|;)UNTIL=(\d{8})(?:T(\d{6})Z?)?/i.exec(rrule);
  if (until) {
    const d = until[1] ?? '';
    const t = until[2] ?? '235959';
    return Math.max(
      firstEnd,
      Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +t.slice(0, 2), +t.slice(2, 4), +t.slice(4, 6)) +
        86_400_000,
    );
  }
  // COUNT-limited or open-ended series: kept (expanding COUNT would need the whole rule engine for a filter).
  return Number.POSITIVE_INFINITY;
}

export function inWindow(e: CalendarEvent, w: ListWindow): boolean {
  const { start, end } = bounds(e);
  const last = e.fields.recurrence ? seriesEnd(e.fields.recurrence.rrule, end) : end;
  if (last < Date.parse(w.from)) return false;
  if (w.to !== null && start > Date.parse(w.to)) return false;
  return true;
}
