import type {
  DayOfWeek,
  PatternedRecurrence,
  RecurrencePatternType,
  WeekIndex,
} from '@microsoft/microsoft-graph-types';
import { ProviderError } from '../../../sync/errors';
import type { Timing } from '../../../sync/model';
import { localDateTime, zonedToUtc } from './timezones';

/**
 * RRULE (the engine's recurrence language) ↔ Graph's patternedRecurrence. Graph can express only a subset of
 * RFC 5545; anything else is refused with an 'invalid' error naming the part, never silently approximated.
 * Reading writes out what Graph stores: FREQ, INTERVAL when > 1, BYDAY for weekly and relative patterns,
 * BYMONTHDAY / BYMONTH for absolute ones, WKST when not MO (and it matters: weekly with INTERVAL > 1), then
 * COUNT or UNTIL. A rule written without BYDAY (implied by the start) therefore reads back with it, once.
 */
const days: DayOfWeek[] = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const codes = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
const indexes: Record<string, WeekIndex> = { '1': 'first', '2': 'second', '3': 'third', '4': 'fourth', '-1': 'last' };

function invalid(msg: string): never {
  throw new ProviderError('invalid', `recurrence: ${msg}`);
}

function dayFromCode(code: string): DayOfWeek {
  const i = codes.indexOf(code);
  if (i < 0) invalid(`unknown weekday ${code}`);
  return days[i]!;
}

function codeFromDay(day: DayOfWeek | null | undefined): string {
  const i = days.indexOf(day ?? 'monday');
  return codes[i < 0 ? 1 : i]!;
}

/** Start of the series as a local date in its zone, and its weekday/day/month. */
function startInfo(timing: Timing): { date: string; zone: string; weekday: number; day: number; month: number } {
  const zone = timing.kind === 'timed' ? timing.timeZone : 'UTC';
  const date = timing.kind === 'timed' ? localDateTime(timing.start, zone).slice(0, 10) : timing.startDate;
  const d = new Date(`${date}T00:00:00Z`);
  return { date, zone, weekday: d.getUTCDay(), day: d.getUTCDate(), month: d.getUTCMonth() + 1 };
}

function parseRrule(rrule: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of rrule.replace(/^RRULE:/i, '').split(';')) {
    if (!part) continue;
    const [k, v] = part.split('=');
    if (!k || v === undefined) invalid(`malformed part "${part}"`);
    m.set(k.toUpperCase(), v.toUpperCase());
  }
  return m;
}

function untilToDate(until: string, zone: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(until);
  if (!m) invalid(`bad UNTIL ${until}`);
  if (!m[4]) return `${m[1]}-${m[2]}-${m[3]}`;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
  const instant = m[7] ? new Date(`${iso}Z`) : zonedToUtc(iso, zone);
  return localDateTime(instant.toISOString(), zone).slice(0, 10);
}

export function rruleToGraph(rrule: string, timing: Timing): PatternedRecurrence {
  const r = parseRrule(rrule);
  const allowed = new Set(['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYSETPOS', 'COUNT', 'UNTIL', 'WKST']);
  for (const k of r.keys()) if (!allowed.has(k)) invalid(`${k} is not expressible in Outlook`);
  const s = startInfo(timing);
  const interval = Number(r.get('INTERVAL') ?? '1');
  if (!Number.isInteger(interval) || interval < 1) invalid('INTERVAL must be a positive integer');
  const freq = r.get('FREQ');
  const byDay = r.get('BYDAY')?.split(',') ?? [];
  const setPos = r.get('BYSETPOS');
  const firstDayOfWeek = dayFromCode(r.get('WKST') ?? 'MO');
  let type: RecurrencePatternType;
  const pattern: PatternedRecurrence['pattern'] = { interval, firstDayOfWeek };
  const relative = byDay.length === 1 && (/^[+-]?\d/.test(byDay[0]!) || setPos !== undefined);
  const relativeDay = () => {
    const m = /^([+-]?\d)?([A-Z]{2})$/.exec(byDay[0]!);
    const idx = indexes[String(Number(m?.[1] ?? setPos))];
    if (!m || !idx) invalid(`BYDAY ${byDay[0]} / BYSETPOS ${setPos ?? ''} is not expressible in Outlook`);
    pattern.index = idx;
    pattern.daysOfWeek = [dayFromCode(m[2]!)];
  };
  switch (freq) {
    case 'DAILY':
      type = 'daily';
      if (byDay.length || r.has('BYMONTHDAY') || r.has('BYMONTH')) invalid('DAILY with BY* parts');
      break;
    case 'WEEKLY':
      type = 'weekly';
      if (byDay.some((d) => !/^[A-Z]{2}$/.test(d))) invalid('WEEKLY BYDAY with ordinals');
      pattern.daysOfWeek = (byDay.length ? byDay : [codes[s.weekday]!]).map(dayFromCode);
      break;
    case 'MONTHLY':
      if (relative) {
        type = 'relativeMonthly';
        relativeDay();
      } else {
        if (byDay.length) invalid('MONTHLY with several BYDAY values');
        type = 'absoluteMonthly';
        pattern.dayOfMonth = Number(r.get('BYMONTHDAY') ?? s.day);
      }
      break;
    case 'YEARLY':
      pattern.month = Number(r.get('BYMONTH') ?? s.month);
      if (relative) {
        type = 'relativeYearly';
        relativeDay();
      } else {
        if (byDay.length) invalid('YEARLY with several BYDAY values');
        type = 'absoluteYearly';
        pattern.dayOfMonth = Number(r.get('BYMONTHDAY') ?? s.day);
      }
      break;
    default:
      invalid(`FREQ ${freq ?? '(missing)'} is not supported`);
  }
  pattern.type = type;
  const range: PatternedRecurrence['range'] = { startDate: s.date, recurrenceTimeZone: s.zone };
  if (r.has('COUNT')) {
    range.type = 'numbered';
    range.numberOfOccurrences = Number(r.get('COUNT'));
  } else if (r.has('UNTIL')) {
    range.type = 'endDate';
    range.endDate = untilToDate(r.get('UNTIL')!, s.zone);
  } else range.type = 'noEnd';
  return { pattern, range };
}

