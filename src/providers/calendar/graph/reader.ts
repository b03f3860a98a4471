import type { Event } from '@microsoft/microsoft-graph-types';
import { ProviderError } from '../../../sync/errors';
import type { CalendarEvent } from '../../../sync/model';
import type { ChangeSet, ListWindow, ListingFilter } from '../../../sync/ports';
import { graphErrorCode, resyncCodes, type GraphApi } from './api';
import { runBatch } from './batch';
import { decodeCursor, encodeCursor, type GraphCursor } from './cursor';
import { eventQuery, tagPropertyId, toCalendarEvent } from './mapping';
import { dayMs, odataString, q, textBody, type Page } from './paths';

export interface ReaderOptions {
  now: () => Date;
  /** The mailbox owner's address, left out of attendee lists. */
  selfEmail: string | null;
  /** Rolling horizon (SPEC §5: at least two years); re-baselined when less than `minHorizonDays` remain. */
  minHorizonDays?: number;
  /** Slack added to the horizon at a re-baseline so that happens about monthly, not every run. */
  horizonSlackDays?: number;
  /** Events per delta page (Prefer: odata.maxpagesize). */
  pageSize?: number;
}

interface DeltaItem extends Event {
  '@removed'?: { reason?: string };
}

/** What a delta round keeps of each item: enough to know what to re-read (the events are read again in full). */
interface DeltaEntry {
  id: string;
  type: Event['type'];
  seriesMasterId: string | null;
  removed: boolean;
}

/** The cursor's link for a calendar listed through calendarView (no delta link): always listed in full. */
const viewPrefix = '/calendarView-full-listing';

/** Graph's answers that mean "start the delta round over" (concepts/delta-query-overview.md, errors.md). */
function isResync(e: unknown): boolean {
  if (!(e instanceof ProviderError)) return false;
  const code = graphErrorCode(e)?.toLowerCase();
  if (code && resyncCodes.has(code)) return true;
  // 410 Gone with no (or another) code: the documented reset for tenant maintenance and migrations.
  return e.status === 410;
}

/** Events read and mapped together before the next are read (five $batch calls). */
const hydrateChunk = 100;

function overlaps(ev: CalendarEvent, from: number, to: number): boolean {
  if (ev.fields.recurrence) return true;
  const t = ev.fields.timing;
  const s = Date.parse(t.kind === 'timed' ? t.start : `${t.startDate}T00:00:00Z`);
  const e = Date.parse(t.kind === 'timed' ? t.end : `${t.endDate}T00:00:00Z`);
  return e >= from && s < to;
}

/**
 * Reading one calendar (SPEC §5, §12): calendarView delta with the delta link as cursor, a rolling horizon,
 * @removed checked before it counts as a deletion, changed events re-read with our tag, series through the master
 * and /instances, lookup by tag.
 */
export class GraphReader {
  private readonly minHorizonMs: number;
  private readonly slackMs: number;
  private readonly pageSize: number;
  private primaryId: Promise<string> | null = null;
  /** Per calendar, from its latest listing: the series seen and the window (where findByTag looks for exceptions). */
  private readonly seen = new Map<string, { series: string[]; from: string; to: string }>();

  constructor(
    private readonly api: GraphApi,
    private readonly o: ReaderOptions,
  ) {
    this.minHorizonMs = (o.minHorizonDays ?? 730) * dayMs;
    this.slackMs = (o.horizonSlackDays ?? 30) * dayMs;
    this.pageSize = o.pageSize ?? 200;
  }

  async listChanges(
    calendarId: string,
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CalendarEvent>,
  ): Promise<ChangeSet<CalendarEvent>> {
    const now = this.o.now().getTime();
    const c = decodeCursor(cursor, calendarId);
    const needsRebaseline =
      !c ||
      c.deltaLink.startsWith(viewPrefix) ||
      // A cursor from the beta path (/me/calendars/{id}/calendarView/delta) is not followed any more.
      c.deltaLink.startsWith('/me/calendars/') ||
      Date.parse(window.from) < Date.parse(c.from) ||
      Date.parse(c.to) < now + this.minHorizonMs ||
      (window.to !== null && Date.parse(window.to) > Date.parse(c.to));
    if (!needsRebaseline) {
      try {
        return await this.incremental(calendarId, c, window, keep);
      } catch (e) {
        // The sync state is gone: a full listing reconciles without deleting anything.
        if (!isResync(e)) throw e;
      }
    }
    return this.full(calendarId, window, keep);
  }

