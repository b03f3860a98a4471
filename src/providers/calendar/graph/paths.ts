import type { Event } from '@microsoft/microsoft-graph-types';
import { allDayOriginalDate } from './mapping';

/** Plain-text bodies on reads: the engine compares text, and our decorations are found by their marker line. */
export const textBody = { Prefer: 'outlook.body-content-type="text"' };
export const dayMs = 86_400_000;

/** One page of a Graph collection. */
export interface Page<T> {
  value: T[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

export function q(s: string): string {
  return encodeURIComponent(s);
}

/** An OData string literal. */
export function odataString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** The instance whose original start is `want` (a UTC instant, or a date for all-day series). */
export function matchOriginalStart(instances: Event[], want: string): Event | undefined {
  return instances.find((inst) => {
    const os = inst.originalStart ? new Date(inst.originalStart).toISOString() : '';
    if (!os) return false;
    // An all-day occurrence's date is its original start in the event's zone (allDayOriginalDate).
    return want.length === 10 ? allDayOriginalDate(inst, os) === want : os === new Date(want).toISOString();
  });
}

/** The instances of a series in the days around one original start (enough to find that occurrence). */
export function instancesAround(seriesId: string, originalStart: string): string {
  const at = Date.parse(originalStart.length === 10 ? `${originalStart}T00:00:00Z` : originalStart);
  const from = new Date(at - dayMs).toISOString();
  const to = new Date(at + 2 * dayMs).toISOString();
  return `/me/events/${q(seriesId)}/instances?startDateTime=${q(from)}&endDateTime=${q(to)}&$select=id,originalStart,originalStartTimeZone,start,isAllDay`;
}
