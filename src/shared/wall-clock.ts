/**
 * Wall clock ↔ instant in IANA time zones without a bundled zone database: Node's Intl knows every zone.
 * Shared by the calendar providers and the engine (series expansion) (Graph writes wall times with a zone, CalDAV writes TZIDs and VTIMEZONEs).
 */

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Building an Intl formatter costs far more than using one: one per zone, kept. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

export function isIanaZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock in `zone` at the instant `ms`. */
export function wallClockAt(ms: number, zone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(zone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

function wallAsUtcMs(w: WallClock): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

/** Offset of `zone` from UTC at instant `ms`, in minutes (east positive). */
export function offsetMinutesAt(ms: number, zone: string): number {
  return Math.round((wallAsUtcMs(wallClockAt(ms, zone)) - Math.floor(ms / 1000) * 1000) / 60_000);
}

function sameWall(a: WallClock, b: WallClock): boolean {
  return (
    a.year === b.year &&
    a.month === b.month &&
    a.day === b.day &&
    a.hour === b.hour &&
    a.minute === b.minute &&
    a.second === b.second
  );
}

/**
 * The instant a wall clock in `zone` denotes (in a DST gap, read with the offset after the change; in an overlap,
 * the first). The candidates come from the offsets a day either side: the offset at the naive instant itself can
 * belong to the other side of a change that lies between the two (Sydney, 16:00 on the eve of the change).
 */
export function instantOf(w: WallClock, zone: string): number {
  const naive = wallAsUtcMs(w);
  const before = naive - offsetMinutesAt(naive - 86_400_000, zone) * 60_000;
  const after = naive - offsetMinutesAt(naive + 86_400_000, zone) * 60_000;
  const valid = [before, after].filter((c) => sameWall(wallClockAt(c, zone), w));
  if (valid.length > 0) return Math.min(...valid);
  return after;
}
