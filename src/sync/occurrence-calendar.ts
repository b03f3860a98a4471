/**
 * The calendar as the engine sees it when the CRM has no recurrence model (SPEC §5): every series of a source
 * calendar becomes its occurrences inside the window, each an ordinary event with a stable id
 * (series id + original start) and its own iCalUId (series UID + original start). The planner then imports, updates,
 * archives and re-pairs occurrences with the rules it has for single events; nothing else in the engine knows.
 *
 * - A modified occurrence (exception) takes its occurrence's place, under the same id, so an occurrence that gets
 *   modified stays linked to the same activity.
 * - An occurrence that disappears from a listed series (cancelled, or the rule changed) is reported removed, as is
 *   every occurrence of a deleted series — only those not yet before the window (history is left alone).
 * - A write to an occurrence goes to the provider as a modified occurrence of the series (every provider patches
 *   the instance). The engine never deletes a single occurrence: see the planner's unlink.
 * - The horizon rolls: a listing that cut a series at the horizon asks for a complete listing on a later day, so
 *   occurrences entering the horizon are imported.
 */
import type { CalendarEvent } from './model';
import type { CalendarProvider, ChangeSet, EventWrite, ListWindow, ListingFilter, WriteResult } from './ports';
import { ProviderError } from './errors';
import { hashString } from './canonical';
import {
  canonicalOriginalStart,
  expandRecurrence,
  occurrenceEventId,
  occurrenceICalUId,
  OCCURRENCE_HORIZON_DAYS,
  parseOccurrenceEventId,
} from './occurrences';

const DAY_MS = 86_400_000;

/** What the status store knows about linked events, as far as expansion needs it. */
export interface KnownLink {
  eventId: string;
  iCalUId: string | null;
  /** The linked event's version: for a modified occurrence it names the exception (see `virtual`). */
  eventVersion?: string;
}

export interface OccurrenceViewOptions {
  /** Only series of source calendars are expanded (the others are never imported). */
  sourceCalendarIds: readonly string[];
  now: Date;
  links: readonly KnownLink[];
}

/** Expansion is needed when the CRM cannot hold a series but the calendar reports them. */
export function needsExpansion(crmCaps: { recurrence: boolean }, calCaps: { recurrence: boolean }): boolean {
  return !crmCaps.recurrence && calCaps.recurrence;
}

interface Cursor {
  v: 1;
  /** The provider's own cursor. */
  c: string;
  /** UTC day on which a listing cut a series at the horizon: a later day lists in full again. */
  roll: string | null;
  /**
   * Modified occurrences per series (original starts). A provider may report a changed series without its
   * modified occurrences (Google's sync token does); those keep their own values and are not re-derived from
   * the series.
   */
  x: Record<string, string[]>;
}

function parseCursor(value: string): Cursor | null {
  try {
    const c = JSON.parse(value) as Partial<Cursor>;
    const xOk =
      typeof c.x === 'object' &&
      c.x !== null &&
      Object.values(c.x).every((l) => Array.isArray(l) && l.every((v) => typeof v === 'string'));
    if (c.v === 1 && typeof c.c === 'string' && (c.roll === null || typeof c.roll === 'string') && xOk) {
      return c as Cursor;
    }
  } catch {
    // not ours (stored before expansion was on): list in full
  }
  return null;
}

function withoutOccurrence(e: CalendarEvent): CalendarEvent {
  const { occurrence: _o, ...rest } = e;
  return rest;
}

interface SeriesLinks {
  /** Event ids of the series' linked occurrences. */
  occurrences: Set<string>;
  /** The series UID, recovered from a linked occurrence's iCalUId. */
  uid: string | null;
}

/** Original start inside [from, to): dates compare as dates, instants as instants. */
function inRange(originalStart: string, range: { from: string; to: string }): boolean {
  if (originalStart.length === 10)
    return originalStart >= range.from.slice(0, 10) && originalStart < range.to.slice(0, 10);
  const ms = Date.parse(originalStart);
  return ms >= Date.parse(range.from) && ms < Date.parse(range.to);
}

