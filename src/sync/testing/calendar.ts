/**
 * A real, stateful in-memory calendar implementing the CalendarProvider port: incremental listing with cursors
 * that can expire, idempotent creates by key, tags, If-Match concurrency and batched writes. It also records the
 * mail a real server would have sent, so tests can prove "no surprise mail" (SPEC §10.6). The `user*` methods
 * act as the user would in their calendar app, bypassing the engine.
 */
import type { CalendarEvent, EventDraft, OccurrenceRef, SyncedFields } from '../model';
import type {
  CalendarCapabilities,
  CalendarInfo,
  CalendarProvider,
  ChangeSet,
  EventWrite,
  ListWindow,
  ListingFilter,
  WriteResult,
} from '../ports';
import { ProviderError } from '../errors';
import { ChangeLog, nextVersion, timingEnd, timingStart } from './change-log';

export interface SentMail {
  eventId: string;
  kind: 'invitation' | 'update' | 'cancellation';
  recipients: string[];
}

export interface MemoryCalendarOptions {
  userEmail?: string;
  calendars?: CalendarInfo[];
  capabilities?: Partial<CalendarCapabilities>;
  /** The clock its modification times come from: the world's (a test's or a benchmark's), never the wall's. */
  now: () => Date;
  /** Keep a copy of every write request in `writeLog` (default true; a long benchmark only needs `writeCount`). */
  keepWriteLog?: boolean;
}

export interface UserEventInput {
  fields: SyncedFields;
  iCalUId?: string;
  isOrganizer?: boolean;
  occurrence?: OccurrenceRef;
  /** Lets tests plant an event that looks like one the connector tagged. */
  crmTag?: string | null;
}

// Plain JSON data only: a JSON round trip is the cheapest deep copy for it (faster than structuredClone here).
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

export function inWindow(timing: SyncedFields['timing'], recurring: boolean, window: ListWindow): boolean {
  if (recurring) return true;
  if (timingEnd(timing) < window.from) return false;
  return window.to === null || timingStart(timing) < window.to;
}

export class MemoryCalendar implements CalendarProvider {
  readonly kind = 'memory';
  readonly capabilities: CalendarCapabilities;
  readonly userEmail: string;
  readonly sentMail: SentMail[] = [];
  /** Every write request the engine made, in order (tests inspect invitation flags). */
  readonly writeLog: { calendarId: string; write: EventWrite }[] = [];
  /** Write requests received, whether or not they are kept in writeLog. */
  writeCount = 0;
  private readonly keepWriteLog: boolean;
  private readonly calendars: CalendarInfo[];
  private readonly events = new Map<string, CalendarEvent>();
  private readonly logs = new Map<string, ChangeLog>();
  private readonly byKey = new Map<string, string>();
  private readonly now: () => Date;
  private counter = 0;

  constructor(options: MemoryCalendarOptions) {
    this.userEmail = (options.userEmail ?? 'user@example.com').toLowerCase();
    this.calendars = options.calendars ?? [{ id: 'primary', name: 'Calendar', isDefault: true, canWrite: true }];
    this.capabilities = {
      recurrence: true,
      tags: true,
      silentAttendees: true,
      maxBatch: 20,
      idempotentCreate: true,
      ...options.capabilities,
    };
    this.now = options.now;
    this.keepWriteLog = options.keepWriteLog ?? true;
    for (const c of this.calendars) this.logs.set(c.id, new ChangeLog());
  }

  async testConnection(): Promise<{ account: string }> {
    return { account: this.userEmail };
  }

  async listCalendars(): Promise<CalendarInfo[]> {
    return this.calendars.map(clone);
  }

  private log(calendarId: string): ChangeLog {
    const l = this.logs.get(calendarId);
    if (!l) throw new ProviderError('not-found', `Calendar ${calendarId} does not exist`, { status: 404 });
    return l;
  }

