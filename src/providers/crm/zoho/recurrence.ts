/**
 * Zoho CRM Events' `Recurring_Activity` ({ RRULE, EXDATE }, Zoho's v8 description) ↔ the engine's recurrence.
 * Zoho's RRULE is iCalendar's with two differences: it carries the series' first day as `DTSTART=YYYY-MM-DD`, and
 * `UNTIL` is a date (YYYY-MM-DD), not an instant. Its `EXDATE` is taken to be the cancelled occurrences' dates,
 * comma-separated (Zoho's description types it only as a string). Dates are read and written in UTC, the zone
 * the connector writes Zoho times in, so a series round-trips unchanged: an UNTIL or exdate read back gets the
 * series' start time of day.
 */
import { ProviderError } from '../../../sync/errors';
import type { Recurrence, Timing } from '../../../sync/model';

export interface ZohoRecurringActivity {
  RRULE: string;
  EXDATE?: string;
}

/** The RRULE parts Zoho's recurring meetings offer (daily/weekly/monthly/yearly, interval, days, count or end). */
const supported = new Set(['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYSETPOS', 'COUNT', 'UNTIL']);
const frequencies = new Set(['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY']);

function parts(rule: string): [string, string][] {
  return rule
    .replace(/^RRULE:/i, '')
    .split(';')
    .filter((p) => p.includes('='))
    .map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim().toUpperCase(), p.slice(i + 1).trim()];
    });
}

function startOf(t: Timing): { date: string; time: string | null } {
  if (t.kind === 'all-day') return { date: t.startDate, time: null };
  const iso = new Date(t.start).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(10) };
}

/** An iCalendar UNTIL/exdate (instant, basic or extended, or a date) as the UTC date Zoho stores. */
function utcDate(value: string): string {
  const basic = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z?)?$/.exec(value);
  if (basic) {
    if (!basic[4]) return `${basic[1]}-${basic[2]}-${basic[3]}`;
    return new Date(`${basic[1]}-${basic[2]}-${basic[3]}T${basic[4]}:${basic[5]}:${basic[6]}Z`)
      .toISOString()
      .slice(0, 10);
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new ProviderError('invalid', `recurrence: "${value}" is not a date`);
  return new Date(t).toISOString().slice(0, 10);
}

/** The engine's recurrence as Zoho's; a rule part Zoho cannot hold is refused with its name. */
export function recurrenceToZoho(r: Recurrence, timing: Timing): ZohoRecurringActivity {
  const out: string[] = [];
  for (const [k, v] of parts(r.rrule)) {
    if (!supported.has(k)) throw new ProviderError('invalid', `recurrence: Zoho CRM cannot repeat by ${k}`);
    if (k === 'FREQ' && !frequencies.has(v.toUpperCase()))
      throw new ProviderError('invalid', `recurrence: Zoho CRM cannot repeat ${v}`);
    out.push(k === 'UNTIL' ? `UNTIL=${utcDate(v)}` : `${k}=${v.toUpperCase()}`);
  }
  if (!out.some((p) => p.startsWith('FREQ='))) throw new ProviderError('invalid', 'recurrence: FREQ is missing');
  // FREQ first, as RFC 5545 recommends and Zoho's examples write it.
  out.sort((x, y) => Number(y.startsWith('FREQ=')) - Number(x.startsWith('FREQ=')));
  out.push(`DTSTART=${startOf(timing).date}`);
  const exdates = [...new Set(r.exdates.map(utcDate))].sort();
  return { RRULE: out.join(';'), ...(exdates.length ? { EXDATE: exdates.join(',') } : {}) };
}

/** Zoho's recurrence as the engine's: DTSTART dropped (the event's start says it), dates back to instants. */
export function recurrenceFromZoho(raw: unknown, timing: Timing | null): Recurrence | null {
  if (!raw || typeof raw !== 'object' || !timing) return null;
  const rule = (raw as { RRULE?: unknown }).RRULE;
  if (typeof rule !== 'string' || !rule.trim()) return null;
  const { time } = startOf(timing);
  const at = (date: string) => (time ? new Date(`${date}${time}`).toISOString() : date);
  const compact = (date: string) =>
    time
      ? at(date)
          .replace(/[-:]/g, '')
          .replace(/\.\d{3}/, '')
      : date.replace(/-/g, '');
  const rrule = parts(rule)
    .filter(([k]) => k !== 'DTSTART')
    .map(([k, v]) => (k === 'UNTIL' ? `UNTIL=${compact(utcDate(v))}` : `${k}=${v.toUpperCase()}`))
    .join(';');
  const exRaw = (raw as { EXDATE?: unknown }).EXDATE;
  const exdates =
    typeof exRaw === 'string'
      ? exRaw
          .split(',')
          .map((d) => d.trim())
          .filter(Boolean)
          .map((d) => at(utcDate(d)))
      : [];
  return rrule ? { rrule, exdates } : null;
}