export class OccurrenceCalendar implements CalendarProvider {
  readonly kind: string;
  readonly capabilities: CalendarProvider['capabilities'];
  private readonly sources: ReadonlySet<string>;
  private readonly series = new Map<string, SeriesLinks>();
  private readonly linkedUid = new Map<string, string>();
  /** Single (not expanded) events that are linked: their exceptions pass through as before. */
  private readonly plainLinked = new Set<string>();
  /**
   * Linked modified occurrences by the provider id of their exception (every '/'-prefix of the link's version, as
   * ids may contain '/'): a listing that reports the exception removed then re-derives the occurrence.
   */
  private readonly exceptionOf = new Map<string, string>();
  /** iCalUIds of the occurrences this view listed (a write's answer is reported under the same one). */
  private readonly listedUid = new Map<string, string>();
  private readonly today: string;
  private readonly horizon: string;

  constructor(
    private readonly inner: CalendarProvider,
    opts: OccurrenceViewOptions,
  ) {
    this.kind = inner.kind;
    this.capabilities = inner.capabilities;
    this.sources = new Set(opts.sourceCalendarIds);
    this.today = opts.now.toISOString().slice(0, 10);
    this.horizon = new Date(opts.now.getTime() + OCCURRENCE_HORIZON_DAYS * DAY_MS).toISOString();
    for (const l of opts.links) {
      const ref = parseOccurrenceEventId(l.eventId);
      if (!ref) {
        this.plainLinked.add(l.eventId);
        continue;
      }
      const s = this.series.get(ref.seriesId) ?? { occurrences: new Set<string>(), uid: null };
      s.occurrences.add(l.eventId);
      const v = l.eventVersion;
      if (v && !v.startsWith(`${ref.seriesId}/`)) {
        for (let i = v.indexOf('/'); i > 0; i = v.indexOf('/', i + 1)) this.exceptionOf.set(v.slice(0, i), l.eventId);
      }
      const suffix = `#${ref.originalStart}`;
      if (l.iCalUId) {
        this.linkedUid.set(l.eventId, l.iCalUId);
        if (!s.uid && l.iCalUId.endsWith(suffix)) s.uid = l.iCalUId.slice(0, -suffix.length);
      }
      this.series.set(ref.seriesId, s);
    }
  }

  testConnection(): Promise<{ account: string }> {
    return this.inner.testConnection();
  }

  listCalendars(): ReturnType<CalendarProvider['listCalendars']> {
    return this.inner.listCalendars();
  }

  findByTag(calendarId: string, crmIds: string[]): Promise<CalendarEvent[]> {
    return this.inner.findByTag(calendarId, crmIds);
  }

  async listChanges(
    calendarId: string,
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CalendarEvent>,
  ): Promise<ChangeSet<CalendarEvent>> {
    if (!this.sources.has(calendarId)) return this.inner.listChanges(calendarId, cursor, window, keep);
    const stored = cursor === null ? null : parseCursor(cursor);
    const rollDue = stored?.roll != null && stored.roll < this.today;
    const innerCursor = stored && !rollDue ? stored.c : null;
    const ch = await this.inner.listChanges(calendarId, innerCursor, window);
    const modified = new Map<string, Set<string>>();
    if (!ch.full && stored) for (const [k, v] of Object.entries(stored.x)) modified.set(k, new Set(v));
    const { upserts, removedIds, truncated, relist } = this.expand(ch, window, modified);
    // A day before today makes the next listing complete (as the horizon roll does).
    const roll = relist ? '1970-01-01' : truncated ? this.today : ch.full ? null : (stored?.roll ?? null);
    const x: Record<string, string[]> = {};
    for (const [k, v] of modified) if (v.size > 0) x[k] = [...v].sort();
    const next: Cursor = { v: 1, c: ch.nextCursor, roll, x };
    // The filter sees occurrences, as the engine links them; the series listing underneath is needed whole.
    return {
      upserts: keep ? upserts.filter(keep) : upserts,
      removedIds,
      full: ch.full,
      nextCursor: JSON.stringify(next),
      ...(ch.skipped ? { skipped: ch.skipped } : {}),
      ...(ch.warnings ? { warnings: ch.warnings } : {}),
    };
  }

