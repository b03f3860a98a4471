/**
 * The CalDAV calendar port: listing through sync-collection / etags + multiget, writes as whole-resource PUTs
 * guarded by etags. Modified occurrences live inside their series' resource, so their writes rewrite that resource.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ProviderError } from '../../../sync/errors';
import type { CalendarEvent, EventDraft } from '../../../sync/model';
import type {
  CalendarCapabilities,
  CalendarInfo,
  CalendarProvider,
  ChangeSet,
  EventWrite,
  ListWindow,
  ListingFilter,
  WriteResult,
} from '../../../sync/ports';
import type { DavClient } from './dav-client';
import { listCalendarCollections } from './discovery';
import {
  cancelOccurrence,
  crmTagProperty,
  parseResource,
  renderIntoResource,
  type ParseNotes,
  renderNewResource,
  silenceScheduling,
  uncancel,
  splitEventId,
  type SelfIdentity,
} from './ical-event';
import {
  listResources,
  multiget,
  parseCursor,
  streamResources,
  type FetchedResource,
  type ListingCursor,
  type ListingOptions,
} from './listing';
import { canonicalPath, escapeXml } from './multistatus';
import { inWindow } from './window';

export interface CalDavProviderOptions extends ListingOptions {
  client: DavClient;
  homeUrl: string;
  self: SelfIdentity;
  account: string;
  now(): Date;
  /** Writes to different resources in flight at once (default `defaultWriteConcurrency`; 1 = one after another). */
  writeConcurrency?: number;
}

/**
 * Writes per writeEvents call: the stored bodies a batch's edits need are read in one calendar-multiget, so K edits
 * cost K writes and one read up to this many (docs/BENCHMARKS.md).
 */
export const writeBatch = 50;

/**
 * Writes in flight at once. Measured with `npm run bench caldav-writes` and the whole CLI push in `vs-vdirsyncer`
 * (docs/BENCHMARKS.md): 2 in flight took an eighth less time than one after another on Radicale 3.1.8 and on Xandikos
 * alike, and 4 gained nothing more (quiet machine); on a loaded one, 4 made Radicale slower than 2 (its threads
 * contend for its collection lock and the interpreter lock). A server that cannot take more than one at a time
 * queues them, which costs nothing extra.
 */
export const defaultWriteConcurrency = 2;

/** Resource names we choose for creates: the idempotency key when it is URL-safe, else its hash. */
export function resourceName(idempotencyKey: string): string {
  return /^[A-Za-z0-9_-]{1,100}$/.test(idempotencyKey)
    ? idempotencyKey
    : createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40);
}

const findByQueryLimit = 10;

export class CalDavCalendarProvider implements CalendarProvider {
  readonly kind = 'caldav';
  readonly capabilities: CalendarCapabilities = {
    recurrence: true,
    tags: true,
    silentAttendees: true,
    maxBatch: writeBatch,
    idempotentCreate: true,
  };

  /**
   * Resources seen during this run, by href: lets writes keep overrides without re-reading. A filtered listing keeps
   * only those with an event the engine took.
   */
  private readonly resources = new Map<string, FetchedResource>();
  /** Etags this run replaced itself, so a later write in the same batch still matches (old → new). */
  private readonly replacedEtags = new Map<string, string>();
  /**
   * Per calendar, while its last listing was a full one: the resources carrying each tag, so findByTag reads only
   * those (a filtered listing does not keep every resource it saw).
   */
  private readonly taggedHrefs = new Map<string, Map<string, Set<string>>>();
  /** Per calendar, the resources this provider created: the cursor stored after the run remembers them. */
  private readonly created = new Map<string, Set<string>>();

  constructor(private readonly o: CalDavProviderOptions) {}

  private url(path: string): string {
    return new URL(path, this.o.homeUrl).toString();
  }

  async testConnection(): Promise<{ account: string }> {
    await listCalendarCollections(this.o.client, this.o.homeUrl);
    return { account: this.o.account };
  }

  listCalendars(): Promise<CalendarInfo[]> {
    return listCalendarCollections(this.o.client, this.o.homeUrl);
  }

