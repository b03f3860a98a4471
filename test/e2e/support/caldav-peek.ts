/** Looks into a Radicale calendar collection the way another CalDAV client would (PROPFIND + GET, PUT). */
import { randomUUID } from 'node:crypto';
import type { RadicaleServer } from '../../support/radicale';

function auth(radicale: RadicaleServer, user: string): string {
  return `Basic ${Buffer.from(`${user}:${radicale.users[user] ?? ''}`).toString('base64')}`;
}

/** The iCalendar text of every resource in the collection, by href. */
export async function calendarResources(
  radicale: RadicaleServer,
  user: string,
  collection: string,
): Promise<Map<string, string>> {
  const res = await fetch(`${radicale.origin}${collection}`, {
    method: 'PROPFIND',
    headers: { authorization: auth(radicale, user), depth: '1', 'content-type': 'application/xml; charset=utf-8' },
    body: '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>',
  });
  if (res.status !== 207) throw new Error(`PROPFIND ${collection}: ${res.status}`);
  const xml = await res.text();
  const hrefs = [...xml.matchAll(/<(?:\w+:)?href>([^<]+\.ics)<\/(?:\w+:)?href>/g)].map((m) => m[1]!);
  const out = new Map<string, string>();
  for (const href of hrefs) {
    const r = await fetch(`${radicale.origin}${href}`, { headers: { authorization: auth(radicale, user) } });
    out.set(href, await r.text());
  }
  return out;
}

/** Another client copies an event under a new UID (a typical duplicate after a botched import). */
export async function putCopy(radicale: RadicaleServer, user: string, ics: string, href: string): Promise<void> {
  const copy = ics.replace(/^UID:.*$/m, `UID:copy-${randomUUID()}@other-client`);
  const res = await fetch(`${radicale.origin}${href}`, {
    method: 'PUT',
    headers: {
      authorization: auth(radicale, user),
      'content-type': 'text/calendar; charset=utf-8',
      'if-none-match': '*',
    },
    body: copy,
  });
  if (res.status !== 201) throw new Error(`PUT ${href}: ${res.status} ${await res.text()}`);
}