  cursorAfterWrites(calendarId: string, cursor: string): string {
    if (!this.inner.cursorAfterWrites) return cursor;
    if (!this.sources.has(calendarId)) return this.inner.cursorAfterWrites(calendarId, cursor);
    const stored = parseCursor(cursor);
    return stored ? JSON.stringify({ ...stored, c: this.inner.cursorAfterWrites(calendarId, stored.c) }) : cursor;
  }

  private isExpandable(e: CalendarEvent): boolean {
    return e.fields.recurrence !== null && !e.occurrence && !e.crmTag && !this.plainLinked.has(e.id);
  }

  /** The occurrence as an ordinary event: the engine's id and iCalUId for it, no recurrence of its own. */
  private virtual(e: CalendarEvent, seriesId: string, start: string, uid: string, over: Partial<CalendarEvent> = {}) {
    const id = occurrenceEventId(seriesId, start);
    this.listedUid.set(id, uid);
    return {
      ...withoutOccurrence(e),
      ...over,
      id,
      // Whose version it is, too: a series and its modified occurrence may well carry equal etags; and a
      // modified occurrence is cancelled with its series although its own version stays.
      version: `${e.id}/${e.version}${(over.cancelled ?? e.cancelled) ? '/cancelled' : ''}`,
      iCalUId: uid,
      fields: { ...e.fields, ...over.fields, recurrence: null },
    };
  }

  private expand(
    ch: ChangeSet<CalendarEvent>,
    window: ListWindow,
    modified: Map<string, Set<string>>,
  ): { upserts: CalendarEvent[]; removedIds: string[]; truncated: boolean; relist: boolean } {
    const upserts: CalendarEvent[] = [];
    const removed = new Set<string>();
    // Modified occurrences whose exception this listing reports removed: they show their series' values again.
    const reverted = new Set<string>();
    for (const id of ch.removedIds) {
      const occ = this.exceptionOf.get(id);
      if (occ) reverted.add(occ);
    }
    const range = { from: window.from, to: this.horizon };
    let truncated = false;
    const exceptions = new Map<string, CalendarEvent[]>();
    for (const e of ch.upserts) {
      if (!e.occurrence) continue;
      const list = exceptions.get(e.occurrence.seriesId) ?? [];
      list.push(e);
      exceptions.set(e.occurrence.seriesId, list);
      const known = modified.get(e.occurrence.seriesId) ?? new Set<string>();
      known.add(canonicalOriginalStart(e.occurrence.originalStart));
      modified.set(e.occurrence.seriesId, known);
    }
    const expanded = new Set<string>();
    const passed = new Set<string>();
    for (const e of ch.upserts) {
      if (e.occurrence) continue;
      const x = this.isExpandable(e)
        ? expandRecurrence({ timing: e.fields.timing, recurrence: e.fields.recurrence! }, range)
        : null;
      if (!x) {
        // Single events, our own tagged events, and a rule we cannot read (kept as one item, as for a CRM that
        // models series) go through as they are, with their modified occurrences.
        upserts.push(e);
        passed.add(e.id);
        continue;
      }
      expanded.add(e.id);
      if (x.truncated) truncated = true;
      const own = new Map(
        (exceptions.get(e.id) ?? []).map((o) => [canonicalOriginalStart(o.occurrence!.originalStart), o]),
      );
      const exdates = new Set(e.fields.recurrence!.exdates.map(canonicalOriginalStart));
      const produced = new Set<string>();
      const stillModified = new Set<string>();
      const wasModified = modified.get(e.id) ?? new Set<string>();
      for (const o of x.occurrences) {
        const uid = occurrenceICalUId(e.iCalUId, o.originalStart);
        const ex = own.get(o.originalStart);
        own.delete(o.originalStart);
        if (ex) stillModified.add(o.originalStart);
        else if (
          wasModified.has(o.originalStart) &&
          !e.cancelled &&
          !reverted.has(occurrenceEventId(e.id, o.originalStart))
        ) {
          // A modified occurrence not listed this time is unchanged: it keeps its own values.
          stillModified.add(o.originalStart);
          produced.add(occurrenceEventId(e.id, o.originalStart));
          continue;
        }
        const v = ex
          ? this.virtual(ex, e.id, o.originalStart, uid, { cancelled: e.cancelled || ex.cancelled })
          : this.virtual(e, e.id, o.originalStart, uid, { fields: { ...e.fields, timing: o.timing } });
        produced.add(v.id);
        upserts.push(v);
      }
      // A modified occurrence the rule no longer yields (the series was shortened or changed) is gone with it;
      // calendars drop such orphans themselves.
      // Occurrences outside the range keep their note (the horizon may reach them later).
      for (const start of wasModified) if (!inRange(start, range) && !exdates.has(start)) stillModified.add(start);
      modified.set(e.id, stillModified);
      for (const id of this.series.get(e.id)?.occurrences ?? []) {
        const ref = parseOccurrenceEventId(id)!;
        if (!produced.has(id) && inRange(ref.originalStart, range)) removed.add(id);
      }
    }
    // Modified occurrences listed without their series.
    for (const [seriesId, list] of exceptions) {
      if (expanded.has(seriesId)) continue;
      const known = this.series.get(seriesId);
      if (!known) {
        // A series kept as one item passes its exceptions on; those of a series not expanded yet wait for it
        // (the planner would defer them anyway); our own tagged ones always go through.
        if (passed.has(seriesId) || this.plainLinked.has(seriesId)) upserts.push(...list);
        else upserts.push(...list.filter((o) => o.crmTag));
        continue;
      }
      for (const o of list) {
        const start = canonicalOriginalStart(o.occurrence!.originalStart);
        const id = occurrenceEventId(seriesId, start);
        const uid = this.linkedUid.get(id) ?? (known.uid ? occurrenceICalUId(known.uid, start) : null);
        if (uid) upserts.push(this.virtual(o, seriesId, start, uid));
      }
    }
    for (const id of ch.removedIds) {
      modified.delete(id);
      const known = this.series.get(id);
      if (!known) {
        removed.add(id);
        continue;
      }
      // A deleted series: its occurrences from the window on (history before it is left alone).
      for (const occ of known.occurrences) {
        if (inRange(parseOccurrenceEventId(occ)!.originalStart, range)) removed.add(occ);
      }
    }
    // An exception removed while its series was not listed: its occurrence needs the series' values, which a
    // complete listing brings (next run).
    let relist = false;
    for (const occ of reverted) if (!expanded.has(parseOccurrenceEventId(occ)!.seriesId)) relist = true;
    return { upserts, removedIds: [...removed], truncated, relist };
  }

