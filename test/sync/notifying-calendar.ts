/**
 * A calendar that behaves as Graph does for meetings the user organises: any update or delete of such a meeting
 * with real attendees mails them, whatever the request says. It marks those events (writesNotifyAttendees) and,
 * like the Graph provider, refuses a silent write to one (recording it), so tests can prove the engine never asks.
 * Attendees written while invitations were off are kept out of the attendee list by the real provider (Graph: a
 * marked body block), so events the connector created silently are not marked.
 */
import type { CalendarEvent } from '../../src/sync/model';
import type { CalendarProvider, ChangeSet, EventWrite, ListWindow, WriteResult } from '../../src/sync/ports';
import { ProviderError } from '../../src/sync/errors';
import type { MemoryCalendar } from '../../src/sync/testing';

export class NotifyingCalendar implements CalendarProvider {
  readonly kind = 'notifying-memory';
  /** Silent writes the engine asked for although they would have mailed attendees (must stay empty). */
  readonly refused: EventWrite[] = [];
  /** Events whose attendees the connector wrote silently (not real attendees in a Graph-like calendar). */
  private readonly silent = new Set<string>();

  /** mailsWhenCancelled: a cancelled meeting still mails on a write (Graph's mail guard does not look at isCancelled). */
  constructor(
    readonly inner: MemoryCalendar,
    private readonly opts: { mailsWhenCancelled?: boolean } = {},
  ) {}

  get capabilities() {
    return { ...this.inner.capabilities, silentAttendees: false };
  }

  mails(e: CalendarEvent): boolean {
    if (e.cancelled && !this.opts.mailsWhenCancelled) return false;
    return e.isOrganizer && e.fields.attendees.length > 0 && !this.silent.has(e.id);
  }

  mark(e: CalendarEvent): CalendarEvent {
    return this.mails(e) ? { ...e, writesNotifyAttendees: true } : e;
  }

  testConnection() {
    return this.inner.testConnection();
  }

  listCalendars() {
    return this.inner.listCalendars();
  }

  async listChanges(calendarId: string, cursor: string | null, window: ListWindow): Promise<ChangeSet<CalendarEvent>> {
    const c = await this.inner.listChanges(calendarId, cursor, window);
    return { ...c, upserts: c.upserts.map((e) => this.mark(e)) };
  }

  async findByTag(calendarId: string, crmIds: string[]): Promise<CalendarEvent[]> {
    return (await this.inner.findByTag(calendarId, crmIds)).map((e) => this.mark(e));
  }

  async writeEvents(calendarId: string, writes: EventWrite[]): Promise<WriteResult<CalendarEvent | null>[]> {
    const out: WriteResult<CalendarEvent | null>[] = [];
    for (const w of writes) {
      const current = w.op === 'create' ? null : this.inner.get(w.id);
      const silentWrite = w.op === 'delete' ? !w.sendCancellations : !w.draft.sendInvitations;
      if (current && silentWrite && this.mails(current)) {
        this.refused.push(w);
        out.push({ ok: false, error: new ProviderError('permanent', 'Outlook would e-mail the attendees') });
        continue;
      }
      const [r] = await this.inner.writeEvents(calendarId, [w]);
      if (r!.ok && r!.value && w.op === 'create' && !w.draft.sendInvitations) this.silent.add(r!.value.id);
      out.push(r!.ok && r!.value ? { ok: true, value: this.mark(r!.value) } : r!);
    }
    return out;
  }
}
