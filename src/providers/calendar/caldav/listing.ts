/**
 * Incremental listing of one calendar collection: `sync-collection` (RFC 6578) when the server offers it,
 * else the ctag + etag comparison older servers need; changed resources are fetched with calendar-multiget.
 * The cursor remembers which modified occurrences each resource held, so an override that disappears from
 * a changed resource is reported as removed.
 */
import { z } from 'zod';
import { ProviderError } from '../../../sync/errors';
import type { DavClient } from './dav-client';
import { canonicalPath, escapeXml, propText, type DavResponse } from './multistatus';

const overridesSchema = z.record(z.string(), z.array(z.string()));

/**
 * Resources the connector created after the listing that produced the cursor (CalDavCalendarProvider
 * cursorAfterWrites): the next listing confirms each one it is silent about. A server whose sync token is a hash of
 * the collection (Xandikos) reports nothing for a resource created and deleted between two tokens.
 */
const pendingSchema = z.array(z.string()).optional();

export const cursorSchema = z.discriminatedUnion('mode', [
  z.object({
    v: z.literal(1),
    mode: z.literal('sync'),
    token: z.string(),
    /**
     * The collection's getctag as read just before the sync-collection that gave `token` (absent in cursors written
     * before it was kept; '' when the server offers none, which is then never asked for again).
     */
    ctag: z.string().optional(),
    overrides: overridesSchema,
    pending: pendingSchema,
  }),
  z.object({
    v: z.literal(1),
    mode: z.literal('etag'),
    ctag: z.string(),
    etags: z.record(z.string(), z.string()),
    overrides: overridesSchema,
    pending: pendingSchema,
  }),
]);
export type ListingCursor = z.infer<typeof cursorSchema>;