  /**
   * The events of one resource. One unreadable resource (another client's broken iCalendar) must not stop a listing:
   * it is left out, and with `notes` recorded there as a skip with its reason (SPEC §7).
   */
  private parse(calendarId: string, r: FetchedResource, notes?: ParseNotes): CalendarEvent[] {
    try {
      if (r.problem) throw new Error(r.problem);
      if (!r.ics.trim()) throw new Error('the server returned no calendar data for it');
      return parseResource({ href: r.href, etag: r.etag, calendarId }, r.ics, this.o.self, notes);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      notes?.skipped.push({
        id: r.href,
        reason: `The calendar event cannot be synced: its iCalendar cannot be read (${why}).`,
      });
      return [];
    }
  }

  async listChanges(
    calendarId: string,
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CalendarEvent>,
  ): Promise<ChangeSet<CalendarEvent>> {
    const previous = parseCursor(cursor);
    let full = false;
    let overrides: Record<string, string[]> = {};
    const upserts: CalendarEvent[] = [];
    const removedIds: string[] = [];
    const droppedOverrides: string[] = [];
    const tags = new Map<string, Set<string>>();
    const notes: ParseNotes = { skipped: [], warnings: [] };
    const gone = (href: string): void => {
      removedIds.push(href, ...(overrides[href] ?? []));
      delete overrides[href];
      this.resources.delete(href);
    };
    const end = await streamResources(this.o.client, this.url(calendarId), previous, this.o, {
      begin: (isFull, removedHrefs) => {
        full = isFull;
        overrides = isFull ? {} : { ...(previous?.overrides ?? {}) };
        removedHrefs.forEach(gone);
      },
      // Each multiget answer is parsed and filtered before the next is asked for. What a resource lists is
      // decided on all its events first (a modified occurrence outside the window is listed when its master is,
      // whether or not the engine's filter then takes the master).
      fetched: (batch) => {
        for (const r of batch) {
          const skippedBefore = notes.skipped.length;
          const events = this.parse(calendarId, r, notes);
          if (notes.skipped.slice(skippedBefore).some((sk) => sk.id === r.href)) {
            // Unreadable as a whole: present, yet nothing of it is listed; its known overrides stay as they were.
            this.resources.delete(r.href);
            continue;
          }
          for (const e of events) {
            if (full && e.crmTag) tags.set(e.crmTag, (tags.get(e.crmTag) ?? new Set()).add(r.href));
          }
          // Overrides that could not be read are still there: neither listed nor taken for removed.
          const unreadable = notes.skipped.slice(skippedBefore).map((sk) => sk.id);
          const ids = [...events.filter((e) => e.occurrence).map((e) => e.id), ...unreadable];
          if (!full) droppedOverrides.push(...(overrides[r.href] ?? []).filter((id) => !ids.includes(id)));
          if (ids.length) overrides[r.href] = ids;
          else delete overrides[r.href];
          const listed = events.filter(
            (e) =>
              inWindow(e, window) ||
              (e.occurrence && events.some((m) => m.id === e.occurrence?.seriesId && inWindow(m, window))),
          );
          let kept = 0;
          for (const e of listed) {
            if (keep?.(e) ?? true) {
              upserts.push(e);
              kept += 1;
            }
          }
          // Held for this run's writes only when the engine took one of its events (without a filter: always); a
          // write to another costs a GET first.
          if (!keep || kept > 0) this.resources.set(r.href, r);
          else this.resources.delete(r.href);
        }
      },
    });
    end.vanishedHrefs.forEach(gone);
    removedIds.push(...droppedOverrides);
    // The tags noted answer findByTag only while they come from the newest full picture of the calendar.
    if (full) this.taggedHrefs.set(calendarId, tags);
    else this.taggedHrefs.delete(calendarId);
    const next: ListingCursor = { v: 1, ...end.next, overrides };
    return {
      upserts,
      removedIds,
      full,
      nextCursor: JSON.stringify(next),
      ...(notes.skipped.length ? { skipped: notes.skipped } : {}),
      ...(notes.warnings.length ? { warnings: notes.warnings } : {}),
    };
  }

