/**
 * DATE / DATE-TIME properties in and out of the engine's forms: UTC instants (ISO with milliseconds) for timed
 * values, YYYY-MM-DD for dates. A TZID is resolved through the file's VTIMEZONE, else through Intl (IANA ids),
 * else read as UTC; floating times are read as UTC.
 */
import ICAL from 'ical.js';
import { instantOf, isIanaZone, wallClockAt } from './time-zones';

export type IcalValue = { kind: 'date'; date: string } | { kind: 'instant'; iso: string; tzid: string | null };

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export function timeToValue(time: ICAL.Time, tzid: string | null): IcalValue {
  if (time.isDate) return { kind: 'date', date: `${pad(time.year, 4)}-${pad(time.month)}-${pad(time.day)}` };
  const zone = time.zone;
  const zoneId = zone?.tzid;
  let ms: number;
  if (zoneId === 'UTC' || (zone && zoneId !== 'floating')) {
    ms = time.toUnixTime() * 1000;
  } else if (tzid && isIanaZone(tzid)) {
    ms = instantOf(
      { year: time.year, month: time.month, day: time.day, hour: time.hour, minute: time.minute, second: time.second },
      tzid,
    );
  } else {
    ms = Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second);
  }
  return { kind: 'instant', iso: new Date(ms).toISOString(), tzid: zoneId === 'UTC' ? 'UTC' : tzid };
}

/** Reads every value of every property `name` (EXDATE may carry several per line). */
export function readTimes(comp: ICAL.Component, name: string): IcalValue[] {
  const out: IcalValue[] = [];
  for (const prop of comp.getAllProperties(name)) {
    const tzid = prop.getFirstParameter('tzid') ?? null;
    for (const v of prop.getValues()) {
      if (v instanceof ICAL.Time) out.push(timeToValue(v, tzid));
    }
  }
  return out;
}

export function readTime(comp: ICAL.Component, name: string): IcalValue | null {
  return readTimes(comp, name)[0] ?? null;
}

export function compactDate(date: string): string {
  return date.replace(/-/g, '');
}

/** A DATE-TIME written as wall-clock time in `zone` (with TZID), or in UTC when the zone is UTC/unknown. */
export function formatInstant(iso: string, zone: string | null): { params: string; value: string } {
  const ms = Date.parse(iso);
  if (!zone || zone === 'UTC' || !isIanaZone(zone)) {
    const d = new Date(ms);
    return {
      params: '',
      value: `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`,
    };
  }
  const w = wallClockAt(ms, zone);
  return {
    params: `;TZID=${zone}`,
    value: `${pad(w.year, 4)}${pad(w.month)}${pad(w.day)}T${pad(w.hour)}${pad(w.minute)}${pad(w.second)}`,
  };
}

/** One DATE or DATE-TIME property line: instants in `zone`, dates as VALUE=DATE. */
export function timeProperty(name: string, value: string, zone: string | null): ICAL.Property {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return ICAL.Property.fromString(`${name};VALUE=DATE:${compactDate(value)}`);
  }
  const f = formatInstant(value, zone);
  return ICAL.Property.fromString(`${name}${f.params}:${f.value}`);
}
