import { createHash } from 'node:crypto';
import type { Event } from '@microsoft/microsoft-graph-types';
import { ProviderError } from '../../../sync/errors';
import type { CalendarEvent, EventDraft, Priority } from '../../../sync/model';
import type { EventWrite, WriteResult } from '../../../sync/ports';
import type { GraphApi } from './api';
import { runBatch, type SubRequest, type SubResult } from './batch';
import { CategoryEnsurer } from './categories';
import { renderDraft, toCalendarEvent } from './mapping';
import { instancesAround, matchOriginalStart, q, type Page } from './paths';

/** Graph's transactionId is a short opaque string; long engine keys are hashed to a stable shorter one. */
export function transactionIdFor(key: string): string {
  return key.length <= 100 && /^[\w.:-]+$/.test(key) ? key : createHash('sha256').update(key).digest('hex');
}

/**
 * Writing one calendar (SPEC §5, §12): $batch of up to 20, transactionId and our tag on create, If-Match on update
 * and delete, occurrence writes through the series' instances, exdates as cancelled instances, priority
 * categories, and the mail guard of silent runs.
 */
export class GraphWriter {
  private readonly categories: CategoryEnsurer;

  constructor(
    private readonly api: GraphApi,
    private readonly o: { selfEmail: string | null },
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
