import { createHash } from 'node:crypto';
import type { Event } from '@microsoft/microsoft-graph-types';
import { ProviderError } from '../../../sync/errors';
import type { CalendarEvent, EventDraft, Priority } from '../../../sync/model';
import type { EventWrite, WriteResult } from '../../../sync/ports';
import { graphErrorCode, type GraphApi } from './api';
import { runBatch, type SubRequest, type SubResult } from './batch';
import { CategoryEnsurer } from './categories';
import { planBody, parseBody, htmlToText } from './body';
import { blockInvitees, renderDraft, toCalendarEvent } from './mapping';
import { instancesAround, matchOriginalStart, q, textBody, type Page } from './paths';

/** Graph's transactionId is a short opaque string; long engine keys are hashed to a stable shorter one. */
export function transactionIdFor(key: string): string {
  return key.length <= 100 && /^[\w.:-]+$/.test(key) ? key : createHash('sha256').update(key).digest('hex');
}

/** What an update or delete reads of the event first (the body as Graph stores it: no text preference). */
const preReadSelect = 'id,changeKey,body,isOnlineMeeting,isOrganizer,attendees,type';

/** The event as read just before writing it. */
interface Current {
  changeKey: string | null;
  body: { contentType: 'text' | 'html'; content: string };
  /** The body as Graph renders it in text (what the engine compared). */
  text: string;
  isOnlineMeeting: boolean;
}

/**
 * Writing one calendar (SPEC §5, §12): $batch of up to 20, transactionId and our tag on create, read-compare-write
 * on the changeKey for updates and deletes (Graph documents no If-Match for events), bodies edited in place,
 * occurrence writes through the series' instances, exdates as cancelled instances, priority categories, and the
 * mail guard of silent runs.
 */
export class GraphWriter {
  private readonly categories: CategoryEnsurer;

  constructor(
    private readonly api: GraphApi,
    private readonly o: {
      selfEmail: string | null;
      /** The reader's lookup by tag, to find a create Graph refused as a duplicate. */
      findByTag?: (calendarId: string, crmIds: string[]) => Promise<CalendarEvent[]>;
    },
  ) {
    this.categories = new CategoryEnsurer(api);
  }

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
    const current = await this.readBeforeWrite(writes, targets, results);

