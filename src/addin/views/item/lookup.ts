/**
 * Which lookup finds the CRM record of an Outlook item: an appointment by its id, with its series for an occurrence
 * or exception (the server resolves both through Graph to the event, its series master and its iCalUId); a message
 * by its first correspondent.
 */
import type { ItemLookupQuery } from '../../../shared/api';
import type { CurrentItem } from '../../office';

export function lookupFor(item: CurrentItem): ItemLookupQuery | null {
  if (item.kind === 'appointment') {
    if (!item.itemId) return null;
    return item.seriesId ? { eventId: item.itemId, seriesId: item.seriesId } : { eventId: item.itemId };
  }
  const first = item.people[0];
  return first ? { email: first.email } : null;
}
