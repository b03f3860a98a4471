/**
 * The named exceptions to the decision table (decision-table.ts). Each is applied at exactly one place, named in
 * its comment; everything else a pair does is the table's cell.
 */
import type { CrmItem } from '../model';
import type { LinkRecord, Tombstone } from '../status-store';
import type { SyncDirection } from '../../shared/settings';
import type { EngineEnv } from '../mapping';
import { isOccurrenceEventId } from '../occurrences';
import type { CalendarSide, CrmSide, Decision } from './decision-table';
import { PERMANENT } from './writes';

/**
 * STALE MIRROR (two-way): our own mirror, cancelled in the calendar, of a CRM item that still exists but wants no
 * event (flag off, archived, out of scope). The table says "unlink"; the mirror is deleted with the link instead.
 * Left in place it would keep the item's tag, and the item's next event (flag on again, back in scope) would be a
 * second event carrying it (SPEC §10.3). No mail: it is cancelled already. Applied by linked-pair.ts before the
 * table is read.
 */
export function staleMirror(
  s: {
    crm: CrmSide;
    calendar: CalendarSide;
    link: Pick<LinkRecord, 'origin'>;
    item: CrmItem | undefined;
    crmDeleted: boolean;
  },
  direction: SyncDirection,
): Decision | null {
  const applies =
    direction === 'two-way' &&
    s.calendar === 'cancelled' &&
    (s.crm === 'deleted' || s.crm === 'left-scope') &&
    s.link.origin === 'crm' &&
    s.item !== undefined &&
    !s.crmDeleted;
  return applies ? 'delete-stale-mirror' : null;
}

/**
 * OCCURRENCE KEPT OUT: an occurrence's id can come back (a shortened series extended again). One whose activity the
 * user deleted or turned off stays out, whatever became of the occurrence meanwhile: every unlink of such a pair
 * leaves a permanent "not again" note. (Not an archived one: the connector itself archives the activity of an
 * occurrence that left, and a crash before its link was updated looks the same.) Applied by linked-pair.ts.
 */
export function occurrenceKeptOut(
  s: { link: Pick<LinkRecord, 'eventId'>; crmCause: string | null },
  env: EngineEnv,
): Tombstone | null {
  if (!isOccurrenceEventId(s.link.eventId) || (s.crmCause !== 'deleted' && s.crmCause !== 'flag-off')) return null;
  return { side: 'crm', sourceId: s.link.eventId, sourceHash: PERMANENT, createdAt: env.now.toISOString() };
}

/**
 * OCCURRENCE STAYS IN THE CALENDAR: one occurrence of a series (a CRM without recurrence) is never deleted by the
 * connector — cancelling one meeting of a series would e-mail the organiser or attendees. The event stays and is
 * not imported again. Applied by unlink.ts to any decision that deletes the event.
 */
export function occurrenceStays(
  link: LinkRecord,
  reason: string,
  env: EngineEnv,
): { reason: string; tombstone: Tombstone } | null {
  if (!isOccurrenceEventId(link.eventId)) return null;
  return {
    reason: `${reason} The occurrence stays in the calendar (the connector does not cancel one meeting of a series) and is not imported again.`,
    tombstone: { side: 'crm', sourceId: link.eventId, sourceHash: PERMANENT, createdAt: env.now.toISOString() },
  };
}

/**
 * HELD WRITES (SPEC §5 invitations "never"): a write to an event whose calendar e-mails its attendees on any write
 * (CalendarEvent.writesNotifyAttendees) is held back while invitations are off, and owed in the link (heldPush /
 * heldDelete) until they are on. `holdsEventWrite` is asked by unlink.ts (a deletion) and event-writes.ts (an update
 * or a deletion after a pulled change); `heldDeletionOwed` by link-state.ts: a deletion is still owed while the CRM
 * item has not changed since, so its side still counts as deleted.
 */
export function holdsEventWrite(invites: boolean, writesNotify: boolean): boolean {
  return !invites && writesNotify;
}

export function heldDeletionOwed(link: LinkRecord, item: CrmItem | undefined): boolean {
  return link.heldDelete === true && !item;
}

/**
 * ONE-WAY TARGET EDITS (SPEC §5.1 "One-way"): the target side is a mirror. A field differing between the sides is
 * written to the target only when the source item changed since the last sync (then the source wins, for every
 * field); edits made on the target alone are left alone. Applied by field-merge.ts for the one-way directions.
 */
export function mirrorTakesField(sourceChanged: boolean, fieldTravels: boolean): boolean {
  return sourceChanged && fieldTravels;
}