  /**
   * The listing's cursor plus the resources this run created after it: the next listing confirms those it is silent
   * about (a sync token that is a hash of the collection says nothing about a resource created and deleted since).
   */
  cursorAfterWrites(calendarId: string, cursor: string): string {
    const created = this.created.get(calendarId);
    const parsed = parseCursor(cursor);
    if (!created?.size || !parsed) return cursor;
    const next: ListingCursor = { ...parsed, pending: [...new Set([...(parsed.pending ?? []), ...created])].sort() };
    return JSON.stringify(next);
  }

  async findByTag(calendarId: string, crmIds: string[]): Promise<CalendarEvent[]> {
    const wanted = new Set(crmIds);
    if (wanted.size === 0) return [];
    let resources: FetchedResource[];
    const tagged = this.taggedHrefs.get(calendarId);
    if (tagged) {
      // The resources the full listing saw with these tags, plus what this run wrote or still holds; those held
      // are taken from memory, the others read in one multiget.
      const prefix = canonicalPath(new URL(this.url(calendarId)).pathname);
      resources = [...this.resources.values()].filter((r) => r.href.startsWith(prefix));
      const unread = new Set<string>();
      for (const id of wanted) for (const h of tagged.get(id) ?? []) if (!this.resources.has(h)) unread.add(h);
      if (unread.size) resources.push(...(await multiget(this.o.client, this.url(calendarId), [...unread])));
    } else if (wanted.size <= findByQueryLimit) {
      const hrefs = new Set<string>();
      for (const id of wanted) for (const h of await this.queryTag(calendarId, id)) hrefs.add(h);
      resources = hrefs.size ? await multiget(this.o.client, this.url(calendarId), [...hrefs]) : [];
    } else {
      // Many ids (re-pairing after a reset): one full read beats a query per id.
      const all = await listResources(this.o.client, this.url(calendarId), null, { preferEtags: true });
      resources = all.changed;
    }
    const out: CalendarEvent[] = [];
    for (const r of resources) {
      this.resources.set(r.href, r);
      // text-match is a substring match: the exact comparison happens here.
      out.push(...this.parse(calendarId, r).filter((e) => e.crmTag !== null && wanted.has(e.crmTag)));
    }
    return out;
  }

  private async queryTag(calendarId: string, crmId: string): Promise<string[]> {
    const body = `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="${crmTagProperty}">
<C:text-match collation="i;octet">${escapeXml(crmId)}</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`;
    const ms = await this.o.client.multistatus('REPORT', this.url(calendarId), '1', body);
    return ms.responses.filter((r) => r.status < 300 && !r.href.endsWith('/')).map((r) => r.href);
  }

