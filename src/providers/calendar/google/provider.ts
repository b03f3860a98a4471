/**
 * The Google Calendar port: syncToken listing (410 → a full listing, never a deletion), paging, client-chosen
 * ids for idempotent creates, extendedProperties.private tags, sendUpdates from the invitation mode.
 * Cancelled instances of a series become the master's exdates; the cursor remembers them per series so an
 * incremental listing can still report the master's complete exdates.
 */
import { z } from 'zod';
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
import type { GoogleApi } from './google-api';
import {
  eventBody,
  eventIdFor,
  instanceId,
  pointOf,
  tagKey,
  toCalendarEvent,
  type GoogleEvent,
  type MappingContext,
} from './event-mapping';

const cursorSchema = z.object({
  v: z.literal(1),
  syncToken: z.string(),
  /** series id → original starts of its cancelled instances */
  cancelled: z.record(z.string(), z.array(z.string())),
});
type Cursor = z.infer<typeof cursorSchema>;

interface EventList {
  items?: GoogleEvent[];
  nextPageToken?: string;
  nextSyncToken?: string;
  timeZone?: string;
  defaultReminders?: { method?: string; minutes?: number }[];
}

interface CalendarListEntry {
  id: string;
  summary?: string;
  summaryOverride?: string;
  primary?: boolean;
  accessRole?: string;
  backgroundColor?: string;
  timeZone?: string;
  defaultReminders?: { minutes?: number }[];
}

const pageSize = 250;
const findByQueryLimit = 20;

function enc(id: string): string {
  return encodeURIComponent(id);
}