export function parseCursor(raw: string | null): ListingCursor | null {
  if (!raw) return null;
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface FetchedResource {
  href: string;
  etag: string;
  ics: string;
  /** Why it could not be fetched although it exists (its answer alone is larger than one request may read). */
  problem?: string;
}

function tooLarge(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 6; depth++) {
    if ((cur as { code?: unknown }).code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** What changed in the collection, at resource level. */
export interface ResourceDelta {
  full: boolean;
  changed: FetchedResource[];
  removedHrefs: string[];
  /** Cursor state except the overrides map, which the caller fills from the parsed resources. */
  next: { mode: 'sync'; token: string; ctag?: string } | { mode: 'etag'; ctag: string; etags: Record<string, string> };
}

const multigetChunk = 200;

function isIcs(href: string, collectionPath: string): boolean {
  return href !== collectionPath && !href.endsWith('/');
}

export async function multiget(client: DavClient, collectionUrl: string, hrefs: string[]): Promise<FetchedResource[]> {
  const out: FetchedResource[] = [];
  await multigetEach(client, collectionUrl, hrefs, multigetChunk, (batch) => out.push(...batch));
  return out;
}

/** calendar-multiget in requests of `size` hrefs, each answer handed to `onBatch` before the next is asked for. */
async function multigetEach(
  client: DavClient,
  collectionUrl: string,
  hrefs: string[],
  size: number,
  onBatch: (batch: FetchedResource[]) => void,
): Promise<void> {
  for (let i = 0; i < hrefs.length; i += size) {
    await multigetSlice(client, collectionUrl, hrefs.slice(i, i + size), onBatch);
  }
}

/**
 * One calendar-multiget. An answer larger than the safe fetch reads in one request is asked for again in halves; a
 * single resource that alone is too large is handed on with its problem (skipped, never taken for deleted).
 */
async function multigetSlice(
  client: DavClient,
  collectionUrl: string,
  chunk: string[],
  onBatch: (batch: FetchedResource[]) => void,
): Promise<void> {
  const body = `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  ${chunk.map((h) => `<D:href>${escapeXml(h)}</D:href>`).join('')}
</C:calendar-multiget>`;
  let ms;
  try {
    ms = await client.multistatus('REPORT', collectionUrl, '1', body);
  } catch (e) {
    if (!tooLarge(e)) throw e;
    if (chunk.length === 1) {
      const problem = 'its calendar data is larger than one request may read';
      onBatch([{ href: canonicalPath(new URL(chunk[0]!, collectionUrl).pathname), etag: '', ics: '', problem }]);
      return;
    }
    const half = Math.ceil(chunk.length / 2);
    await multigetSlice(client, collectionUrl, chunk.slice(0, half), onBatch);
    await multigetSlice(client, collectionUrl, chunk.slice(half), onBatch);
    return;
  }
  const batch: FetchedResource[] = [];
  for (const r of ms.responses) {
    // Left out (or 404): gone. Present without calendar data: there, but unreadable (an empty `ics`, which the
    // provider skips with its reason) — never taken for deleted.
    if (r.status >= 300 || !isIcs(r.href, '')) continue;
    batch.push({ href: r.href, etag: propText(r, 'getetag'), ics: propText(r, 'calendar-data') });
  }
  onBatch(batch);
}

async function syncCollection(
  client: DavClient,
  collectionUrl: string,
  token: string,
): Promise<{ responses: DavResponse[]; token: string } | 'unsupported' | 'invalid-token'> {
  const responses: DavResponse[] = [];
  let current = token;
  for (let round = 0; round < 50; round++) {
    const body = `<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token>${escapeXml(current)}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`;
    let ms;
    try {
      // Xandikos answers a token it cannot read with 500 (Radicale: 403 valid-sync-token): with a token, any refusal
      // means a full listing (which fails on its own if the server really is down).
      ms = await client.multistatus('REPORT', collectionUrl, '1', body, [400, 403, 409, 415, 500, 501]);
    } catch (e) {
      if (e instanceof ProviderError && e.status === 405) return 'unsupported';
      throw e;
    }
    if (ms.status !== 207) return current ? 'invalid-token' : 'unsupported';
    if (!ms.syncToken) return 'unsupported';
    const collectionPath = canonicalPath(new URL(collectionUrl).pathname);
    // 507 on the collection itself = truncated result (RFC 6578 §3.6): ask again with the token we got.
    const truncated = ms.responses.some((r) => r.href === collectionPath && r.status === 507);
    responses.push(...ms.responses.filter((r) => r.href !== collectionPath));
    current = ms.syncToken;
    if (!truncated) return { responses, token: current };
  }
  throw new ProviderError('transient', 'sync-collection kept truncating its answer');
}

async function etagListing(
  client: DavClient,
  collectionUrl: string,
): Promise<{ ctag: string; etags: Record<string, string> }> {
  const body = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:getetag/><CS:getctag/><D:resourcetype/></D:prop></D:propfind>`;
  const ms = await client.multistatus('PROPFIND', collectionUrl, '1', body);
  const collectionPath = canonicalPath(new URL(collectionUrl).pathname);
  const etags: Record<string, string> = {};
  let ctag = '';
  for (const r of ms.responses) {
    if (r.href === collectionPath) ctag = propText(r, 'getctag');
    else if (isIcs(r.href, collectionPath) && r.status < 300) etags[r.href] = propText(r, 'getetag');
  }
  return { ctag, etags };
}

async function currentCtag(client: DavClient, collectionUrl: string): Promise<string> {
  const body = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><CS:getctag/></D:prop></D:propfind>`;
  const ms = await client.multistatus('PROPFIND', collectionUrl, '0', body);
  return ms.responses[0] ? propText(ms.responses[0], 'getctag') : '';
}

export interface ListingOptions {
  /** Skip sync-collection even where offered (servers whose sync tokens are known to be unreliable). */
  preferEtags?: boolean;
  /** Resources per calendar-multiget request while listing (default 200; lower for servers that limit it). */
  multigetSize?: number;
}

/**
 * Receives a listing as it arrives. `begin` comes before any resource is fetched, once it is settled whether the
 * listing is complete (an unusable token falls back to a full listing before that); then each multiget answer.
 */
export interface ResourceSink {
  begin(full: boolean, removedHrefs: string[]): void;
  fetched(batch: FetchedResource[]): void;
}

/** What the listing ends with, besides the resources handed to the sink. */
export interface ResourceListingEnd {
  /** Resources listed as changed that the multiget no longer found: gone meanwhile. */
  vanishedHrefs: string[];
  next: ResourceDelta['next'];
}

/** Fetches `hrefs` into the sink, noting which came back and with what etag. */
async function fetchInto(
  client: DavClient,
  collectionUrl: string,
  hrefs: string[],
  opts: ListingOptions,
  sink: ResourceSink,
): Promise<Map<string, string>> {
  const etags = new Map<string, string>();
  await multigetEach(client, collectionUrl, hrefs, Math.max(1, opts.multigetSize ?? multigetChunk), (batch) => {
    for (const f of batch) etags.set(f.href, f.etag);
    sink.fetched(batch);
  });
  return etags;
}

async function fullListing(
  client: DavClient,
  collectionUrl: string,
  opts: ListingOptions,
  sink: ResourceSink,
): Promise<ResourceListingEnd> {
  const collectionPath = canonicalPath(new URL(collectionUrl).pathname);
  if (!opts.preferEtags) {
    // Read before the listing, so that it can only be older than the token: see streamResources.
    const ctag = await currentCtag(client, collectionUrl);
    const sync = await syncCollection(client, collectionUrl, '');
    // RFC 6578 wants an unknown token refused (403 valid-sync-token); a server that answers it with a listing instead
    // makes an expired token's full listing look like a delta that hides every deletion. Asked once per full listing
    // with a token it cannot know: such a server is listed by ctag + etags, which cannot hide one.
    if (typeof sync === 'object' && (await acceptsUnknownTokens(client, collectionUrl, sync.token))) {
      return etagFullListing(client, collectionUrl, opts, sink);
    }
    if (typeof sync === 'object') {
      const hrefs = sync.responses.filter((r) => r.status < 300 && isIcs(r.href, collectionPath)).map((r) => r.href);
      sink.begin(true, []);
      await fetchInto(client, collectionUrl, hrefs, opts, sink);
      return { vanishedHrefs: [], next: { mode: 'sync', token: sync.token, ctag } };
    }
  }
  return etagFullListing(client, collectionUrl, opts, sink);
}

async function etagFullListing(
  client: DavClient,
  collectionUrl: string,
  opts: ListingOptions,
  sink: ResourceSink,
): Promise<ResourceListingEnd> {
  const { ctag, etags } = await etagListing(client, collectionUrl);
  sink.begin(true, []);
  const fetched = await fetchInto(client, collectionUrl, Object.keys(etags), opts, sink);
  return { vanishedHrefs: [], next: { mode: 'etag', ctag, etags: fromFetched(fetched, etags, Object.keys(etags)) } };
}

/** True when the server answers a sync token it never issued with a listing instead of refusing it. */
async function acceptsUnknownTokens(client: DavClient, collectionUrl: string, token: string): Promise<boolean> {
  const probe = await syncCollection(client, collectionUrl, `${token}-unknown-to-the-server`);
  return typeof probe === 'object';
}

/** The etags to remember: as fetched where the multiget answered, without what it no longer found. */
function fromFetched(
  fetched: Map<string, string>,
  listed: Record<string, string>,
  asked: string[],
): Record<string, string> {
  const out = { ...listed };
  for (const h of asked) if (!fetched.has(h)) delete out[h];
  for (const [href, etag] of fetched) if (etag) out[href] = etag;
  return out;
}

/** The listing since `cursor` (null: a full listing), streamed into `sink` a multiget answer at a time. */
export async function streamResources(
  client: DavClient,
  collectionUrl: string,
  cursor: ListingCursor | null,
  opts: ListingOptions,
  sink: ResourceSink,
): Promise<ResourceListingEnd> {
  if (!cursor) return fullListing(client, collectionUrl, opts, sink);
  const collectionPath = canonicalPath(new URL(collectionUrl).pathname);
  const pending = cursor.pending ?? [];
  if (cursor.mode === 'sync') {
    // The ctag first (as Thunderbird does): it changes whenever a member does, and a server answers it for less than a
    // sync-collection (Radicale at 10,000 events: 0.49 against 0.74 s). It was read before the listing that gave the
    // token, so an equal one means nothing changed since that listing. Our own creates since (pending) are confirmed
    // by the sync-collection whatever the ctag says. A server that offers no ctag ('') is not asked again.
    const ctag = cursor.ctag === '' ? '' : await currentCtag(client, collectionUrl);
    if (ctag && ctag === cursor.ctag && pending.length === 0) {
      sink.begin(false, []);
      return { vanishedHrefs: [], next: { mode: 'sync', token: cursor.token, ctag } };
    }
    const sync = await syncCollection(client, collectionUrl, cursor.token);
    if (typeof sync !== 'object') return fullListing(client, collectionUrl, opts, sink);
    const members = sync.responses.filter((r) => isIcs(r.href, collectionPath));
    const removedHrefs = members.filter((r) => r.status === 404).map((r) => r.href);
    const mentioned = new Set(members.map((r) => r.href));
    // Our own creates the answer is silent about are fetched too: one the multiget no longer finds is gone.
    const changedHrefs = [
      ...members.filter((r) => r.status < 300).map((r) => r.href),
      ...pending.filter((h) => !mentioned.has(h)),
    ];
    sink.begin(false, removedHrefs);
    const fetched = changedHrefs.length ? await fetchInto(client, collectionUrl, changedHrefs, opts, sink) : new Map();
    return {
      vanishedHrefs: changedHrefs.filter((h) => !fetched.has(h)),
      next: { mode: 'sync', token: sync.token, ctag },
    };
  }
  const ctag = await currentCtag(client, collectionUrl);
  if (ctag && ctag === cursor.ctag) {
    // The collection is as it was listed (a ctag that is a hash of its content comes back after a create + delete):
    // our own creates since are not in it.
    sink.begin(
      false,
      pending.filter((h) => !(h in cursor.etags)),
    );
    return { vanishedHrefs: [], next: { mode: 'etag', ctag, etags: cursor.etags } };
  }
  const now = await etagListing(client, collectionUrl);
  const changedHrefs = Object.keys(now.etags).filter((h) => cursor.etags[h] !== now.etags[h]);
  const removedHrefs = [...Object.keys(cursor.etags), ...pending].filter((h) => !(h in now.etags));
  sink.begin(false, [...new Set(removedHrefs)]);
  const fetched = changedHrefs.length ? await fetchInto(client, collectionUrl, changedHrefs, opts, sink) : new Map();
  // A resource listed as changed that the multiget leaves out is gone (a server may omit it instead of a 404).
  return {
    vanishedHrefs: changedHrefs.filter((h) => !fetched.has(h)),
    next: { mode: 'etag', ctag: now.ctag, etags: fromFetched(fetched, now.etags, changedHrefs) },
  };
}

/** The whole listing since `cursor` at once (lookups that need every resource anyway). */
export async function listResources(
  client: DavClient,
  collectionUrl: string,
  cursor: ListingCursor | null,
  opts: ListingOptions = {},
): Promise<ResourceDelta> {
  let full = false;
  const removedHrefs: string[] = [];
  const changed: FetchedResource[] = [];
  const end = await streamResources(client, collectionUrl, cursor, opts, {
    begin(f, removed) {
      full = f;
      removedHrefs.push(...removed);
    },
    fetched(batch) {
      changed.push(...batch);
    },
  });
  return { full, changed, removedHrefs: [...removedHrefs, ...end.vanishedHrefs], next: end.next };
}