  async listChanges(
    calendarId: string,
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CalendarEvent>,
  ): Promise<ChangeSet<CalendarEvent>> {
    const log = this.log(calendarId);
    const from = log.parse(cursor);
    const visible = (e: CalendarEvent): boolean =>
      e.calendarId === calendarId && inWindow(e.fields.timing, e.fields.recurrence !== null, window);
    const wanted = (e: CalendarEvent): boolean => keep?.(e) ?? true;
    if (from === null) {
      const upserts = [...this.events.values()].filter(visible).map(clone).filter(wanted);
      return { upserts, removedIds: [], full: true, nextCursor: log.cursor };
    }
    const { changed, removed } = log.since(from);
    const upserts: CalendarEvent[] = [];
    for (const id of changed) {
      const e = this.events.get(id);
      if (e && visible(e)) {
        const listed = clone(e);
        if (wanted(listed)) upserts.push(listed);
      }
    }
    return { upserts, removedIds: removed, full: false, nextCursor: log.cursor };
  }

  async findByTag(calendarId: string, crmIds: string[]): Promise<CalendarEvent[]> {
    if (!this.capabilities.tags) return [];
    const wanted = new Set(crmIds);
    return [...this.events.values()]
      .filter((e) => e.calendarId === calendarId && e.crmTag !== null && wanted.has(e.crmTag))
      .map(clone);
  }

  async writeEvents(calendarId: string, writes: EventWrite[]): Promise<WriteResult<CalendarEvent | null>[]> {
    this.log(calendarId);
    if (writes.length > this.capabilities.maxBatch) {
      throw new ProviderError('invalid', `At most ${this.capabilities.maxBatch} writes per request`, { status: 400 });
    }
    const out: WriteResult<CalendarEvent | null>[] = [];
    for (const w of writes) {
      this.writeCount += 1;
      if (this.keepWriteLog) this.writeLog.push({ calendarId, write: clone(w) });
      try {
        out.push({ ok: true, value: this.applyWrite(calendarId, w) });
      } catch (e) {
        if (e instanceof ProviderError) out.push({ ok: false, error: e });
        else throw e;
      }
    }
    return out;
  }

  private applyWrite(calendarId: string, w: EventWrite): CalendarEvent | null {
    if (w.op === 'create') {
      const existingId = this.byKey.get(w.idempotencyKey);
      const existing = existingId ? this.events.get(existingId) : undefined;
      if (existing) return clone(existing);
      const occ = w.draft.occurrence;
      const instance = occ ? this.instanceOf(occ.seriesId, occ.originalStart) : undefined;
      if (instance) {
        // As Graph, Google and CalDAV do: "creating" a modified occurrence that exists is writing that instance.
        this.byKey.set(w.idempotencyKey, instance.id);
        instance.fields = clone(w.draft.fields);
        this.touch(instance);
        this.mail(instance, 'update', w.draft);
        return clone(instance);
      }
      const e = this.insert(calendarId, {
        fields: w.draft.fields,
        crmTag: this.capabilities.tags && w.draft.crmTag ? w.draft.crmTag : null,
        isOrganizer: true,
        occurrence: w.draft.occurrence,
      });
      this.byKey.set(w.idempotencyKey, e.id);
      e.category = w.draft.priority === 'high' ? 'Red category' : w.draft.priority === 'low' ? 'Green category' : null;
      this.mail(e, 'invitation', w.draft);
      return clone(e);
    }
    const e = this.events.get(w.id);
    if (!e || e.calendarId !== calendarId)
      throw new ProviderError('not-found', `Event ${w.id} not found`, { status: 404 });
    if (w.ifMatch !== null && w.ifMatch !== e.version) {
      throw new ProviderError('conflict', `Event ${w.id} changed since ${w.ifMatch}`, { status: 412 });
    }
    if (w.op === 'delete') {
      if (w.sendCancellations && e.isOrganizer && e.fields.attendees.length > 0) {
        this.sentMail.push({ eventId: e.id, kind: 'cancellation', recipients: e.fields.attendees.map((a) => a.email) });
      }
      this.remove(e);
      return null;
    }
    e.fields = clone(w.draft.fields);
    if (this.capabilities.tags) e.crmTag = w.draft.crmTag || null;
    e.category = w.draft.priority === 'high' ? 'Red category' : w.draft.priority === 'low' ? 'Green category' : null;
    this.touch(e);
    this.mail(e, 'update', w.draft);
    return clone(e);
  }

