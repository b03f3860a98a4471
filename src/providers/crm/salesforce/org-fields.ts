/**
 * Which optional fields this org has, from describe(): the connector selects and writes only what the org's
 * describe lists, so a stock org (no custom fields), field-level security hiding a standard field (Event.Type)
 * and an org without Shared Activities (no EventRelation.IsInvitee/IsParent) all work.
 *
 * The answer is stored with the connection (a short list of "Object.Field" names) so that the engine port knows
 * its capabilities without a call; it is read again when a query answers INVALID_FIELD (an admin changed the org).
 */
import type { SalesforceClient } from './client';
import { apiVersion } from './client';
import { ProviderError } from '../../../sync/errors';
import { iCalUIdField } from './mapping';

/** The optional fields the connector uses when they exist. */
const wanted: Record<'Event' | 'Task' | 'EventRelation', string[]> = {
  Event: ['Type', 'IsChild', 'IsRecurrence', 'GroupEventType', iCalUIdField],
  Task: [iCalUIdField],
  EventRelation: ['IsInvitee', 'IsParent'],
};

export class OrgFields {
  private constructor(
    private readonly present: ReadonlySet<string>,
    /**
     * Objects whose describe says this user may not create, edit or delete them (DescribeSObjectResult
     * createable/updateable/deletable: profile and permission sets). Checked at connect only; not stored.
     */
    readonly unwritable: readonly string[] = [],
  ) {}

  /** Every optional field present: what connections made before describe() was read had to have. */
  static assumedForOlderConnections(syncFlagField: string | null): OrgFields {
    const all = Object.entries(wanted).flatMap(([o, fs]) => fs.map((f) => `${o}.${f}`));
    if (syncFlagField) all.push(`Event.${syncFlagField}`, `Task.${syncFlagField}`);
    return new OrgFields(new Set(all));
  }

  static parse(stored: string | undefined): OrgFields | null {
    return stored === undefined ? null : new OrgFields(new Set(stored.split(',').filter(Boolean)));
  }

  static async describe(client: SalesforceClient, syncFlagField: string | null): Promise<OrgFields> {
    const present = new Set<string>();
    const unwritable: string[] = [];
    for (const [object, fields] of Object.entries(wanted)) {
      const { names, writable } = await describeObject(client, object);
      if (!writable) unwritable.push(object);
      const want = [...fields, ...(syncFlagField && object !== 'EventRelation' ? [syncFlagField] : [])];
      for (const f of want) if (names.has(f)) present.add(`${object}.${f}`);
    }
    return new OrgFields(present, unwritable);
  }

  has(object: 'Event' | 'Task' | 'EventRelation', field: string): boolean {
    return this.present.has(`${object}.${field}`);
  }

  toString(): string {
    return [...this.present].sort().join(',');
  }
}

async function describeObject(
  client: SalesforceClient,
  object: string,
): Promise<{ names: Set<string>; writable: boolean }> {
  let doc: { fields?: { name?: unknown }[]; createable?: unknown; updateable?: unknown; deletable?: unknown } | null;
  try {
    doc = (await client.call('GET', `/services/data/${apiVersion}/sobjects/${object}/describe`)) as typeof doc;
  } catch (e) {
    // Event, Task and EventRelation exist in every org: a 404 on their describe means this user's profile has no
    // Read on the object (Salesforce hides objects a user cannot access), not a wrong address.
    if (e instanceof ProviderError && e.kind === 'not-found')
      throw new ProviderError('forbidden', `This Salesforce user has no read access to ${object} (NOT_FOUND)`, {
        status: 404,
      });
    throw e;
  }
  return {
    names: new Set((doc?.fields ?? []).map((f) => f.name).filter((n): n is string => typeof n === 'string')),
    writable: doc?.createable !== false && doc?.updateable !== false && doc?.deletable !== false,
  };
}
