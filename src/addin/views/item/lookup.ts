/**
 * Which lookup finds the CRM record of an Outlook item: an appointment by its id, with its series for an occurrence
 * or exception (the server resolves both through Graph to the event, its series master and its iCalUId) and, for
 * calendars without Graph, its subject, start and organiser; a message by its first correspondent.
 */
import type { ItemLookupQuery } from '../../../shared/api';
import type { CurrentItem } from '../../office';

export function lookupFor(item: CurrentItem): ItemLookupQuery | null {
  if (item.kind === 'appointment') {
    if (!item.itemId) return null;
    // What Outlook shows of the item: the server's last resort when the calendar connection cannot resolve an
    // Outlook id (Google, CalDAV), answered as a "probable" match.
    const hints = {
      ...(item.subject.trim() ? { subject: item.subject } : {}),
      ...(item.start ? { start: item.start } : {}),
      ...(item.organizer ? { organizer: item.organizer } : {}),
    };
    return item.seriesId
      ? { eventId: item.itemId, seriesId: item.seriesId, ...hints }
      : { eventId: item.itemId, ...hints };
  }
  const first = item.people[0];
  return first ? { email: first.email } : null;
}
