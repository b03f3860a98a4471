import { instantOf, isIanaZone, wallClockAt } from '../../../shared/wall-clock';

export { isIanaZone };

/**
 * Graph reports an event's original zone as a Windows zone name when Outlook created it ("W. Europe Standard
 * Time") and as the IANA name when a client wrote one. The engine wants IANA (SPEC §5).
 */
const windowsToIana: Record<string, string> = {
  UTC: 'UTC',
  'Coordinated Universal Time': 'UTC',
  'GMT Standard Time': 'Europe/London',
  'Greenwich Standard Time': 'Atlantic/Reykjavik',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Central Europe Standard Time': 'Europe/Budapest',
  'Central European Standard Time': 'Europe/Warsaw',
  'Romance Standard Time': 'Europe/Paris',
  'E. Europe Standard Time': 'Europe/Chisinau',
  'FLE Standard Time': 'Europe/Kiev',
  'GTB Standard Time': 'Europe/Bucharest',
  'Russian Standard Time': 'Europe/Moscow',
  'Turkey Standard Time': 'Europe/Istanbul',
  'Israel Standard Time': 'Asia/Jerusalem',
  'South Africa Standard Time': 'Africa/Johannesburg',
  'Arabian Standard Time': 'Asia/Dubai',
  'India Standard Time': 'Asia/Kolkata',
  'China Standard Time': 'Asia/Shanghai',
  'Singapore Standard Time': 'Asia/Singapore',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'Korea Standard Time': 'Asia/Seoul',
  'AUS Eastern Standard Time': 'Australia/Sydney',
  'E. Australia Standard Time': 'Australia/Brisbane',
  'W. Australia Standard Time': 'Australia/Perth',
  'New Zealand Standard Time': 'Pacific/Auckland',
  'Eastern Standard Time': 'America/New_York',
  'Central Standard Time': 'America/Chicago',
  'Mountain Standard Time': 'America/Denver',
  'US Mountain Standard Time': 'America/Phoenix',
  'Pacific Standard Time': 'America/Los_Angeles',
  'Alaskan Standard Time': 'America/Anchorage',
  'Hawaiian Standard Time': 'Pacific/Honolulu',
  'Atlantic Standard Time': 'America/Halifax',
  'SA Pacific Standard Time': 'America/Bogota',
  'Pacific SA Standard Time': 'America/Santiago',
  'E. South America Standard Time': 'America/Sao_Paulo',
  'Argentina Standard Time': 'America/Buenos_Aires',
  'Central Standard Time (Mexico)': 'America/Mexico_City',
  'Canada Central Standard Time': 'America/Regina',
};

export function toIana(zone: string | null | undefined): string {
  if (!zone) return 'UTC';
  const mapped = windowsToIana[zone];
  if (mapped) return mapped;
  return zone.includes('/') && isIanaZone(zone) ? zone : 'UTC';
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** "2026-11-21T10:00:00" in `zone` for a UTC instant: what Graph wants in dateTimeTimeZone.dateTime. */
export function localDateTime(instantIso: string, zone: string): string {
  const w = wallClockAt(Date.parse(instantIso), zone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

/** The UTC instant of a wall-clock time ("2026-11-21T10:00:00…") in `zone`. */
export function zonedToUtc(local: string, zone: string): Date {
  const [date = '', time = ''] = local.slice(0, 19).split('T');
  const [year = 1970, month = 1, day = 1] = date.split('-').map(Number);
  const [hour = 0, minute = 0, second = 0] = time.split(':').map(Number);
  return new Date(instantOf({ year, month, day, hour, minute, second }, zone));
}

/** Graph's "2026-11-21T09:00:00.0000000" (UTC by our Prefer header) → "2026-11-21T09:00:00.000Z". */
export function graphUtcToIso(dateTime: string): string {
  const trimmed = dateTime.replace(/(\.\d{3})\d*$/, '$1').replace(/Z$/, '');
  return new Date(`${trimmed.includes('.') ? trimmed : `${trimmed}.000`}Z`).toISOString();
}