  /**
   * v1.0 documents calendarView delta for the primary calendar only (api-reference/v1.0/api/event-delta.md:
   * `GET /me/calendarView/delta`); `/me/calendars/{id}/calendarView/delta` is beta. The primary calendar's id is
   * read once (`GET /me/calendar`, calendar-get.md).
   */
  private async isPrimary(calendarId: string): Promise<boolean> {
    this.primaryId ??= this.api.get<{ id?: string }>('/me/calendar?$select=id').then((c) => c.id ?? '');
    try {
      return (await this.primaryId) === calendarId;
    } catch (e) {
      this.primaryId = null;
      throw e;
    }
  }

  private horizon(window: ListWindow): string {
    const rolling = this.o.now().getTime() + this.minHorizonMs + this.slackMs;
    const to = window.to ? Math.max(Date.parse(window.to), rolling) : rolling;
    return new Date(to).toISOString();
  }

  /**
   * A complete listing: the delta round keeps only ids and types; singles and series are then read in full a chunk
   * at a time and each finished event (mapped, window-checked) is offered to the engine's filter at once. A series'
   * exceptions are read for every master listed, whether or not the filter takes the master.
   */
  private async full(
    calendarId: string,
    window: ListWindow,
    keep: ListingFilter<CalendarEvent> | undefined,
  ): Promise<ChangeSet<CalendarEvent>> {
    const from = new Date(window.from).toISOString();
    const to = this.horizon(window);
    const range = `startDateTime=${q(from)}&endDateTime=${q(to)}`;
    // The documented fallback for a secondary calendar: its calendarView (calendar-list-calendarview.md), listed
    // in full every run (the cursor then only carries the window and the series seen).
    const primary = await this.isPrimary(calendarId);
    const { items, deltaLink } = primary
      ? await this.deltaRound(`/me/calendarView/delta?${range}`)
      : await this.viewRound(`/me/calendars/${q(calendarId)}/calendarView?${range}&$select=id,type,seriesMasterId`);
    const singles = new Set<string>();
    const series = new Set<string>();
    for (const it of items.values()) {
      if (it.removed) continue;
      if ((it.type === 'occurrence' || it.type === 'exception') && it.seriesMasterId) series.add(it.seriesMasterId);
      else if (it.type === 'seriesMaster') series.add(it.id);
      else singles.add(it.id);
    }
    items.clear();
    const upserts: CalendarEvent[] = [];
    const take = (e: CalendarEvent): void => {
      if (overlaps(e, Date.parse(from), Date.parse(to)) && (keep?.(e) ?? true)) upserts.push(e);
    };
    await this.hydrateEach(calendarId, [...singles], take);
    const seriesRead = await this.readSeries(calendarId, [...series], from, to, take);
    this.seen.set(calendarId, { series: seriesRead.masters, from, to });
    return {
      upserts,
      removedIds: [],
      full: true,
      nextCursor: encodeCursor({ calendarId, deltaLink, from, to, series: seriesRead.masters }),
    };
  }

