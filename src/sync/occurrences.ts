/**
 * Series expansion for CRMs without a recurrence model (SPEC §5): "a CRM with no recurrence model gets the
 * occurrences inside the window as individual activities linked to the series". This module is the arithmetic:
 * which occurrences an RRULE yields inside a range, and the ids that name one occurrence. Times are expanded on
 * the organiser's wall clock (a weekly 09:00 Berlin meeting stays at 09:00 across daylight saving), then turned
 * into instants.
 */
import ICAL from 'ical.js';
import type { Recurrence, Timing } from './model';
import { instantOf, wallClockAt } from '../shared/wall-clock';

/**
 * How far ahead a series is expanded. The window's future is unlimited (SPEC §5), so an open-ended series needs a
 * horizon: a year of occurrences is what a salesperson plans with, without flooding the CRM with years of
 * stand-ups. The horizon rolls forward every day (see occurrence-calendar.ts).
 */
export const OCCURRENCE_HORIZON_DAYS = 365;

/** A runaway rule (or one starting decades ago) must not stall a run. */
const MAX_ITERATIONS = 20_000;

const DAY_MS = 86_400_000;

export interface Occurrence {
  /** Same form as Recurrence.exdates entries: UTC instant (timed) or YYYY-MM-DD (all-day). */
  originalStart: string;
  timing: Timing;
}

/** Not found in Graph, Google or (percent-encoded) CalDAV ids. */
export interface Expansion {
  occurrences: Occurrence[];
  /** The rule goes on past the range's end (the horizon cut it). */
  truncated: boolean;
}

const SEPARATOR = '|occ|';

/** The engine's id for one occurrence of a series: stable whether or not the occurrence was ever modified. */
export function occurrenceEventId(seriesId: string, originalStart: string): string {
  return `${seriesId}${SEPARATOR}${originalStart}`;
}

export function parseOccurrenceEventId(id: string): { seriesId: string; originalStart: string } | null {
  const i = id.lastIndexOf(SEPARATOR);
  if (i <= 0) return null;
  return { seriesId: id.slice(0, i), originalStart: id.slice(i + SEPARATOR.length) };
}

export function isOccurrenceEventId(id: string): boolean {
  return parseOccurrenceEventId(id) !== null;
}

/**
 * The iCalUId of one occurrence: the series' UID plus the original start (the form RFC 5545 gives an occurrence:
 * UID + RECURRENCE-ID). Every attendee's connector derives the same value, so one activity per occurrence is kept
 * across CRM users, and a lost create is found again.
 */
export function occurrenceICalUId(seriesICalUId: string, originalStart: string): string {
  return `${seriesICalUId}#${originalStart}`;
}

/** Canonical form of an original start as providers report it (instants to UTC with milliseconds). */
export function canonicalOriginalStart(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

function floating(ms: number, zone: string): ICAL.Time {
  const w = wallClockAt(ms, zone);
  return ICAL.Time.fromData({
    year: w.year,
    month: w.month,
    day: w.day,
    hour: w.hour,
    minute: w.minute,
    second: w.second,
  });
}

function dateOf(iso: string): ICAL.Time {
  const [y, m, d] = iso.split('-').map(Number);
  return ICAL.Time.fromData({ year: y!, month: m!, day: d!, isDate: true });
}

function isoDate(t: ICAL.Time): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(t.year, 4)}-${p(t.month)}-${p(t.day)}`;
}

function addDays(isoDay: string, days: number): string {
  return new Date(Date.parse(`${isoDay}T00:00:00.000Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The occurrences of a series whose start lies in [from, to) — `from`/`to` are UTC instants; for all-day series
 * their dates. Occurrences cancelled through `exdates` are left out. Returns null when the rule cannot be read
 * (the caller then keeps the series as one item, as before).
 */
export function expandRecurrence(
  series: { timing: Timing; recurrence: Recurrence },
  range: { from: string; to: string },
): Expansion | null {
  let recur: ICAL.Recur;
  try {
    recur = ICAL.Recur.fromString(series.recurrence.rrule);
  } catch {
    return null;
  }
  const exdates = new Set(series.recurrence.exdates.map(canonicalOriginalStart));
  const out: Occurrence[] = [];
  const t = series.timing;
  try {
    if (t.kind === 'all-day') {
      const length = Math.max(1, Math.round((Date.parse(t.endDate) - Date.parse(t.startDate)) / DAY_MS));
      const fromDay = range.from.slice(0, 10);
      const toDay = range.to.slice(0, 10);
      if (recur.until && !recur.until.isDate) recur.until = dateOf(recur.until.toString().slice(0, 10));
      const it = recur.iterator(dateOf(t.startDate));
      for (let n = 0, next = it.next(); next; n++, next = it.next()) {
        const day = isoDate(next);
        if (day >= toDay || n >= MAX_ITERATIONS) return { occurrences: out, truncated: true };
        if (addDays(day, length) <= fromDay || exdates.has(day)) continue;
        out.push({ originalStart: day, timing: { kind: 'all-day', startDate: day, endDate: addDays(day, length) } });
      }
      return { occurrences: out, truncated: false };
    }
    const zone = t.timeZone || 'UTC';
    const startMs = Date.parse(t.start);
    const duration = Date.parse(t.end) - startMs;
    const fromMs = Date.parse(range.from);
    const toMs = Date.parse(range.to);
    // UNTIL is written in UTC; the iterator runs on the wall clock, so compare like with like.
    if (recur.until && !recur.until.isDate) recur.until = floating(recur.until.toUnixTime() * 1000, zone);
    const it = recur.iterator(floating(startMs, zone));
    for (let n = 0, next = it.next(); next; n++, next = it.next()) {
      const ms = instantOf(
        {
          year: next.year,
          month: next.month,
          day: next.day,
          hour: next.hour,
          minute: next.minute,
          second: next.second,
        },
        zone,
      );
      if (ms >= toMs || n >= MAX_ITERATIONS) return { occurrences: out, truncated: true };
      if (ms + duration <= fromMs) continue;
      const originalStart = new Date(ms).toISOString();
      if (exdates.has(originalStart)) continue;
      out.push({
        originalStart,
        timing: { kind: 'timed', start: originalStart, end: new Date(ms + duration).toISOString(), timeZone: zone },
      });
    }
    return { occurrences: out, truncated: false };
  } catch {
    return null;
  }
}