    const plan: { index: number; req: SubRequest; kept?: string; note?: string }[] = [];
    writes.forEach((w, i) => {
      if (results[i]) return;
      try {
        const { req, kept, note } = this.toSubRequest(calendarId, w, targets[i], current[i]);
        plan.push({ index: i, req, ...(kept !== undefined ? { kept } : {}), ...(note ? { note } : {}) });
      } catch (e) {
        results[i] = { ok: false, error: e instanceof ProviderError ? e : new ProviderError('invalid', String(e)) };
      }
    });
    const answers = await runBatch(
      this.api,
      plan.map((p) => p.req),
    );
    answers.forEach((a, k) => {
      const { index, kept, note } = plan[k]!;
      results[index] = this.toResult(calendarId, writes[index]!, a, kept, note);
    });
    await this.recoverDuplicateCreates(calendarId, writes, results);
    await this.applyExdates(writes, results);
    return results.map((r) => r ?? { ok: false, error: new ProviderError('permanent', 'write not attempted') });
  }

  private toSubRequest(
    calendarId: string,
    w: EventWrite,
    target: string | undefined,
    current: Current | undefined,
  ): { req: SubRequest; kept?: string; note?: string } {
    if (w.op === 'delete') return { req: { method: 'DELETE', url: `/me/events/${q(w.id)}`, key: w.id } };
    if (w.op === 'create' && !w.draft.occurrence) {
      const body = {
        ...renderDraft(w.draft, { isOccurrence: false, create: true }),
        transactionId: transactionIdFor(w.idempotencyKey),
      };
      return { req: { method: 'POST', url: `/me/calendars/${q(calendarId)}/events`, body } };
    }
    const id = target ?? (w.op === 'update' ? w.id : '');
    const body = renderDraft(w.draft, { isOccurrence: Boolean(w.draft.occurrence), create: false });
    let kept: string | undefined;
    let note: string | undefined;
    if (current) {
      // The body is edited in place: only our block and a text the CRM changed (event-update.md, online meetings).
      const bp = planBody(
        { ...current.body, text: current.text, isOnlineMeeting: current.isOnlineMeeting },
        { text: w.draft.fields.body, crmUrl: w.draft.crmUrl, invitees: blockInvitees(w.draft) },
      );
      if (bp.body) body.body = bp.body;
      if (bp.note) {
        note = bp.note;
        kept = parseBody(current.text, { onlineMeeting: current.isOnlineMeeting }).text;
      }
    }
    return { req: { method: 'PATCH', url: `/me/events/${q(id)}`, body, key: id }, kept, note };
  }

  private toResult(
    calendarId: string,
    w: EventWrite,
    a: SubResult,
    kept?: string,
    note?: string,
  ): WriteResult<CalendarEvent | null> {
    if (w.op === 'delete') {
      if (a.ok || a.error.kind === 'not-found') return { ok: true, value: null };
      return { ok: false, error: a.error };
    }
    if (!a.ok) return { ok: false, error: a.error };
    const ev = toCalendarEvent(a.body as Event, calendarId, this.o.selfEmail);
    // Graph answers with the HTML we sent; the engine gets the fields as written. A create and every occurrence
    // write carried our tag (a PATCH answer does not expand extended properties, so another update reports what
    // the answer shows).
    const crmTag = w.op === 'create' || w.draft.occurrence ? w.draft.crmTag : ev.crmTag;
    // A description left alone (online meeting) is reported as what the event still says, not as written.
    const fields = kept !== undefined ? { ...w.draft.fields, body: kept } : { ...w.draft.fields };
    return { ok: true, value: { ...ev, fields, crmTag }, ...(note ? { notes: [note] } : {}) };
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
      wanted.map((x) => ({ method: 'GET', url: instancesAround(x.seriesId, x.exdate) })),
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
        url: instancesAround(draft.occurrence!.seriesId, draft.occurrence!.originalStart),
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
   * Reads every event about to be changed or deleted, once, in $batch: for the changeKey (read-compare-write: Graph
   * documents no If-Match for events, so an Outlook edit since the engine's listing is caught here), for the body
   * as stored (edited in place), and for the mail guard of *never* mode (SPEC §5): changing or deleting a meeting
   * the user organises with attendees makes Graph mail them, and no flag stops it, so such writes are refused.
   */
  private async readBeforeWrite(
    writes: EventWrite[],
    targets: (string | undefined)[],
    results: (WriteResult<CalendarEvent | null> | undefined)[],
  ): Promise<(Current | undefined)[]> {
    const current: (Current | undefined)[] = new Array(writes.length);
    const reads: { index: number; id: string }[] = [];
    writes.forEach((w, i) => {
      if (results[i]) return;
      if (w.op === 'delete' || w.op === 'update') reads.push({ index: i, id: targets[i] ?? w.id });
      else if (w.draft.occurrence && targets[i]) reads.push({ index: i, id: targets[i]! });
    });
    if (reads.length === 0) return current;
    // Each event is read twice in one $batch: as stored (to edit the body in place) and as text, the way the
    // engine read it, so "did the CRM change the description" compares like with like.
    const answers = await runBatch(
      this.api,
      reads.flatMap((c) => [
        { method: 'GET' as const, url: `/me/events/${q(c.id)}?$select=${preReadSelect}` },
        { method: 'GET' as const, url: `/me/events/${q(c.id)}?$select=body,isOnlineMeeting`, headers: textBody },
      ]),
    );
    reads.forEach(({ index }, k) => {
      const a = answers[2 * k]!;
      const asText = answers[2 * k + 1]!;
      const w = writes[index]!;
      if (!a.ok) {
        if (a.error.kind === 'not-found' && w.op === 'delete') results[index] = { ok: true, value: null };
        else results[index] = { ok: false, error: a.error };
        return;
      }
      const ev = a.body as Event;
      if (w.op !== 'create' && w.ifMatch && ev.changeKey && ev.changeKey !== w.ifMatch) {
        results[index] = {
          ok: false,
          error: new ProviderError('conflict', 'The event changed in Outlook since it was last read.', { status: 412 }),
        };
        return;
      }
      const silent = w.op === 'delete' ? !w.sendCancellations : !w.draft.sendInvitations;
      const self = this.o.selfEmail?.toLowerCase();
      const attendees = (ev.attendees ?? []).filter(
        (x) => x.type !== 'resource' && (x.emailAddress?.address ?? '').toLowerCase() !== self,
      ).length;
      if (silent && ev.isOrganizer && attendees > 0) {
        results[index] = {
          ok: false,
          error: new ProviderError(
            'permanent',
            `Not ${w.op === 'delete' ? 'deleted' : 'changed'}: this meeting has ${attendees} attendee(s) and Outlook would e-mail them; invitations are set to "never".`,
          ),
        };
        return;
      }
      const text = asText.ok ? ((asText.body as Event).body?.content ?? '') : null;
      current[index] = {
        changeKey: ev.changeKey ?? null,
        body: { contentType: ev.body?.contentType === 'text' ? 'text' : 'html', content: ev.body?.content ?? '' },
        text: text ?? htmlToText(ev.body?.content ?? ''),
        isOnlineMeeting: ev.isOnlineMeeting ?? false,
      };
    });
    return current;
  }

  /**
   * Graph answers ErrorDuplicateTransactionId when a transactionId it has seen comes with a different body
   * (a create retried after a lost answer while the CRM item changed). The event exists: it is found by our tag.
   */
  private async recoverDuplicateCreates(
    calendarId: string,
    writes: EventWrite[],
    results: (WriteResult<CalendarEvent | null> | undefined)[],
  ): Promise<void> {
    const dup: number[] = [];
    writes.forEach((w, i) => {
      const r = results[i];
      if (
        w.op === 'create' &&
        !w.draft.occurrence &&
        r &&
        !r.ok &&
        graphErrorCode(r.error) === 'ErrorDuplicateTransactionId'
      )
        dup.push(i);
    });
    if (dup.length === 0 || !this.o.findByTag) return;
    const tags = dup.map((i) => (writes[i] as { draft: EventDraft }).draft.crmTag);
    const found = await this.o.findByTag(calendarId, tags);
    for (const i of dup) {
      const tag = (writes[i] as { draft: EventDraft }).draft.crmTag;
      const hit = found.find((e) => e.crmTag === tag && !e.occurrence);
      if (hit) results[i] = { ok: true, value: hit };
    }
  }
}