  /**
   * The changes since the cursor. Filtered once everything is read: a 410 on the way still turns this into a full
   * listing, and which ids count as removed is decided on the unfiltered upserts.
   */
  private async incremental(
    calendarId: string,
    c: GraphCursor,
    window: ListWindow,
    keep: ListingFilter<CalendarEvent> | undefined,
  ): Promise<ChangeSet<CalendarEvent>> {
    const { items, deltaLink } = await this.deltaRound(c.deltaLink);
    const singles = new Set<string>();
    const series = new Set<string>();
    const removedCandidates: string[] = [];
    for (const it of items.values()) {
      if (it.removed) removedCandidates.push(it.id);
      else if ((it.type === 'occurrence' || it.type === 'exception') && it.seriesMasterId)
        series.add(it.seriesMasterId);
      else if (it.type === 'seriesMaster') series.add(it.id);
      else singles.add(it.id);
    }
    // @removed also fires for an event that merely left the window (SPEC §12): only a 404 proves a deletion.
    const removedIds: string[] = [];
    if (removedCandidates.length) {
      const probes = await runBatch(
        this.api,
        removedCandidates.map((id) => ({
          method: 'GET',
          // Scoped to the calendar: an event moved to another calendar is gone from this one.
          url: `/me/calendars/${q(calendarId)}/events/${q(id)}?$select=id,type,seriesMasterId,start,end,isAllDay`,
        })),
      );
      let unexplained = false;
      probes.forEach((r, i) => {
        const id = removedCandidates[i]!;
        if (!r.ok) {
          if (r.error.kind !== 'not-found') throw r.error;
          removedIds.push(id);
          unexplained = true;
          return;
        }
        const ev = r.body as Event;
        if ((ev.type === 'occurrence' || ev.type === 'exception') && ev.seriesMasterId) series.add(ev.seriesMasterId);
        else singles.add(id);
      });
      // A deleted occurrence leaves no trace but its series' cancelledOccurrences: re-read the known series.
      if (unexplained) for (const s of c.series) series.add(s);
    }
    const read: CalendarEvent[] = [];
    const collect = (e: CalendarEvent): void => {
      read.push(e);
    };
    removedIds.push(...(await this.hydrateEach(calendarId, [...singles], collect)));
    const seriesRead = await this.readSeries(calendarId, [...series], c.from, c.to, collect);
    removedIds.push(...seriesRead.missing);
    const from = Date.parse(window.from);
    const listed = read.filter((e) => overlaps(e, from, Date.parse(c.to)));
    const upsertIds = new Set(listed.map((e) => e.id));
    const upserts = keep ? listed.filter(keep) : listed;
    const knownSeries = new Set(c.series);
    for (const m of seriesRead.masters) knownSeries.add(m);
    for (const m of seriesRead.missing) knownSeries.delete(m);
    this.seen.set(calendarId, { series: [...knownSeries], from: c.from, to: c.to });
    return {
      upserts,
      removedIds: [...new Set(removedIds)].filter((id) => !upsertIds.has(id)),
      full: false,
      nextCursor: encodeCursor({ calendarId, deltaLink, from: c.from, to: c.to, series: [...knownSeries] }),
    };
  }

  /** Pages through a calendarView (no delta): every item of the window, ids and types only. */
  private async viewRound(startPath: string): Promise<{ items: Map<string, DeltaEntry>; deltaLink: string }> {
    const items = new Map<string, DeltaEntry>();
    let path: string | null = startPath;
    while (path) {
      const page: Page<Event> = await this.api.get<Page<Event>>(path, { Prefer: `odata.maxpagesize=${this.pageSize}` });
      for (const it of page.value) {
        if (it.id)
          items.set(it.id, { id: it.id, type: it.type, seriesMasterId: it.seriesMasterId ?? null, removed: false });
      }
      path = page['@odata.nextLink'] ? this.api.relative(page['@odata.nextLink']) : null;
    }
    return { items, deltaLink: viewPrefix };
  }

  /** Follows nextLinks to the end of one delta round; later pages win for an id seen twice. */
  private async deltaRound(startPath: string): Promise<{ items: Map<string, DeltaEntry>; deltaLink: string }> {
    const items = new Map<string, DeltaEntry>();
    let path = startPath;
    for (;;) {
      const page = await this.api.get<Page<DeltaItem>>(path, { Prefer: `odata.maxpagesize=${this.pageSize}` });
      for (const it of page.value) {
        if (!it.id) continue;
        items.set(it.id, {
          id: it.id,
          type: it.type,
          seriesMasterId: it.seriesMasterId ?? null,
          removed: Boolean(it['@removed']),
        });
      }
      const next = page['@odata.nextLink'];
      if (next) {
        path = this.api.relative(next);
        continue;
      }
      const delta = page['@odata.deltaLink'];
      if (!delta) throw new ProviderError('permanent', 'Graph delta page has neither nextLink nor deltaLink');
      return { items, deltaLink: this.api.relative(delta) };
    }
  }

