/**
 * Finding the user's calendars from whatever URL they typed (RFC 6764 / RFC 4791 §6): the URL itself, then
 * /.well-known/caldav; current-user-principal → calendar-home-set (+ calendar-user-address-set for "who am I").
 * A URL that already is a calendar collection or a calendar home works too.
 */
import { ProviderError } from '../../../sync/errors';
import { ConnectError } from '../../http/connect-error';
import type { CalendarInfo } from '../../../sync/ports';
import type { DavClient } from './dav-client';
import {
  propChildNames,
  propHrefs,
  propText,
  prop,
  asArray,
  textOf,
  type XmlNode,
  type DavResponse,
} from './multistatus';

export interface Discovered {
  /** Absolute URL of the calendar home collection. */
  homeUrl: string;
  /** mailto: addresses of the user (lower case, without "mailto:"). */
  addresses: string[];
}

const principalProps = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:current-user-principal/><D:resourcetype/><C:calendar-home-set/><C:calendar-user-address-set/></D:prop>
</D:propfind>`;

function mailtos(r: DavResponse): string[] {
  return propHrefs(r, 'calendar-user-address-set')
    .filter((h) => /^mailto:/i.test(h))
    .map((h) => h.replace(/^mailto:/i, '').toLowerCase());
}

async function probe(client: DavClient, url: string): Promise<{ status: number; response: DavResponse | null }> {
  // A depth-0 probe is no listing: it gets the ordinary per-request timeout, not the listings' 5 minutes (a server
  // that never answered held the connection test for that long).
  const ms = await client.multistatus('PROPFIND', url, '0', principalProps, [404, 405, 501], 'request');
  return { status: ms.status, response: ms.responses[0] ?? null };
}

/** The typed path, decoded for reading ("/carol/work crm/"). */
function shownPath(url: URL): string {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return url.pathname;
  }
}

/**
 * A path the user typed that the server does not know (404, 405, 501: nothing there, or no WebDAV there) is a wrong
 * address, named as such: falling back to /.well-known/caldav quietly connected to the default calendar instead
 * of the one the user meant, and a server that found nothing anywhere looked like a refusal. A 403 stays a missing
 * permission (the server knows the path and refuses this account).
 */
function wrongPath(start: URL, homeUrl: string | null): ConnectError {
  const where = `${shownPath(start)} on ${start.host}`;
  const hint = homeUrl
    ? ` This account's calendars are at ${homeUrl}`
    : ' The server address alone (https://host/) also works.';
  return new ConnectError('bad-url', `Nothing was found at ${where}.${hint}`, 'url');
}

export async function discover(client: DavClient, userUrl: string, username: string): Promise<Discovered> {
  const start = new URL(userUrl);
  const candidates = [start.toString()];
  const wellKnown = new URL('/.well-known/caldav', start).toString();
  if (!candidates.includes(wellKnown)) candidates.push(wellKnown);
  const fallbackAddresses = username.includes('@') ? [username.toLowerCase()] : [];
  let lastAuthError: ProviderError | null = null;
  // The user typed a path (not just the server) and nothing is there: reported as a wrong address, not skipped.
  const typedPath = start.pathname.replace(/\/+$/, '') !== '' && start.pathname !== '/.well-known/caldav';
  let typedPathMissing = false;
  for (const candidate of candidates) {
    let r: DavResponse | null;
    try {
      const answer = await probe(client, candidate);
      r = answer.response;
      if (candidate === candidates[0] && typedPath && (answer.status !== 207 || !r)) typedPathMissing = true;
    } catch (e) {
      if (e instanceof ProviderError && (e.kind === 'auth' || e.kind === 'forbidden')) throw e;
      if (e instanceof ProviderError && e.kind === 'not-found') {
        if (candidate === candidates[0] && typedPath) typedPathMissing = true;
        continue;
      }
      // No answer at all (a timeout, a refused or reset connection): /.well-known/caldav on the same server would
      // wait just as long, which doubled a dead server's connection test to 60 s. Said at once instead.
      if (
        candidate === candidates[0] &&
        e instanceof ProviderError &&
        e.kind === 'transient' &&
        !e.status &&
        new URL(wellKnown).origin === start.origin
      )
        throw e;
      lastAuthError = e instanceof ProviderError ? e : lastAuthError;
      continue;
    }
    if (!r) continue;
    const kinds = propChildNames(r, 'resourcetype');
    if (kinds.includes('calendar')) {
      // The user pasted one calendar's URL: its parent is the home.
      return { homeUrl: new URL('..', new URL(r.href, candidate)).toString(), addresses: fallbackAddresses };
    }
    let home = propHrefs(r, 'calendar-home-set')[0];
    let addresses = mailtos(r);
    const principal = propHrefs(r, 'current-user-principal')[0];
    if (!home && principal) {
      const p = (await probe(client, new URL(principal, candidate).toString())).response;
      if (p) {
        home = propHrefs(p, 'calendar-home-set')[0];
        addresses = mailtos(p);
      }
    }
    if (home) {
      if (typedPathMissing) throw wrongPath(start, new URL(home, candidate).toString());
      return {
        homeUrl: new URL(home, candidate).toString(),
        addresses: [...new Set([...addresses, ...fallbackAddresses])],
      };
    }
  }
  if (lastAuthError) throw lastAuthError;
  if (typedPathMissing) throw wrongPath(start, null);
  throw new ProviderError('not-found', 'no CalDAV calendar home found at this URL or its /.well-known/caldav');
}

const calendarProps = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/" xmlns:A="http://apple.com/ns/ical/">
  <D:prop><D:resourcetype/><D:displayname/><A:calendar-color/><C:supported-calendar-component-set/><D:current-user-privilege-set/></D:prop>
</D:propfind>`;

function supportsEvents(r: DavResponse): boolean {
  const set = prop(r, 'supported-calendar-component-set');
  if (!set || typeof set !== 'object') return true;
  const comps = asArray((set as XmlNode).comp as XmlNode | XmlNode[]);
  return comps.length === 0 || comps.some((c) => textOf(c['@name']).toUpperCase() === 'VEVENT');
}

function canWrite(r: DavResponse): boolean {
  const set = prop(r, 'current-user-privilege-set');
  if (!set || typeof set !== 'object') return true;
  const names = asArray((set as XmlNode).privilege as XmlNode | XmlNode[]).flatMap((p) => Object.keys(p));
  return names.some((n) => n === 'all' || n === 'write' || n === 'write-content' || n === 'bind');
}

/** Calendars (VEVENT collections) in the home; the id is the collection's path. The first one is the default. */
export async function listCalendarCollections(client: DavClient, homeUrl: string): Promise<CalendarInfo[]> {
  const ms = await client.multistatus('PROPFIND', homeUrl, '1', calendarProps);
  const out: CalendarInfo[] = [];
  for (const r of ms.responses) {
    if (!propChildNames(r, 'resourcetype').includes('calendar') || !supportsEvents(r)) continue;
    const name = propText(r, 'displayname') || decodeURIComponent(r.href.replace(/\/$/, '').split('/').pop() ?? r.href);
    out.push({
      id: r.href,
      name,
      isDefault: false,
      canWrite: canWrite(r),
      color: propText(r, 'calendar-color') || null,
    });
  }
  out.sort((a, b) => a.id.localeCompare(b.id));
  const firstWritable = out.find((c) => c.canWrite) ?? out[0];
  if (firstWritable) firstWritable.isDefault = true;
  return out;
}
