/**
 * The iCalUId tag in CRMs that have no column for an activity's origin (SuiteCRM `outlook_id`, Salesforce
 * `CrmSync_ICalUId__c`, Dynamics `globalobjectid`). An activity the connector imported from a calendar is created
 * with the plain iCalUId, and "has an iCalUId" has always meant "came from a calendar". A CRM-born activity whose
 * mirror's iCalUId is written back afterwards (one activity per meeting, SPEC §5) is stored with a prefix, so its
 * listing still says CRM-born (the engine re-creates the mirror of a CRM-born item, never of an import), and so
 * the CRM's own Outlook/Exchange synchronisation, which reads the same field, does not take it for its own.
 */
export const CRM_BORN_PREFIX = 'crm-born:';

/** The value stored when a CRM-born activity learns its mirror's iCalUId. */
export function writtenBackTag(iCalUId: string): string {
  return `${CRM_BORN_PREFIX}${iCalUId}`;
}

/** The stored field value as the engine sees it: the iCalUId, and where the activity was born. */
export function readICalUIdTag(raw: unknown): { iCalUId: string | null; origin: 'crm' | 'calendar' } {
  const value = typeof raw === 'string' ? raw : '';
  if (value.startsWith(CRM_BORN_PREFIX)) {
    const uid = value.slice(CRM_BORN_PREFIX.length);
    return { iCalUId: uid || null, origin: 'crm' };
  }
  return value ? { iCalUId: value, origin: 'calendar' } : { iCalUId: null, origin: 'crm' };
}

/** Stored values that carry one of these iCalUIds (an import's plain tag and a written-back one). */
export function storedTagsFor(iCalUIds: readonly string[]): string[] {
  return [...new Set(iCalUIds)].flatMap((u) => [u, writtenBackTag(u)]);
}