  /** Reads events in full with our tag, 20 per $batch. Ids Graph no longer has come back as `missing`. */
  private async hydrate(calendarId: string, ids: string[]): Promise<{ events: CalendarEvent[]; missing: string[] }> {
    if (ids.length === 0) return { events: [], missing: [] };
    const results = await runBatch(
      this.api,
      ids.map((id) => ({
        method: 'GET',
        url: `/me/calendars/${q(calendarId)}/events/${q(id)}?${eventQuery}`,
        headers: textBody,
      })),
    );
    const events: CalendarEvent[] = [];
    const missing: string[] = [];
    results.forEach((r, i) => {
      if (r.ok) events.push(toCalendarEvent(r.body as Event, calendarId, this.o.selfEmail));
      else if (r.error.kind === 'not-found') missing.push(ids[i]!);
      else throw r.error;
    });
    return { events, missing };
  }

  /** Reads events in chunks, handing each mapped event to `take` before the next chunk; returns the missing ids. */
  private async hydrateEach(calendarId: string, ids: string[], take: (e: CalendarEvent) => void): Promise<string[]> {
    const missing: string[] = [];
    for (let i = 0; i < ids.length; i += hydrateChunk) {
      const chunk = await this.hydrate(calendarId, ids.slice(i, i + hydrateChunk));
      chunk.events.forEach(take);
      missing.push(...chunk.missing);
    }
    return missing;
  }

  /**
   * Series through the master and /instances (SPEC §12): the master with its exdates, then the modified occurrences
   * of every master read, each handed to `take` as it is mapped.
   */
  private async readSeries(
    calendarId: string,
    masterIds: string[],
    from: string,
    to: string,
    take: (e: CalendarEvent) => void,
  ): Promise<{ masters: string[]; missing: string[] }> {
    const masters: string[] = [];
    const missing = await this.hydrateEach(calendarId, masterIds, (m) => {
      masters.push(m.id);
      take(m);
    });
    for (const m of masters) {
      let path: string | null =
        `/me/events/${q(m)}/instances?startDateTime=${q(from)}&endDateTime=${q(to)}&${eventQuery}`;
      while (path) {
        const page: Page<Event> = await this.api.get<Page<Event>>(path, {
          ...textBody,
          Prefer: `${textBody.Prefer}, odata.maxpagesize=${this.pageSize}`,
        });
        for (const inst of page.value) {
          if (inst.type === 'exception') take(toCalendarEvent(inst, calendarId, this.o.selfEmail));
        }
        path = page['@odata.nextLink'] ? this.api.relative(page['@odata.nextLink']) : null;
      }
    }
    return { masters, missing };
  }

  /**
   * The events carrying our tag for these CRM ids. Singles and series masters come from the documented filter on
   * the calendar's events (singlevaluelegacyextendedproperty-get.md: `GET /me/events?$filter=
   * singleValueExtendedProperties/Any(ep: ep/id eq … and ep/value eq …)`); that list holds "single instance meetings
   * and series masters" only (user-list-events.md, event.md "List events"), so an exception (an edited occurrence,
   * tagged when the connector wrote it) is never in it. Ids not found there are looked for among exceptions.
   */
  async findByTag(calendarId: string, crmIds: string[]): Promise<CalendarEvent[]> {
    const unique = [...new Set(crmIds)];
    if (unique.length === 0) return [];
    const results = await runBatch(
      this.api,
      unique.map((id) => ({
        method: 'GET',
        url:
          `/me/calendars/${q(calendarId)}/events?$filter=` +
          q(
            `singleValueExtendedProperties/Any(ep: ep/id eq ${odataString(tagPropertyId)} and ep/value eq ${odataString(id)})`,
          ) +
          `&${eventQuery}`,
        headers: textBody,
      })),
    );
    const out: CalendarEvent[] = [];
    const masters: string[] = [];
    for (const r of results) {
      if (!r.ok) throw r.error;
      for (const ev of (r.body as Page<Event>).value) {
        // A list of events carries no cancelledOccurrences (Graph returns it only when an event is read with
        // $select): a series master found here is read again on its own, so its exdates are known.
        if (ev.type === 'seriesMaster' && ev.id) masters.push(ev.id);
        else out.push(toCalendarEvent(ev, calendarId, this.o.selfEmail));
      }
    }
    const reread = await this.hydrate(calendarId, masters);
    out.push(...reread.events);
    const found = new Set(out.map((e) => e.crmTag));
    const rest = new Set(unique.filter((id) => !found.has(id)));
    if (rest.size > 0) out.push(...(await this.findTaggedExceptions(calendarId, rest)));
    return out;
  }