  private mail(e: CalendarEvent, kind: SentMail['kind'], draft: EventDraft): void {
    if (draft.sendInvitations && e.isOrganizer && e.fields.attendees.length > 0) {
      this.sentMail.push({ eventId: e.id, kind, recipients: e.fields.attendees.map((a) => a.email) });
    }
  }

  private touch(e: CalendarEvent): void {
    e.version = nextVersion(e.version);
    e.modifiedAt = this.now().toISOString();
    this.log(e.calendarId).record(e.id, false);
  }

  private insert(
    calendarId: string,
    input: UserEventInput & { crmTag: string | null; isOrganizer: boolean },
  ): CalendarEvent {
    this.counter += 1;
    const id = `evt-${this.counter}`;
    const e: CalendarEvent = {
      id,
      calendarId,
      version: 'v0',
      modifiedAt: this.now().toISOString(),
      iCalUId: input.iCalUId ?? `ical-${id}@memory`,
      fields: clone(input.fields),
      cancelled: false,
      crmTag: input.crmTag,
      isOrganizer: input.isOrganizer,
      ...(input.occurrence ? { occurrence: clone(input.occurrence) } : {}),
      category: null,
    };
    this.events.set(id, e);
    this.touch(e);
    return e;
  }

  // ---- the user's side (bypasses the engine) ----

  userCreate(calendarId: string, input: UserEventInput): CalendarEvent {
    this.log(calendarId);
    return clone(
      this.insert(calendarId, { ...input, crmTag: input.crmTag ?? null, isOrganizer: input.isOrganizer ?? true }),
    );
  }

  userUpdate(id: string, patch: Partial<SyncedFields>): CalendarEvent {
    const e = this.mustGet(id);
    e.fields = { ...e.fields, ...clone(patch) };
    this.touch(e);
    return clone(e);
  }

  /** Bumps the version without changing anything (what Graph does when, say, a category is re-saved). */
  userTouch(id: string): void {
    this.touch(this.mustGet(id));
  }

  userCancel(id: string): void {
    const e = this.mustGet(id);
    e.cancelled = true;
    this.touch(e);
  }

  userDelete(id: string): void {
    this.remove(this.mustGet(id));
  }

  /** Deleting a series deletes its modified occurrences with it (as every real calendar does). */
  private remove(e: CalendarEvent): void {
    for (const x of e.fields.recurrence ? [...this.events.values()] : []) {
      if (x.occurrence?.seriesId === e.id) {
        this.events.delete(x.id);
        this.log(x.calendarId).record(x.id, true);
      }
    }
    this.events.delete(e.id);
    this.log(e.calendarId).record(e.id, true);
  }

  private instanceOf(seriesId: string, originalStart: string): CalendarEvent | undefined {
    for (const x of this.events.values()) {
      if (x.occurrence?.seriesId === seriesId && x.occurrence.originalStart === originalStart) return x;
    }
    return undefined;
  }

  expireCursors(calendarId: string): void {
    this.log(calendarId).expireCursors();
  }

  get(id: string): CalendarEvent | null {
    const e = this.events.get(id);
    return e ? clone(e) : null;
  }

  all(calendarId?: string): CalendarEvent[] {
    return [...this.events.values()].filter((e) => !calendarId || e.calendarId === calendarId).map(clone);
  }

  get size(): number {
    return this.events.size;
  }

  /** Event ids in creation order, without copying the events. */
  ids(calendarId?: string): string[] {
    const out: string[] = [];
    for (const e of this.events.values()) if (!calendarId || e.calendarId === calendarId) out.push(e.id);
    return out;
  }

  private mustGet(id: string): CalendarEvent {
    const e = this.events.get(id);
    if (!e) throw new Error(`MemoryCalendar: no event ${id}`);
    return e;
  }
}
