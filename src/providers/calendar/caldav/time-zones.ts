/**
 * The VTIMEZONE we must write beside a TZID (RFC 5545 §3.6.5), derived from Node's Intl through the shared
 * wall-clock conversion.
 */

import { instantOf, isIanaZone, offsetMinutesAt, wallClockAt, type WallClock } from '../../../shared/wall-clock';

export { instantOf, isIanaZone, offsetMinutesAt, wallClockAt, type WallClock };

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

function formatWall(w: WallClock): string {
  return `${pad(w.year, 4)}${pad(w.month)}${pad(w.day)}T${pad(w.hour)}${pad(w.minute)}${pad(w.second)}`;
}

interface Transition {
  at: number;
  from: number;
  to: number;
}

/** Offset changes during one calendar year, found by scanning daily and bisecting to the minute. */
function transitionsIn(year: number, zone: string): Transition[] {
  const out: Transition[] = [];
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const day = 86_400_000;
  let prevT = start;
  let prevOff = offsetMinutesAt(start, zone);
  for (let t = start + day; t <= end; t += day) {
    const off = offsetMinutesAt(t, zone);
    if (off !== prevOff) {
      let lo = prevT;
      let hi = t;
      while (hi - lo > 60_000) {
        const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
        if (offsetMinutesAt(mid, zone) === prevOff) lo = mid;
        else hi = mid;
      }
      out.push({ at: hi, from: prevOff, to: off });
    }
    prevT = t;
    prevOff = off;
  }
  return out;
}

const weekdays = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'] as const;

interface YearlyRule {
  month: number;
  /** 1..4, or -1 for "last" */
  nth: number;
  weekday: number;
}

/** The weekday rule a yearly transition follows (a day in the month's last week is written as -1). */
function ruleOf(w: WallClock): YearlyRule {
  const weekday = new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay();
  const daysInMonth = new Date(Date.UTC(w.year, w.month, 0)).getUTCDate();
  const nth = w.day + 7 > daysInMonth ? -1 : Math.floor((w.day - 1) / 7) + 1;
  return { month: w.month, nth, weekday };
}

function dayOfRule(year: number, r: YearlyRule): number {
  if (r.nth > 0) {
    const first = new Date(Date.UTC(year, r.month - 1, 1)).getUTCDay();
    return 1 + ((r.weekday - first + 7) % 7) + (r.nth - 1) * 7;
  }
  const daysInMonth = new Date(Date.UTC(year, r.month, 0)).getUTCDate();
  const last = new Date(Date.UTC(year, r.month - 1, daysInMonth)).getUTCDay();
  return daysInMonth - ((last - r.weekday + 7) % 7);
}

/** Observances start in this year so every event date we write is covered by an onset before it. */
const firstOnsetYear = 1970;

/**
 * A VTIMEZONE (as iCalendar text lines) valid for events around `year`: yearly rules derived from that
 * year's transitions, or one fixed STANDARD observance for zones without daylight saving time.
 */
export function vtimezoneLines(zone: string, year: number): string[] {
  const key = `${zone}|${year}`;
  let lines = vtimezoneCache.get(key);
  if (!lines) {
    lines = buildVtimezone(zone, year);
    vtimezoneCache.set(key, lines);
  }
  return [...lines];
}

/** Deriving a zone's rules takes a few hundred Intl look-ups: done once per zone and year per process. */
const vtimezoneCache = new Map<string, string[]>();

function buildVtimezone(zone: string, year: number): string[] {
  const lines = ['BEGIN:VTIMEZONE', `TZID:${zone}`];
  const transitions = transitionsIn(year, zone);
  if (transitions.length === 0) {
    const off = formatOffset(offsetMinutesAt(Date.UTC(year, 0, 1), zone));
    lines.push('BEGIN:STANDARD', 'DTSTART:19700101T000000', `TZOFFSETFROM:${off}`, `TZOFFSETTO:${off}`, 'END:STANDARD');
  } else {
    for (const t of transitions) {
      // An observance's DTSTART is the wall-clock time of the change in the offset before it (RFC 5545 §3.6.5).
      const changeWall = toWall(t.at + t.from * 60_000);
      const rule = ruleOf(changeWall);
      const onset: WallClock = { ...changeWall, year: firstOnsetYear, day: dayOfRule(firstOnsetYear, rule) };
      const kind = t.to > t.from ? 'DAYLIGHT' : 'STANDARD';
      lines.push(
        `BEGIN:${kind}`,
        `DTSTART:${formatWall(onset)}`,
        `RRULE:FREQ=YEARLY;BYMONTH=${rule.month};BYDAY=${rule.nth}${weekdays[rule.weekday]}`,
        `TZOFFSETFROM:${formatOffset(t.from)}`,
        `TZOFFSETTO:${formatOffset(t.to)}`,
        `END:${kind}`,
      );
    }
  }
  lines.push('END:VTIMEZONE');
  return lines;
}

/** The UTC fields of an instant, read as a wall clock. */
function toWall(ms: number): WallClock {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}