function parseCursor(raw: string | null): Cursor | null {
  if (!raw) return null;
  try {
    const r = cursorSchema.safeParse(JSON.parse(raw));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

function inWindow(e: CalendarEvent, w: ListWindow): boolean {
  const t = e.fields.timing;
  const start = Date.parse(t.kind === 'timed' ? t.start : `${t.startDate}T00:00:00Z`);
  const end =
    Date.parse(t.kind === 'timed' ? t.end : `${t.endDate}T00:00:00Z`) + (t.kind === 'timed' ? 0 : 14 * 3_600_000);
  if (w.to !== null && start > Date.parse(w.to)) return false;
  if (e.fields.recurrence) {
    const until = /UNTIL=(\d{8})/.exec(e.fields.recurrence.rrule)?.[1];
    if (!until) return true;
    return Date.parse(`${until.slice(0, 4)}-${until.slice(4, 6)}-${until.slice(6, 8)}T23:59:59Z`) >= Date.parse(w.from);
  }
  return end >= Date.parse(w.from);
}

export interface GoogleProviderOptions {
  api: GoogleApi;
  account: string;
}

export class GoogleCalendarProvider implements CalendarProvider {
  readonly kind = 'google';
  readonly capabilities: CalendarCapabilities = {
    recurrence: true,
    tags: true,
    silentAttendees: true,
    maxBatch: 1,
    idempotentCreate: true,
  };
  private readonly contexts = new Map<string, MappingContext>();
  /**
   * Per calendar, from its last complete listing: the ids of the events carrying each tag, so that findByTag
   * reads only those instead of searching (the listing itself is not kept).
   */
  private readonly tagged = new Map<string, Map<string, string[]>>();

  constructor(private readonly o: GoogleProviderOptions) {}

  /** The API client, for the watch-channel calls of NotificationSupport. */
  get api(): GoogleApi {
    return this.o.api;
  }

  async testConnection(): Promise<{ account: string }> {
    const { data } = await this.o.api.call<CalendarListEntry>('GET', '/calendar/v3/users/me/calendarList/primary');
    // The connector writes CRM activities into the calendar: an account that may only read it (a delegated or
    // shared mailbox signed in as a reader) is told so now, naming the calendar, not at the first write.
    if (data && data.accessRole !== 'owner' && data.accessRole !== 'writer')
      throw new ProviderError(
        'forbidden',
        `This Google account may not write to the calendar ${data.id} (accessRole ${data.accessRole ?? 'none'})`,
        { status: 403 },
      );
    return { account: data?.id ?? this.o.account };
  }

  async listCalendars(): Promise<CalendarInfo[]> {
    const out: CalendarInfo[] = [];
    let pageToken: string | undefined;
    do {
      const { data } = await this.o.api.call<{ items?: CalendarListEntry[]; nextPageToken?: string }>(
        'GET',
        '/calendar/v3/users/me/calendarList',
        { query: { pageToken, maxResults: String(pageSize) } },
      );
      for (const c of data?.items ?? []) {
        out.push({
          id: c.id,
          name: c.summaryOverride ?? c.summary ?? c.id,
          isDefault: c.primary === true,
          canWrite: c.accessRole === 'owner' || c.accessRole === 'writer',
          color: c.backgroundColor ?? null,
        });
      }
      pageToken = data?.nextPageToken;
    } while (pageToken);
    return out;
  }

  private async context(calendarId: string): Promise<MappingContext> {
    let ctx = this.contexts.get(calendarId);
    if (!ctx) {
      const { data } = await this.o.api.call<CalendarListEntry>(
        'GET',
        `/calendar/v3/users/me/calendarList/${enc(calendarId)}`,
        { accept: [404] },
      );
      ctx = {
        calendarId,
        calendarZone: data?.timeZone ?? 'UTC',
        defaultReminderMinutes: data?.defaultReminders?.[0]?.minutes ?? null,
        selfEmail: this.o.account.includes('@') ? this.o.account.toLowerCase() : null,
      };
      this.contexts.set(calendarId, ctx);
    }
    return ctx;
  }

  /** All pages of one events.list; 'gone' when Google says the sync token is no longer valid (410). */
  private async listAll(
    calendarId: string,
    query: Record<string, string | string[]>,
  ): Promise<{ items: GoogleEvent[]; nextSyncToken: string | null } | 'gone'> {
    const items: GoogleEvent[] = [];
    const done = await this.eachPage(calendarId, query, (page) => {
      items.push(...page);
    });
    return done === 'gone' ? 'gone' : { items, nextSyncToken: done.nextSyncToken };
  }

  /** Hands each page of one events.list to `onPage` before reading the next. */
  private async eachPage(
    calendarId: string,
    query: Record<string, string | string[]>,
    onPage: (items: GoogleEvent[]) => void,
  ): Promise<{ nextSyncToken: string | null } | 'gone'> {
    let pageToken: string | undefined;
    for (;;) {
      const { status, data } = await this.o.api.call<EventList>(
        'GET',
        `/calendar/v3/calendars/${enc(calendarId)}/events`,
        {
          query: { ...query, maxResults: String(pageSize), pageToken },
          accept: [410],
        },
      );
      if (status === 410) return 'gone';
      onPage(data?.items ?? []);
      pageToken = data?.nextPageToken;
      if (!pageToken) return { nextSyncToken: data?.nextSyncToken ?? null };
    }
  }

  async listChanges(
    calendarId: string,
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CalendarEvent>,
  ): Promise<ChangeSet<CalendarEvent>> {
    const ctx = await this.context(calendarId);
    const previous = parseCursor(cursor);
    const changes = previous ? await this.listAll(calendarId, { syncToken: previous.syncToken }) : 'gone';
    const full = changes === 'gone';
    const listing = new ListingAssembly(ctx, window, full, full ? {} : { ...(previous?.cancelled ?? {}) }, keep);
    let nextSyncToken: string | null;
    if (changes !== 'gone') {
      // Incremental: filtered only once the whole change list is in (a 410 on a later page would still turn it
      // into a full listing, and the engine must not be asked twice about one item).
      listing.add(changes.items);
      nextSyncToken = changes.nextSyncToken;
    } else {
      // First run or expired token: a complete listing. The engine treats it as a rebuild of its mirror and
      // never as a reason to delete CRM data. Each page is mapped and filtered as it comes in.
      const tags = new Map<string, string[]>();
      const done = await this.eachPage(calendarId, { showDeleted: 'true' }, (items) => {
        for (const e of items) {
          const tag = e.extendedProperties?.private?.[tagKey];
          if (tag && e.status !== 'cancelled') tags.set(tag, [...(tags.get(tag) ?? []), e.id]);
        }
        listing.add(items);
      });
      if (done === 'gone') throw new ProviderError('transient', 'Google refused a full listing with 410');
      this.tagged.set(calendarId, tags);
      nextSyncToken = done.nextSyncToken;
    }
    if (!full) {
      // A cancelled or restored instance changes its master's exdates: report the master too.
      for (const seriesId of listing.touchedSeries) {
        if (listing.masters.has(seriesId)) continue;
        const { data } = await this.o.api.call<GoogleEvent>(
          'GET',
          `/calendar/v3/calendars/${enc(calendarId)}/events/${enc(seriesId)}`,
          { accept: [404, 410] },
        );
        if (data && data.status !== 'cancelled') listing.masters.set(seriesId, data);
      }
    }
    if (!nextSyncToken) throw new ProviderError('permanent', 'Google returned no nextSyncToken');
    const upserts = listing.finish();
    const cancelled = listing.cancelled;
    for (const k of Object.keys(cancelled)) if (cancelled[k]?.length === 0) delete cancelled[k];
    const next: Cursor = { v: 1, syncToken: nextSyncToken, cancelled };
    return { upserts, removedIds: listing.removedIds, full, nextCursor: JSON.stringify(next) };
  }

  async findByTag(calendarId: string, crmIds: string[]): Promise<CalendarEvent[]> {
    const ctx = await this.context(calendarId);
    const wanted = new Set(crmIds);
    let items: GoogleEvent[];
    const tagged = this.tagged.get(calendarId);
    if (tagged) {
      items = [];
      for (const tag of wanted) {
        for (const id of tagged.get(tag) ?? []) {
          const { data } = await this.o.api.call<GoogleEvent>('GET', this.eventsPath(calendarId, id), {
            accept: [404, 410],
          });
          if (data) items.push(data);
        }
      }
    } else if (wanted.size <= findByQueryLimit) {
      items = [];
      for (const id of wanted) {
        const page = await this.listAll(calendarId, { privateExtendedProperty: `${tagKey}=${id}` });
        if (page !== 'gone') items.push(...page.items);
      }
    } else {
      const page = await this.listAll(calendarId, {});
      items = page === 'gone' ? [] : page.items;
    }
    return items
      .filter((e) => e.status !== 'cancelled' && wanted.has(e.extendedProperties?.private?.[tagKey] ?? ''))
      .map((e) => toCalendarEvent(e, ctx))
      .filter((e): e is CalendarEvent => e !== null);
  }

  async writeEvents(calendarId: string, writes: EventWrite[]): Promise<WriteResult<CalendarEvent | null>[]> {
    const ctx = await this.context(calendarId);
    const out: WriteResult<CalendarEvent | null>[] = [];
    for (const w of writes) {
      try {
        out.push({ ok: true, value: await this.writeOne(calendarId, ctx, w) });
      } catch (e) {
        out.push({
          ok: false,
          error: e instanceof ProviderError ? e : new ProviderError('permanent', String(e), { cause: e }),
        });
      }
    }
    return out;
  }

  private eventsPath(calendarId: string, id?: string): string {
    return `/calendar/v3/calendars/${enc(calendarId)}/events${id ? `/${enc(id)}` : ''}`;
  }

  private mapped(e: GoogleEvent | null, ctx: MappingContext, what: string): CalendarEvent {
    const ev = e ? toCalendarEvent(e, ctx) : null;
    if (!ev) throw new ProviderError('permanent', `Google returned no usable event for ${what}`);
    return ev;
  }

  private sendUpdates(draft: EventDraft): string {
    return draft.sendInvitations ? 'all' : 'none';
  }

  private async writeOne(calendarId: string, ctx: MappingContext, w: EventWrite): Promise<CalendarEvent | null> {
    if (w.op === 'create') {
      if (w.draft.occurrence) {
        // Instances of a series exist implicitly: "creating" a modified occurrence is patching its instance.
        const id = instanceId(w.draft.occurrence.seriesId, w.draft.occurrence.originalStart);
        const { data } = await this.o.api.call<GoogleEvent>('PATCH', this.eventsPath(calendarId, id), {
          query: { sendUpdates: this.sendUpdates(w.draft) },
          body: eventBody(w.draft, null),
        });
        return this.mapped(data, ctx, id);
      }
      const id = eventIdFor(w.idempotencyKey);
      const { status, data } = await this.o.api.call<GoogleEvent>('POST', this.eventsPath(calendarId), {
        query: { sendUpdates: this.sendUpdates(w.draft) },
        body: eventBody(w.draft, id),
        accept: [409],
      });
      if (status !== 409) return this.mapped(data, ctx, id);
      // 409 duplicate: a retried create whose first answer was lost. Ours if it carries the same tag.
      const existing = await this.o.api.call<GoogleEvent>('GET', this.eventsPath(calendarId, id));
      const ev = this.mapped(existing.data, ctx, id);
      if ((ev.crmTag ?? '') !== w.draft.crmTag) {
        throw new ProviderError('conflict', `event ${id} already exists for another item`, { status: 409 });
      }
      if (!ev.cancelled) return ev;
      // Deleted ids stay taken at Google: creating the same item again restores that event.
      const restored = await this.o.api.call<GoogleEvent>('PATCH', this.eventsPath(calendarId, id), {
        query: { sendUpdates: this.sendUpdates(w.draft) },
        body: { ...eventBody(w.draft, null), status: 'confirmed' },
      });
      return this.mapped(restored.data, ctx, id);
    }
    if (w.op === 'update') {
      const { data } = await this.o.api.call<GoogleEvent>('PATCH', this.eventsPath(calendarId, w.id), {
        query: { sendUpdates: this.sendUpdates(w.draft) },
        body: eventBody(w.draft, null),
        ifMatch: w.ifMatch,
      });
      return this.mapped(data, ctx, w.id);
    }
    await this.o.api.call('DELETE', this.eventsPath(calendarId, w.id), {
      query: { sendUpdates: w.sendCancellations ? 'all' : 'none' },
      ifMatch: w.ifMatch,
      accept: [404, 410],
    });
    return null;
  }
}

/**
 * One listing's events as they arrive, page by page. A series master waits for the end (a cancelled instance on a
 * later page adds to its exdates), and so does a modified occurrence outside the window (it is listed only when
 * its master is). Everything else is mapped, window-checked and offered to the engine's filter at once. Which
 * items are listed is decided without the filter: a master the filter rejects still brings its occurrences.
 */
class ListingAssembly {
  readonly removedIds: string[] = [];
  readonly masters = new Map<string, GoogleEvent>();
  readonly touchedSeries = new Set<string>();
  /** Listed items in listing order; `{ pending }`: an occurrence outside the window, listed if its master is. */
  private readonly others: (CalendarEvent | { pending: CalendarEvent })[] = [];

  constructor(
    private readonly ctx: MappingContext,
    private readonly window: ListWindow,
    private readonly full: boolean,
    /** series id → original starts of its cancelled instances */
    readonly cancelled: Record<string, string[]>,
    private readonly keep: ListingFilter<CalendarEvent> | undefined,
  ) {}

  private wanted(ev: CalendarEvent): boolean {
    return this.keep?.(ev) ?? true;
  }

  add(items: GoogleEvent[]): void {
    for (const e of items) {
      const original = pointOf(e.originalStartTime);
      if (e.recurringEventId && original) {
        this.touchedSeries.add(e.recurringEventId);
        const list = new Set(this.cancelled[e.recurringEventId] ?? []);
        if (e.status === 'cancelled') {
          list.add(original);
          if (!this.full) this.removedIds.push(e.id);
        } else {
          list.delete(original);
          this.other(e);
        }
        this.cancelled[e.recurringEventId] = [...list].sort();
        continue;
      }
      if (e.status === 'cancelled') {
        if (!this.full) this.removedIds.push(e.id);
        delete this.cancelled[e.id];
        continue;
      }
      if (e.recurrence?.length) this.masters.set(e.id, e);
      else this.other(e);
    }
  }

  private other(e: GoogleEvent): void {
    const ev = toCalendarEvent(e, this.ctx);
    if (!ev) return;
    if (inWindow(ev, this.window)) {
      if (this.wanted(ev)) this.others.push(ev);
    } else if (ev.occurrence) {
      this.others.push({ pending: ev });
    }
  }

  /** Masters first, then the other items in listing order (as listed before any filter existed). */
  finish(): CalendarEvent[] {
    const upserts: CalendarEvent[] = [];
    const listedSeries = new Set<string>();
    for (const m of this.masters.values()) {
      const ev = toCalendarEvent(m, this.ctx, this.cancelled[m.id] ?? []);
      if (!ev || !inWindow(ev, this.window)) continue;
      listedSeries.add(m.id);
      if (this.wanted(ev)) upserts.push(ev);
    }
    for (const o of this.others) {
      if (!('pending' in o)) upserts.push(o);
      else if (listedSeries.has(o.pending.occurrence!.seriesId) && this.wanted(o.pending)) upserts.push(o.pending);
    }
    return upserts;
  }
}
