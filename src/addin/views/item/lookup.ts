/** Which lookup finds the CRM record of an Outlook item: the event by its id, a message by its first correspondent. */
import type { ItemLookupQuery } from '../../../shared/api';
import type { CurrentItem } from '../../office';

export function lookupFor(item: CurrentItem): ItemLookupQuery | null {
  if (item.kind === 'appointment') return item.itemId ? { eventId: item.itemId } : null;
  const first = item.people[0];
  return first ? { email: first.email } : null;
}
