import { createSafeFetch, type FetchLike } from '../../../src/providers/http';
import type { ProviderEnv } from '../../../src/providers/connector';
import { fixedClock, type Clock } from '../../../src/shared/clock';

/** Where the CalDAV suites' clock starts: the CRM, the user's edits, the provider and the engine all read it. */
export const WORLD_START = '2026-11-21T09:00:00.000Z';
/** One clock for every world of a suite (one second per read, so modification times order edits). */
export const worldClock = fixedClock(WORLD_START, 1000);

export interface RequestCounter {
  requests: number;
  /** PUT / DELETE / POST / PATCH: requests that change the calendar. */
  writes: number;
  /** Each request as `METHOD` or, for a REPORT, `REPORT <its root element>` (sync-collection, calendar-multiget…). */
  sent: string[];
}

export function newCounter(): RequestCounter {
  return { requests: 0, writes: 0, sent: [] };
}

function described(method: string, body: unknown): string {
  if (method !== 'REPORT' || typeof body !== 'string') return method;
  const root = /<(?:[\w-]+:)?([\w-]+)[\s>]/.exec(body.replace(/<\?xml[^>]*\?>/, ''))?.[1];
  return root ? `REPORT ${root}` : method;
}

/** A provider environment whose safe fetch lets the test server through, as an admin allow-list would. */
export function testEnv(
  allowedPrivateHosts: string[],
  counter?: RequestCounter,
  clock: Clock = worldClock,
): ProviderEnv {
  const safe = createSafeFetch({ allowedPrivateHosts });
  const safeFetch: FetchLike = (input, init) => {
    if (counter) {
      counter.requests++;
      const method = (init?.method ?? 'GET').toUpperCase();
      if (/^(PUT|DELETE|POST|PATCH)$/.test(method)) counter.writes++;
      counter.sent.push(described(method, init?.body));
    }
    return safe(input, init);
  };
  return {
    safeFetch,
    fetch: (i, init) => fetch(i, init),
    publicUrl: 'https://connector.example',
    graphBaseUrl: 'https://graph.invalid',
    now: clock,
  };
}