  /**
   * Exceptions carrying one of these tags. v1.0 documents no query that finds an exception by an extended
   * property: the filter above lists singles and masters, calendarView documents no such filter, and
   * `exceptionOccurrences` is a beta page. The documented way to an exception is its series' `/instances`
   * (event-list-instances.md: "the occurrences and exceptions of the event in the specified time range", with
   * OData query parameters), each instance expanded with our tag (singlevaluelegacyextendedproperty-get.md,
   * `$expand=singleValueExtendedProperties($filter=id eq …)`). The series searched are those of the calendar's
   * latest listing by this provider, over that listing's window (tagged or not: a series imported from Outlook has
   * an untagged master and CRM-written exceptions); before any listing, the series masters carrying our tag
   * (`ep/value ne ''`, the documented string operator) over the default window.
   */
  private async findTaggedExceptions(calendarId: string, wanted: Set<string>): Promise<CalendarEvent[]> {
    const seen = this.seen.get(calendarId);
    const series = seen?.series ?? (await this.taggedMasters(calendarId));
    const from = seen?.from ?? new Date(this.o.now().getTime() - 365 * dayMs).toISOString();
    const to = seen?.to ?? this.horizon({ from, to: null });
    const out: CalendarEvent[] = [];
    const take = (page: Page<Event>): void => {
      for (const inst of page.value) {
        if (inst.type !== 'exception') continue;
        const ev = toCalendarEvent(inst, calendarId, this.o.selfEmail);
        if (ev.crmTag && wanted.has(ev.crmTag)) out.push(ev);
      }
    };
    const headers = { ...textBody, Prefer: `${textBody.Prefer}, odata.maxpagesize=${this.pageSize}` };
    // First pages 20 to a $batch; the rare further pages one by one.
    const first = await runBatch(
      this.api,
      series.map((m) => ({
        method: 'GET' as const,
        url: `/me/events/${q(m)}/instances?startDateTime=${q(from)}&endDateTime=${q(to)}&${eventQuery}`,
        headers,
      })),
    );
    for (const r of first) {
      // A series deleted since the listing has no exceptions to find.
      if (!r.ok) {
        if (r.error.kind === 'not-found') continue;
        throw r.error;
      }
      let page = r.body as Page<Event>;
      take(page);
      while (page['@odata.nextLink']) {
        page = await this.api.get<Page<Event>>(this.api.relative(page['@odata.nextLink']), headers);
        take(page);
      }
    }
    return out;
  }

  /** The ids of the calendar's series masters that carry our tag (any value). */
  private async taggedMasters(calendarId: string): Promise<string[]> {
    const filter = `singleValueExtendedProperties/Any(ep: ep/id eq ${odataString(tagPropertyId)} and ep/value ne '')`;
    const out: string[] = [];
    let path: string | null = `/me/calendars/${q(calendarId)}/events?$filter=${q(filter)}&$select=id,type`;
    while (path) {
      const page: Page<Event> = await this.api.get<Page<Event>>(path, { Prefer: `odata.maxpagesize=${this.pageSize}` });
      for (const ev of page.value) if (ev.type === 'seriesMaster' && ev.id) out.push(ev.id);
      path = page['@odata.nextLink'] ? this.api.relative(page['@odata.nextLink']) : null;
    }
    return out;
  }
}