  /**
   * Writes to one resource go in order; writes to different resources up to `writeConcurrency` at a time. After an
   * auth failure or a throttling answer (Retry-After) the writes not yet sent are not sent: they fail with the same
   * error, for the engine to stop or to retry them after the wait.
   */
  async writeEvents(calendarId: string, writes: EventWrite[]): Promise<WriteResult<CalendarEvent | null>[]> {
    const results: WriteResult<CalendarEvent | null>[] = new Array(writes.length);
    let stop: ProviderError | null = null;
    try {
      await this.prefetch(calendarId, writes);
    } catch (e) {
      // Each write then reads what it still needs on its own, and fails on its own if the server is gone.
      if (e instanceof ProviderError && e.kind === 'auth') stop = e;
    }
    const lanes = new Map<string, number[]>();
    writes.forEach((w, i) => {
      const href = this.targetHref(calendarId, w);
      lanes.set(href, [...(lanes.get(href) ?? []), i]);
    });
    const queue = [...lanes.values()];
    const lane = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        for (const i of next) {
          if (stop) {
            results[i] = { ok: false, error: stop };
            continue;
          }
          try {
            results[i] = { ok: true, value: await this.writeOne(calendarId, writes[i]!) };
          } catch (e) {
            const error =
              e instanceof ProviderError
                ? e
                : new ProviderError('permanent', e instanceof Error ? e.message : String(e), { cause: e });
            results[i] = { ok: false, error };
            if (error.kind === 'auth' || (error.kind === 'transient' && error.retryAfterMs !== undefined)) stop = error;
          }
        }
      }
    };
    const width = Math.max(1, Math.min(this.o.writeConcurrency ?? defaultWriteConcurrency, queue.length));
    await Promise.all(Array.from({ length: width }, lane));
    return results;
  }

  /** The resource a write changes: a create's chosen href, else the resource holding the event (or its series). */
  private targetHref(calendarId: string, w: EventWrite): string {
    if (w.op !== 'create') return splitEventId(w.id).href;
    if (w.draft.occurrence) return splitEventId(w.draft.occurrence.seriesId).href;
    return this.createHref(calendarId, w.idempotencyKey);
  }

  private createHref(calendarId: string, idempotencyKey: string): string {
    return `${canonicalPath(new URL(this.url(calendarId)).pathname).replace(/\/?$/, '/')}${resourceName(idempotencyKey)}.ics`;
  }

  /**
   * The stored bodies this batch's edits merge into (an update keeps what other clients wrote), read in one
   * calendar-multiget instead of a GET each; those the listing already holds at the expected etag are not read.
   * A resource the multiget leaves out, or holds at another etag, is left to `load` (a GET, then not-found or a
   * conflict, as for a single write).
   */
  private async prefetch(calendarId: string, writes: EventWrite[]): Promise<void> {
    const wanted = new Set<string>();
    for (const w of writes) {
      let href: string;
      let ifMatch: string | null = null;
      if (w.op === 'create') {
        if (!w.draft.occurrence) continue;
        href = splitEventId(w.draft.occurrence.seriesId).href;
      } else {
        const id = splitEventId(w.id);
        // A whole-resource delete that may e-mail the cancellation reads nothing first.
        if (w.op === 'delete' && id.originalStart === null && w.sendCancellations) continue;
        href = id.href;
        ifMatch = w.ifMatch;
      }
      const expected = this.latestEtag(ifMatch);
      const cached = this.resources.get(href);
      if (!cached || (expected !== null && cached.etag !== expected)) wanted.add(href);
    }
    // One resource: the GET `load` does anyway costs the same one request.
    if (wanted.size < 2) return;
    for (const r of await multiget(this.o.client, this.url(calendarId), [...wanted])) {
      if (!r.problem && r.ics.trim() && r.etag) this.resources.set(r.href, r);
    }
  }

  private latestEtag(etag: string | null): string | null {
    let cur = etag;
    for (let i = 0; cur && this.replacedEtags.has(cur) && i < 1000; i++) cur = this.replacedEtags.get(cur) ?? null;
    return cur;
  }

  /** The resource as the server has it now, checked against the etag the engine last saw. */
  private async load(href: string, ifMatch: string | null): Promise<FetchedResource> {
    const expected = this.latestEtag(ifMatch);
    const cached = this.resources.get(href);
    if (cached && (expected === null || cached.etag === expected)) return cached;
    const ans = await this.o.client.request({ method: 'GET', url: this.url(href), accept: [404] });
    if (ans.status === 404) throw new ProviderError('not-found', `${href} no longer exists`, { status: 404 });
    const fetched = { href, etag: ans.headers.get('etag') ?? '', ics: ans.body };
    this.resources.set(href, fetched);
    if (expected !== null && fetched.etag && fetched.etag !== expected) {
      throw new ProviderError('conflict', `${href} changed since it was last read`, { status: 412 });
    }
    return fetched;
  }

  private async put(
    href: string,
    ics: string,
    precondition: { ifMatch: string } | 'create',
  ): Promise<FetchedResource | null> {
    const headers: Record<string, string> = { 'content-type': 'text/calendar; charset=utf-8' };
    if (precondition === 'create') headers['if-none-match'] = '*';
    else if (precondition.ifMatch) headers['if-match'] = precondition.ifMatch;
    const ans = await this.o.client.request({ method: 'PUT', url: this.url(href), headers, body: ics, accept: [412] });
    if (ans.status === 412) return null;
    const etag = ans.headers.get('etag');
    if (!etag) {
      // The server rewrote the data (no strong etag, RFC 4791 §5.3.4): read back what it stored.
      this.resources.delete(href);
      return this.load(href, null);
    }
    const stored = { href, etag, ics };
    if (precondition !== 'create' && precondition.ifMatch) this.replacedEtags.set(precondition.ifMatch, etag);
    this.resources.set(href, stored);
    return stored;
  }

  private eventFrom(calendarId: string, r: FetchedResource, id: string): CalendarEvent {
    const event = this.parse(calendarId, r).find((e) => e.id === id);
    if (!event) throw new ProviderError('permanent', `the server did not keep ${id}`);
    return event;
  }

  private render() {
    return { self: this.o.self, now: this.o.now() };
  }

  private async writeOne(calendarId: string, w: EventWrite): Promise<CalendarEvent | null> {
    if (w.op === 'create') {
      if (w.draft.occurrence)
        return this.writeOccurrence(
          calendarId,
          w.draft.occurrence.seriesId,
          w.draft.occurrence.originalStart,
          null,
          w.draft,
        );
      const href = this.createHref(calendarId, w.idempotencyKey);
      const uid = `${resourceName(w.idempotencyKey)}-${randomUUID()}@crm-calendar-connector`;
      const stored = await this.put(href, renderNewResource(uid, w.draft, this.render()), 'create');
      this.created.set(calendarId, (this.created.get(calendarId) ?? new Set()).add(href));
      if (stored) return this.eventFrom(calendarId, stored, href);
      // Already there: a retried create whose first answer was lost. Ours if it carries the same tag.
      this.resources.delete(href);
      const current = await this.load(href, null);
      const existing = this.eventFrom(calendarId, current, href);
      if ((existing.crmTag ?? '') === w.draft.crmTag) {
        if (!existing.cancelled) return existing;
        // Cancelled meanwhile and created again: the same resource comes back to life.
        const revived = await this.put(href, renderIntoResource(uncancel(current.ics), null, w.draft, this.render()), {
          ifMatch: current.etag,
        });
        if (!revived) throw this.conflict(href);
        return this.eventFrom(calendarId, revived, href);
      }
      throw new ProviderError('conflict', `${href} exists and belongs to another item`, { status: 412 });
    }
    const { href, originalStart } = splitEventId(w.id);
    if (w.op === 'update') {
      if (originalStart !== null) return this.writeOccurrence(calendarId, href, originalStart, w.ifMatch, w.draft);
      const current = await this.load(href, w.ifMatch);
      const stored = await this.put(href, renderIntoResource(current.ics, null, w.draft, this.render()), {
        ifMatch: current.etag,
      });
      if (!stored) throw this.conflict(href);
      return this.eventFrom(calendarId, stored, href);
    }
    if (originalStart !== null) {
      const current = await this.load(href, w.ifMatch);
      const stored = await this.put(href, cancelOccurrence(current.ics, originalStart), { ifMatch: current.etag });
      if (!stored) throw this.conflict(href);
      return null;
    }
    let etag = this.latestEtag(w.ifMatch);
    if (!w.sendCancellations) {
      const current = await this.load(href, w.ifMatch).catch((e: unknown) => {
        if (e instanceof ProviderError && e.kind === 'not-found') return null;
        throw e;
      });
      if (!current) return null;
      const silenced = silenceScheduling(current.ics);
      if (silenced) {
        const stored = await this.put(href, silenced, { ifMatch: current.etag });
        if (!stored) throw this.conflict(href);
        etag = stored.etag;
      } else etag = current.etag;
    }
    const ans = await this.o.client.request({
      method: 'DELETE',
      url: this.url(href),
      headers: etag ? { 'if-match': etag } : {},
      accept: [404, 412],
    });
    if (ans.status === 412) throw this.conflict(href);
    this.resources.delete(href);
    return null;
  }

  private async writeOccurrence(
    calendarId: string,
    seriesHref: string,
    originalStart: string,
    ifMatch: string | null,
    draft: EventDraft,
  ): Promise<CalendarEvent> {
    const current = await this.load(seriesHref, ifMatch);
    const stored = await this.put(seriesHref, renderIntoResource(current.ics, originalStart, draft, this.render()), {
      ifMatch: current.etag,
    });
    if (!stored) throw this.conflict(seriesHref);
    return this.eventFrom(calendarId, stored, `${seriesHref}#${originalStart}`);
  }

  private conflict(href: string): ProviderError {
    this.resources.delete(href);
    return new ProviderError('conflict', `${href} was changed by someone else meanwhile`, { status: 412 });
  }
}
