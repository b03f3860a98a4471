import type { Event } from '@microsoft/microsoft-graph-types';
import { ProviderError } from '../../../sync/errors';
import type { CalendarEvent } from '../../../sync/model';
import type { ChangeSet, ListWindow } from '../../../sync/ports';
import type { GraphApi } from './api';
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

  constructor(
    private readonly api: GraphApi,
    private readonly o: ReaderOptions,
  ) {
    this.minHorizonMs = (o.minHorizonDays ?? 730) * dayMs;
    this.slackMs = (o.horizonSlackDays ?? 30) * dayMs;
    this.pageSize = o.pageSize ?? 200;
  }

  async listChanges(calendarId: string, cursor: string | null, window: ListWindow): Promise<ChangeSet<CalendarEvent>> {
    const now = this.o.now().getTime();
    const c = decodeCursor(cursor, calendarId);
    const needsRebaseline =
      !c ||
      Date.parse(window.from) < Date.parse(c.from) ||
      Date.parse(c.to) < now + this.minHorizonMs ||
      (window.to !== null && Date.parse(window.to) > Date.parse(c.to));
    if (!needsRebaseline) {
      try {
        return await this.incremental(calendarId, c, window);
      } catch (e) {
        // 410 Gone: the sync state expired or must be rebuilt; a full listing reconciles without deleting.
        if (!(e instanceof ProviderError && e.status === 410)) throw e;
      }
    }
    return this.full(calendarId, window);
  }

  private horizon(window: ListWindow): string {
    const rolling = this.o.now().getTime() + this.minHorizonMs + this.slackMs;
    const to = window.to ? Math.max(Date.parse(window.to), rolling) : rolling;
    return new Date(to).toISOString();
  }

  private async full(calendarId: string, window: ListWindow): Promise<ChangeSet<CalendarEvent>> {
    const from = new Date(window.from).toISOString();
    const to = this.horizon(window);
    const start = `/me/calendars/${q(calendarId)}/calendarView/delta?startDateTime=${q(from)}&endDateTime=${q(to)}`;
    const { items, deltaLink } = await this.deltaRound(start);
    const singles = new Set<string>();
    const series = new Set<string>();
    for (const it of items.values()) {
      if (it['@removed']) continue;
      if ((it.type === 'occurrence' || it.type === 'exception') && it.seriesMasterId) series.add(it.seriesMasterId);
      else if (it.type === 'seriesMaster' && it.id) series.add(it.id);
      else if (it.id) singles.add(it.id);
    }
    const { events } = await this.hydrate(calendarId, [...singles]);
    const seriesEvents = await this.readSeries(calendarId, [...series], from, to);
    const upserts = [...events, ...seriesEvents.events].filter((e) => overlaps(e, Date.parse(from), Date.parse(to)));
    return {
      upserts,
      removedIds: [],
      full: true,
      nextCursor: encodeCursor({ calendarId, deltaLink, from, to, series: seriesEvents.masters }),
    };
  }

  private async incremental(calendarId: string, c: GraphCursor, window: ListWindow): Promise<ChangeSet<CalendarEvent>> {
    const { items, deltaLink } = await this.deltaRound(c.deltaLink);
    const singles = new Set<string>();
    const series = new Set<string>();
    const removedCandidates: string[] = [];
    for (const it of items.values()) {
      if (!it.id) continue;
      if (it['@removed']) removedCandidates.push(it.id);
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
    const hydrated = await this.hydrate(calendarId, [...singles]);
    removedIds.push(...hydrated.missing);
    const seriesRead = await this.readSeries(calendarId, [...series], c.from, c.to);
    removedIds.push(...seriesRead.missing);
    const from = Date.parse(window.from);
    const upserts = [...hydrated.events, ...seriesRead.events].filter((e) => overlaps(e, from, Date.parse(c.to)));
    const upsertIds = new Set(upserts.map((e) => e.id));
    const knownSeries = new Set(c.series);
    for (const m of seriesRead.masters) knownSeries.add(m);
    for (const m of seriesRead.missing) knownSeries.delete(m);
    return {
      upserts,
      removedIds: [...new Set(removedIds)].filter((id) => !upsertIds.has(id)),
      full: false,
      nextCursor: encodeCursor({ calendarId, deltaLink, from: c.from, to: c.to, series: [...knownSeries] }),
    };
  }

  /** Follows nextLinks to the end of one delta round; later pages win for an id seen twice. */
  private async deltaRound(startPath: string): Promise<{ items: Map<string, DeltaItem>; deltaLink: string }> {
    const items = new Map<string, DeltaItem>();
    let path = startPath;
    for (;;) {
      const page = await this.api.get<Page<DeltaItem>>(path, { Prefer: `odata.maxpagesize=${this.pageSize}` });
      for (const it of page.value) if (it.id) items.set(it.id, it);
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

  /** Series through the master and /instances (SPEC §12): the master with its exdates, plus modified occurrences. */
  private async readSeries(
    calendarId: string,
    masterIds: string[],
    from: string,
    to: string,
  ): Promise<{ events: CalendarEvent[]; masters: string[]; missing: string[] }> {
    const { events: masters, missing } = await this.hydrate(calendarId, masterIds);
    const events: CalendarEvent[] = [...masters];
    for (const m of masters) {
      let path: string | null =
        `/me/events/${q(m.id)}/instances?startDateTime=${q(from)}&endDateTime=${q(to)}&${eventQuery}`;
      while (path) {
        const page: Page<Event> = await this.api.get<Page<Event>>(path, {
          ...textBody,
          Prefer: `${textBody.Prefer}, odata.maxpagesize=${this.pageSize}`,
        });
        for (const inst of page.value) {
          if (inst.type === 'exception') events.push(toCalendarEvent(inst, calendarId, this.o.selfEmail));
        }
        path = page['@odata.nextLink'] ? this.api.relative(page['@odata.nextLink']) : null;
      }
    }
    return { events, masters: masters.map((m) => m.id), missing };
  }

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
    for (const r of results) {
      if (!r.ok) throw r.error;
      for (const ev of (r.body as Page<Event>).value) out.push(toCalendarEvent(ev, calendarId, this.o.selfEmail));
    }
    return out;
  }
}
