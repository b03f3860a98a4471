import { createHash } from 'node:crypto';
import type { Calendar, Event, User } from '@microsoft/microsoft-graph-types';
import { ProviderError } from '../../../sync/errors';
import type { CalendarEvent, EventDraft, Priority } from '../../../sync/model';
import type {
  CalendarCapabilities,
  CalendarInfo,
  CalendarProvider,
  ChangeSet,
  EventWrite,
  ListWindow,
  WriteResult,
} from '../../../sync/ports';
import type { GraphApi } from './api';
import { runBatch, type SubRequest, type SubResult } from './batch';
import { CategoryEnsurer } from './categories';
import { decodeCursor, encodeCursor, type GraphCursor } from './cursor';
import { eventQuery, renderDraft, tagPropertyId, toCalendarEvent } from './mapping';

/** Plain-text bodies on reads: the engine compares text, and our decorations are found by their marker line. */
const textBody = { Prefer: 'outlook.body-content-type="text"' };
const dayMs = 86_400_000;

export interface GraphProviderOptions {
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

interface Page<T> {
  value: T[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

function q(s: string): string {
  return encodeURIComponent(s);
}

function odataString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Graph's transactionId is a short opaque string; long engine keys are hashed to a stable shorter one. */
export function transactionIdFor(key: string): string {
  return key.length <= 100 && /^[\w.:-]+$/.test(key) ? key : createHash('sha256').update(key).digest('hex');
}

function overlaps(ev: CalendarEvent, from: number, to: number): boolean {
  if (ev.fields.recurrence) return true;
  const t = ev.fields.timing;
  const s = Date.parse(t.kind === 'timed' ? t.start : `${t.startDate}T00:00:00Z`);
  const e = Date.parse(t.kind === 'timed' ? t.end : `${t.endDate}T00:00:00Z`);
  return e >= from && s < to;
}

/** The instance whose original start is `want` (a UTC instant, or a date for all-day series). */
function matchOriginalStart(instances: Event[], want: string): Event | undefined {
  return instances.find((inst) => {
    const os = inst.originalStart ? new Date(inst.originalStart).toISOString() : '';
    return want.length === 10 ? os.slice(0, 10) === want : os === new Date(want).toISOString();
  });
}

/** The engine's calendar port over Microsoft Graph (SPEC §5, §12). */
export class GraphCalendarProvider implements CalendarProvider {
  readonly kind = 'microsoft-graph';
  readonly capabilities: CalendarCapabilities = {
    recurrence: true,
    tags: true,
    silentAttendees: false,
    maxBatch: 20,
    idempotentCreate: true,
  };
  private readonly categories: CategoryEnsurer;
  private readonly minHorizonMs: number;
  private readonly slackMs: number;
  private readonly pageSize: number;

  constructor(
    readonly api: GraphApi,
    private readonly o: GraphProviderOptions,
  ) {
    this.categories = new CategoryEnsurer(api);
    this.minHorizonMs = (o.minHorizonDays ?? 730) * dayMs;
    this.slackMs = (o.horizonSlackDays ?? 30) * dayMs;
    this.pageSize = o.pageSize ?? 200;
  }

  now(): Date {
    return this.o.now();
  }

  async testConnection(): Promise<{ account: string }> {
    const me = await this.api.get<User>('/me?$select=mail,userPrincipalName,displayName');
    return { account: me.mail ?? me.userPrincipalName ?? me.displayName ?? 'Microsoft 365 account' };
  }

  async listCalendars(): Promise<CalendarInfo[]> {
    const out: CalendarInfo[] = [];
    let path: string | null = '/me/calendars?$select=id,name,isDefaultCalendar,canEdit,hexColor&$top=100';
    while (path) {
      const page: Page<Calendar> = await this.api.get<Page<Calendar>>(path);
      for (const c of page.value) {
        out.push({
          id: c.id ?? '',
          name: c.name ?? '',
          isDefault: c.isDefaultCalendar ?? false,
          canWrite: c.canEdit ?? false,
          color: c.hexColor || null,
        });
      }
      path = page['@odata.nextLink'] ? this.api.relative(page['@odata.nextLink']) : null;
    }
    return out;
  }

  // ---------------------------------------------------------------- reading

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

  // ---------------------------------------------------------------- writing

  async writeEvents(calendarId: string, writes: EventWrite[]): Promise<WriteResult<CalendarEvent | null>[]> {
    const results: (WriteResult<CalendarEvent | null> | undefined)[] = new Array(writes.length);
    const priorities: Priority[] = [];
    for (const w of writes) if (w.op !== 'delete' && w.draft.priority) priorities.push(w.draft.priority);
    try {
      await this.categories.ensure(priorities);
    } catch (e) {
      // Colours are cosmetic: a mailbox that refuses master categories still gets its events.
      if (e instanceof ProviderError && (e.kind === 'auth' || e.kind === 'transient')) throw e;
    }

    const targets = await this.resolveOccurrences(writes, results);
    await this.guardAgainstMail(writes, targets, results);

    const plan: { index: number; req: SubRequest }[] = [];
    writes.forEach((w, i) => {
      if (results[i]) return;
      try {
        plan.push({ index: i, req: this.toSubRequest(calendarId, w, targets[i]) });
      } catch (e) {
        results[i] = { ok: false, error: e instanceof ProviderError ? e : new ProviderError('invalid', String(e)) };
      }
    });
    const answers = await runBatch(
      this.api,
      plan.map((p) => p.req),
    );
    answers.forEach((a, k) => {
      const { index } = plan[k]!;
      results[index] = this.toResult(calendarId, writes[index]!, a);
    });
    await this.applyExdates(writes, results);
    return results.map((r) => r ?? { ok: false, error: new ProviderError('permanent', 'write not attempted') });
  }

  private toSubRequest(calendarId: string, w: EventWrite, target: string | undefined): SubRequest {
    const ifMatch = (v: string | null): Record<string, string> => (v ? { 'If-Match': `W/"${v}"` } : {});
    if (w.op === 'delete')
      return { method: 'DELETE', url: `/me/events/${q(w.id)}`, headers: ifMatch(w.ifMatch), key: w.id };
    if (w.op === 'create' && !w.draft.occurrence) {
      const body = {
        ...renderDraft(w.draft, { isOccurrence: false, create: true }),
        transactionId: transactionIdFor(w.idempotencyKey),
      };
      return { method: 'POST', url: `/me/calendars/${q(calendarId)}/events`, body };
    }
    const id = target ?? (w.op === 'update' ? w.id : '');
    const body = renderDraft(w.draft, { isOccurrence: Boolean(w.draft.occurrence), create: false });
    return {
      method: 'PATCH',
      url: `/me/events/${q(id)}`,
      body,
      headers: w.op === 'update' && !w.draft.occurrence ? ifMatch(w.ifMatch) : {},
      key: id,
    };
  }

  private toResult(calendarId: string, w: EventWrite, a: SubResult): WriteResult<CalendarEvent | null> {
    if (w.op === 'delete') {
      if (a.ok || a.error.kind === 'not-found') return { ok: true, value: null };
      return { ok: false, error: a.error };
    }
    if (!a.ok) return { ok: false, error: a.error };
    const ev = toCalendarEvent(a.body as Event, calendarId, this.o.selfEmail);
    // Graph answers with the HTML we sent; the engine gets the fields as written. Only a create wrote our tag
    // (a PATCH answer does not expand extended properties, so an update reports what the answer shows).
    const crmTag = w.op === 'create' && !w.draft.occurrence ? w.draft.crmTag : ev.crmTag;
    return { ok: true, value: { ...ev, fields: { ...w.draft.fields }, crmTag } };
  }

  /**
   * Cancelled occurrences of a series we wrote: Graph has no exdate list to set, so each one is cancelled by
   * deleting its instance. An occurrence already gone is simply not found. A failure marks the write failed, so
   * the engine retries it next run.
   */
  private async applyExdates(
    writes: EventWrite[],
    results: (WriteResult<CalendarEvent | null> | undefined)[],
  ): Promise<void> {
    const wanted: { index: number; seriesId: string; exdate: string }[] = [];
    writes.forEach((w, i) => {
      const r = results[i];
      if (w.op === 'delete' || w.draft.occurrence || !r?.ok || !r.value) return;
      for (const exdate of w.draft.fields.recurrence?.exdates ?? [])
        wanted.push({ index: i, seriesId: r.value.id, exdate });
    });
    if (wanted.length === 0) return;
    const lookups = await runBatch(
      this.api,
      wanted.map((x) => ({ method: 'GET', url: this.instancesAround(x.seriesId, x.exdate) })),
    );
    const deletes: { index: number; id: string }[] = [];
    lookups.forEach((a, k) => {
      const x = wanted[k]!;
      if (!a.ok) {
        results[x.index] = { ok: false, error: a.error };
        return;
      }
      const hit = matchOriginalStart((a.body as Page<Event>).value, x.exdate);
      if (hit?.id) deletes.push({ index: x.index, id: hit.id });
    });
    const answers = await runBatch(
      this.api,
      deletes.map((d) => ({ method: 'DELETE', url: `/me/events/${q(d.id)}` })),
    );
    answers.forEach((a, k) => {
      if (!a.ok && a.error.kind !== 'not-found') results[deletes[k]!.index] = { ok: false, error: a.error };
    });
  }

  private instancesAround(seriesId: string, originalStart: string): string {
    const at = Date.parse(originalStart.length === 10 ? `${originalStart}T00:00:00Z` : originalStart);
    const from = new Date(at - dayMs).toISOString();
    const to = new Date(at + 2 * dayMs).toISOString();
    return `/me/events/${q(seriesId)}/instances?startDateTime=${q(from)}&endDateTime=${q(to)}&$select=id,originalStart,start,isAllDay`;
  }

  /**
   * Occurrence writes address an instance of a series: find its id from the series' instances around the
   * original start. A "create" of an occurrence is a PATCH of that instance (Graph has no other way).
   */
  private async resolveOccurrences(
    writes: EventWrite[],
    results: (WriteResult<CalendarEvent | null> | undefined)[],
  ): Promise<(string | undefined)[]> {
    const targets: (string | undefined)[] = new Array(writes.length);
    const lookups: { index: number; draft: EventDraft }[] = [];
    writes.forEach((w, i) => {
      if (w.op !== 'delete' && w.draft.occurrence) lookups.push({ index: i, draft: w.draft });
    });
    if (lookups.length === 0) return targets;
    const answers = await runBatch(
      this.api,
      lookups.map(({ draft }) => ({
        method: 'GET',
        url: this.instancesAround(draft.occurrence!.seriesId, draft.occurrence!.originalStart),
      })),
    );
    answers.forEach((a, k) => {
      const { index, draft } = lookups[k]!;
      if (!a.ok) {
        results[index] = { ok: false, error: a.error };
        return;
      }
      const want = draft.occurrence!.originalStart;
      const hit = matchOriginalStart((a.body as Page<Event>).value, want);
      if (hit?.id) targets[index] = hit.id;
      else
        results[index] = {
          ok: false,
          error: new ProviderError('not-found', `no occurrence of series ${draft.occurrence!.seriesId} at ${want}`),
        };
    });
    return targets;
  }

  /**
   * SPEC §5 *never* mode: changing or deleting a meeting the user organises with attendees makes Graph mail them,
   * and no flag stops it. Such writes are refused (reported per item) instead of being sent.
   */
  private async guardAgainstMail(
    writes: EventWrite[],
    targets: (string | undefined)[],
    results: (WriteResult<CalendarEvent | null> | undefined)[],
  ): Promise<void> {
    const checks: { index: number; id: string }[] = [];
    writes.forEach((w, i) => {
      if (results[i]) return;
      if (w.op === 'delete' && !w.sendCancellations) checks.push({ index: i, id: w.id });
      if (w.op === 'update' && !w.draft.sendInvitations) checks.push({ index: i, id: targets[i] ?? w.id });
      if (w.op === 'create' && w.draft.occurrence && !w.draft.sendInvitations && targets[i])
        checks.push({ index: i, id: targets[i]! });
    });
    if (checks.length === 0) return;
    const answers = await runBatch(
      this.api,
      checks.map((c) => ({ method: 'GET', url: `/me/events/${q(c.id)}?$select=id,isOrganizer,attendees` })),
    );
    answers.forEach((a, k) => {
      const { index } = checks[k]!;
      const w = writes[index]!;
      if (!a.ok) {
        if (a.error.kind === 'not-found' && w.op === 'delete') results[index] = { ok: true, value: null };
        else if (a.error.kind !== 'not-found') results[index] = { ok: false, error: a.error };
        return;
      }
      const ev = a.body as Event;
      const self = this.o.selfEmail?.toLowerCase();
      const attendees = (ev.attendees ?? []).filter(
        (x) => x.type !== 'resource' && (x.emailAddress?.address ?? '').toLowerCase() !== self,
      ).length;
      if (ev.isOrganizer && attendees > 0) {
        results[index] = {
          ok: false,
          error: new ProviderError(
            'permanent',
            `Not ${w.op === 'delete' ? 'deleted' : 'changed'}: this meeting has ${attendees} attendee(s) and Outlook would e-mail them; invitations are set to "never".`,
          ),
        };
      }
    });
  }
}