  async writeEvents(calendarId: string, writes: EventWrite[]): Promise<WriteResult<CalendarEvent | null>[]> {
    const sent: EventWrite[] = [];
    const refused = new Map<number, WriteResult<CalendarEvent | null>>();
    writes.forEach((w, i) => {
      const ref = w.op === 'create' ? null : parseOccurrenceEventId(w.id);
      if (w.op === 'create' || !ref) {
        sent.push(w);
        return;
      }
      if (w.op === 'delete') {
        refused.set(i, {
          ok: false,
          error: new ProviderError('invalid', 'The connector does not cancel a single occurrence of a series.'),
        });
        return;
      }
      // Every provider writes one occurrence as a modified occurrence (Graph and Google patch the instance, CalDAV
      // writes an override); the key changes with the content so a repeated edit is not taken for a retry.
      sent.push({
        op: 'create',
        idempotencyKey: `ccc-o-${hashString(`${w.id}|${JSON.stringify(w.draft)}`)}`,
        draft: {
          ...w.draft,
          fields: { ...w.draft.fields, recurrence: null },
          occurrence: { seriesId: ref.seriesId, originalStart: ref.originalStart },
        },
      });
    });
    const answers = sent.length > 0 ? await this.inner.writeEvents(calendarId, sent) : [];
    const out: WriteResult<CalendarEvent | null>[] = [];
    let j = 0;
    writes.forEach((w, i) => {
      const r = refused.get(i);
      if (r) {
        out.push(r);
        return;
      }
      const a = answers[j++]!;
      const ref = w.op === 'update' ? parseOccurrenceEventId(w.id) : null;
      if (w.op !== 'update' || !ref || !a.ok || !a.value) {
        out.push(a);
        return;
      }
      const uid = this.linkedUid.get(w.id) ?? this.listedUid.get(w.id) ?? a.value.iCalUId;
      out.push({ ok: true, value: this.virtual(a.value, ref.seriesId, ref.originalStart, uid) });
    });
    return out;
  }
}