export function graphToRrule(rec: PatternedRecurrence, timing: Timing): string {
  const p = rec.pattern ?? {};
  const range = rec.range ?? {};
  const s = startInfo(timing);
  const parts: string[] = [];
  const interval = p.interval ?? 1;
  const dayCodes = (p.daysOfWeek ?? []).map((d) => codeFromDay(d));
  const ordinal = Object.entries(indexes).find(([, v]) => v === p.index)?.[0] ?? '1';
  switch (p.type) {
    case 'daily':
      parts.push('FREQ=DAILY');
      break;
    case 'weekly':
      parts.push('FREQ=WEEKLY');
      break;
    case 'absoluteMonthly':
    case 'relativeMonthly':
      parts.push('FREQ=MONTHLY');
      break;
    default:
      parts.push('FREQ=YEARLY');
  }
  if (interval > 1) parts.push(`INTERVAL=${interval}`);
  if (p.type === 'weekly') parts.push(`BYDAY=${(dayCodes.length ? dayCodes : [codes[s.weekday]!]).join(',')}`);
  if (p.type === 'relativeMonthly' || p.type === 'relativeYearly') parts.push(`BYDAY=${ordinal}${dayCodes[0] ?? 'MO'}`);
  if (p.type === 'absoluteMonthly' || p.type === 'absoluteYearly') parts.push(`BYMONTHDAY=${p.dayOfMonth ?? s.day}`);
  if (p.type === 'absoluteYearly' || p.type === 'relativeYearly') parts.push(`BYMONTH=${p.month ?? s.month}`);
  if (p.type === 'weekly' && p.firstDayOfWeek && p.firstDayOfWeek !== 'monday' && interval > 1) {
    parts.push(`WKST=${codeFromDay(p.firstDayOfWeek)}`);
  }
  if (range.type === 'numbered' && range.numberOfOccurrences) parts.push(`COUNT=${range.numberOfOccurrences}`);
  if (range.type === 'endDate' && range.endDate) {
    const d = range.endDate.replace(/-/g, '');
    if (timing.kind === 'all-day') parts.push(`UNTIL=${d}`);
    else {
      const end = zonedToUtc(`${range.endDate}T23:59:59`, s.zone).toISOString();
      parts.push(`UNTIL=${end.replace(/[-:]/g, '').replace(/\.\d{3}/, '')}`);
    }
  }
  return parts.join(';');
}

/**
 * Cancelled occurrences as the engine's exdates. Graph lists them as "OID.<masterId>.<yyyy-mm-dd>" (local date in
 * the series zone); the original start is that date at the series' start time.
 */
export function cancelledToExdates(cancelled: string[], timing: Timing): string[] {
  const out: string[] = [];
  for (const c of cancelled) {
    const m = /(\d{4}-\d{2}-\d{2})$/.exec(c);
    if (!m) continue;
    if (timing.kind === 'all-day') out.push(m[1]!);
    else {
      const time = localDateTime(timing.start, timing.timeZone).slice(11);
      out.push(zonedToUtc(`${m[1]}T${time}`, timing.timeZone).toISOString());
    }
  }
  return out.sort();
}
