/**
 * HubSpot (CRM v3 objects + associations v4) as the engine's CRM port.
 * - Activities are meetings, calls and tasks owned by the connected user (`hubspot_owner_id`; a meeting the user
 *   was added to as a further HubSpot attendee, `hs_attendee_owner_ids`, counts too).
 * - Listing: the search API on `hs_lastmodifieddate` ≥ cursor − 5 minutes (HubSpot's search index trails writes by
 *   seconds), paged by key set (`hs_object_id` > last id, sorted by it) rather than by offset, so every query starts
 *   at offset 0 — far below the 10,000-results cap — and records that change mid-listing cannot shift a page.
 *   Deletions: HubSpot's delete is an archive (recycle bin, restorable 90 days); the archived listing
 *   (`archived=true`) reports those since the cursor. The connector's own "archive" is a status: a meeting's
 *   outcome or a call's status CANCELED, a task's status DEFERRED.
 * - People: contacts by e-mail (search `email IN`), their primary company (`associatedcompanyid`); an activity's
 *   attendees and links are its contact and company associations (type ids per HubSpot's association table).
 * - The iCalUId tag is the custom property `crm_sync_ical_uid` (single-line text on meetings, calls and tasks,
 *   created by the admin); the Sync-to-calendar flag an optional checkbox property named at connect.
 * - No recurrence model: a calendar series becomes one activity per occurrence (SPEC §5). No reminders, no
 *   private flag (HubSpot activities have neither as a property the API writes).
 */
import { ProviderError } from '../../../sync/errors';
import { asProviderError } from '../../http/provider-errors';
import type { CrmDraft, CrmItem, PersonMatch, SyncedFields, Timing } from '../../../sync/model';
import type {
  ChangeSet,
  CrmCapabilities,
  CrmProvider,
  CrmWrite,
  ListWindow,
  ListingFilter,
  WriteResult,
} from '../../../sync/ports';
import { readICalUIdTag, storedTagsFor, writtenBackTag } from '../ical-uid-tag';
import { listingOverlapMs, timeCursor } from '../time-cursor';
import type { HubSpotClient } from './client';

export type HubSpotObject = 'meetings' | 'calls' | 'tasks';
export const activityObjects: readonly HubSpotObject[] = ['meetings', 'calls', 'tasks'];
export const tagProperty = 'crm_sync_ical_uid';

/** HubSpot-defined association type ids (HubSpot/hubspot-api-nodejs AssociationTypes). */
export const associationTypeIds: Record<HubSpotObject, { contacts: number; companies: number }> = {
  meetings: { contacts: 200, companies: 188 },
  calls: { contacts: 194, companies: 182 },
  tasks: { contacts: 204, companies: 192 },
};
/** Object type ids in HubSpot's record URLs. */
const objectTypeIds: Record<HubSpotObject, string> = { meetings: '0-47', calls: '0-48', tasks: '0-27' };
const singular: Record<HubSpotObject, 'meeting' | 'call' | 'task'> = {
  meetings: 'meeting',
  calls: 'call',
  tasks: 'task',
};
const baseProperties: Record<HubSpotObject, string[]> = {
  meetings: [
    'hs_meeting_title',
    'hs_meeting_body',
    'hs_meeting_start_time',
    'hs_meeting_end_time',
    'hs_meeting_location',
    'hs_meeting_outcome',
    'hs_attendee_owner_ids',
  ],
  calls: ['hs_call_title', 'hs_call_body', 'hs_call_duration', 'hs_call_status'],
  tasks: ['hs_task_subject', 'hs_task_body', 'hs_task_status', 'hs_task_priority'],
};
const commonProperties = ['hs_timestamp', 'hubspot_owner_id', 'hs_lastmodifieddate', 'hs_object_id', tagProperty];
/** A full listing reaches this far before the window's start (a meeting that began earlier may still be in it). */
const fullListingLeadMs = 7 * 86_400_000;
const pageSize = 100;
const listingCursor = timeCursor('hubspot:v1:');

interface HsObject {
  id: string;
  properties: Record<string, string | null | undefined>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
  objectWriteTraceId?: string;
}
interface SearchAnswer {
  total: number;
  results: HsObject[];
  paging?: { next?: { after: string } };
}
interface BatchAnswer {
  results: HsObject[];
  errors?: { message: string; category: string; status: string; context?: Record<string, string[]> }[];
}
interface AssociationsAnswer {
  results: { from: { id: string }; to: { toObjectId: string | number }[] }[];
}
interface Filter {
  propertyName: string;
  operator: string;
  value?: string;
  values?: string[];
}

export interface HubSpotOptions {
  ownerId: string;
  userEmail: string;
  portalId: string | null;
  syncFlagProperty: string | null;
  appBase: string;
  now: () => Date;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function parseId(id: string): { object: HubSpotObject; hsId: string } {
  const [type, hsId] = id.split(':');
  const object = activityObjects.find((o) => singular[o] === type);
  if (!object || !hsId || !/^\d+$/.test(hsId))
    throw new ProviderError('not-found', `${id} is not a HubSpot activity id`);
  return { object, hsId };
}

function iso(value: string | null | undefined): string | null {
  if (!value) return null;
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isNaN(n) ? null : new Date(n).toISOString();
}

function isMidnight(i: string): boolean {
  return i.endsWith('T00:00:00.000Z');
}

function timingOf(object: HubSpotObject, p: HsObject['properties']): Timing | null {
  if (object === 'tasks') {
    const due = iso(p['hs_timestamp']);
    return due ? { kind: 'timed', start: due, end: due, timeZone: 'UTC' } : null;
  }
  const start = iso(object === 'meetings' ? (p['hs_meeting_start_time'] ?? p['hs_timestamp']) : p['hs_timestamp']);
  if (!start) return null;
  let end = object === 'meetings' ? (iso(p['hs_meeting_end_time']) ?? start) : start;
  if (object === 'calls') {
    const duration = Number(p['hs_call_duration'] ?? '0');
    end = new Date(Date.parse(start) + (Number.isFinite(duration) ? duration : 0)).toISOString();
  }
  // HubSpot has no all-day flag: all-day items are written midnight-to-midnight UTC and read back as such.
  if (object === 'meetings' && isMidnight(start) && isMidnight(end) && end > start) {
    return { kind: 'all-day', startDate: start.slice(0, 10), endDate: end.slice(0, 10) };
  }
  return { kind: 'timed', start, end, timeZone: 'UTC' };
}

function timingProperties(object: HubSpotObject, t: Timing): Record<string, string> {
  const start = t.kind === 'timed' ? new Date(t.start).toISOString() : `${t.startDate}T00:00:00.000Z`;
  const end = t.kind === 'timed' ? new Date(t.end).toISOString() : `${t.endDate}T00:00:00.000Z`;
  if (object === 'tasks') return { hs_timestamp: start };
  if (object === 'calls') return { hs_timestamp: start, hs_call_duration: String(Date.parse(end) - Date.parse(start)) };
  return { hs_timestamp: start, hs_meeting_start_time: start, hs_meeting_end_time: end };
}

const archivedStatus: Record<HubSpotObject, { property: string; archived: string; open: string }> = {
  meetings: { property: 'hs_meeting_outcome', archived: 'CANCELED', open: 'SCHEDULED' },
  calls: { property: 'hs_call_status', archived: 'CANCELED', open: 'QUEUED' },
  tasks: { property: 'hs_task_status', archived: 'DEFERRED', open: 'NOT_STARTED' },
};
const priorities: Record<string, 'low' | 'normal' | 'high'> = { LOW: 'low', MEDIUM: 'normal', HIGH: 'high' };

export class HubSpotProvider implements CrmProvider {
  readonly kind = 'hubspot';
  readonly capabilities: CrmCapabilities;

  constructor(
    private readonly client: HubSpotClient,
    private readonly options: HubSpotOptions,
  ) {
    this.capabilities = {
      types: ['meeting', 'call', 'task'],
      recurrence: false,
      invitees: true,
      syncFlagField: options.syncFlagProperty !== null,
      archive: true,
      webhooks: false,
      maxBatch: 100,
      createContacts: true,
      reminders: false,
      // Calls and tasks have no location property.
      missingFields: { call: ['location'], task: ['location'] },
    };
  }

  private properties(object: HubSpotObject): string[] {
    return [
      ...baseProperties[object],
      ...commonProperties,
      ...(this.options.syncFlagProperty ? [this.options.syncFlagProperty] : []),
    ];
  }

  async testConnection(): Promise<{ account: string }> {
    // One cheap search that needs the read scope and the connector's tag property (400 when it is missing).
    await this.client.call<SearchAnswer>('POST', '/crm/v3/objects/meetings/search', {
      filterGroups: [
        {
          filters: [
            { propertyName: 'hubspot_owner_id', operator: 'EQ', value: this.options.ownerId },
            { propertyName: tagProperty, operator: 'HAS_PROPERTY' },
          ],
        },
      ],
      properties: ['hs_object_id'],
      sorts: ['hs_object_id'],
      limit: 1,
      after: '0',
    });
    return { account: this.options.userEmail };
  }

  /** Every page of a search, key-set paged on hs_object_id; `onPage` sees each page before the next is read. */
  private async searchAll(
    object: HubSpotObject | 'contacts',
    groups: Filter[][],
    properties: string[],
    onPage: (rows: HsObject[]) => Promise<void>,
  ): Promise<void> {
    let lastId: string | null = null;
    for (;;) {
      const filterGroups = groups.map((filters) => ({
        filters: [...filters, ...(lastId ? [{ propertyName: 'hs_object_id', operator: 'GT', value: lastId }] : [])],
      }));
      const page: SearchAnswer = await this.client.call<SearchAnswer>('POST', `/crm/v3/objects/${object}/search`, {
        filterGroups,
        properties,
        sorts: ['hs_object_id'],
        limit: pageSize,
        after: '0',
      });
      await onPage(page.results);
      const last = page.results[page.results.length - 1];
      if (!page.paging?.next || !last) return;
      lastId = last.id;
    }
  }

  private ownerGroups(object: HubSpotObject, extra: Filter[]): Filter[][] {
    const groups: Filter[][] = [
      [{ propertyName: 'hubspot_owner_id', operator: 'EQ', value: this.options.ownerId }, ...extra],
    ];
    if (object === 'meetings') {
      groups.push([
        { propertyName: 'hs_attendee_owner_ids', operator: 'CONTAINS_TOKEN', value: this.options.ownerId },
        ...extra,
      ]);
    }
    return groups;
  }

  async listChanges(
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CrmItem>,
  ): Promise<ChangeSet<CrmItem>> {
    const since = listingCursor.since(cursor);
    const startedAt = this.options.now().getTime();
    const full = since === null;
    const from = new Date(window.from).toISOString();
    const items: CrmItem[] = [];
    for (const object of activityObjects) {
      const extra: Filter[] = full
        ? [
            {
              propertyName: 'hs_timestamp',
              operator: 'GTE',
              value: String(Math.max(0, Date.parse(from) - fullListingLeadMs)),
            },
          ]
        : [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(since - listingOverlapMs) }];
      const seen = new Set<string>();
      await this.searchAll(object, this.ownerGroups(object, extra), this.properties(object), async (rows) => {
        const fresh = rows.filter((r) => !seen.has(r.id));
        for (const r of fresh) seen.add(r.id);
        for (const item of await this.toItems(object, fresh)) {
          const t = item.fields.timing;
          const end = t ? (t.kind === 'timed' ? t.end : `${t.endDate}T00:00:00.000Z`) : null;
          if ((!full || end === null || end >= from) && (keep?.(item) ?? true)) items.push(item);
        }
      });
    }
    const removedIds: string[] = [];
    if (!full) {
      for (const object of activityObjects) {
        let after: string | undefined;
        do {
          const q = new URLSearchParams({ archived: 'true', limit: String(pageSize), properties: 'hubspot_owner_id' });
          if (after) q.set('after', after);
          const page: { results: HsObject[]; paging?: { next?: { after: string } } } = await this.client.call(
            'GET',
            `/crm/v3/objects/${object}?${q.toString()}`,
          );
          for (const r of page.results) {
            const at = r.archivedAt ? Date.parse(r.archivedAt) : NaN;
            if (!Number.isNaN(at) && at >= since - listingOverlapMs) removedIds.push(`${singular[object]}:${r.id}`);
          }
          after = page.paging?.next?.after;
        } while (after);
      }
    }
    return { upserts: items, removedIds, full, nextCursor: listingCursor.at(startedAt) };
  }

  /** Contact and company associations of activities, by activity id. */
  private async associations(
    object: HubSpotObject,
    ids: string[],
    to: 'contacts' | 'companies',
  ): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (let i = 0; i < ids.length; i += pageSize) {
      const answer = await this.client.call<AssociationsAnswer>(
        'POST',
        `/crm/v4/associations/${object}/${to}/batch/read`,
        { inputs: ids.slice(i, i + pageSize).map((id) => ({ id })) },
      );
      for (const r of answer?.results ?? [])
        out.set(
          r.from.id,
          r.to.map((t) => String(t.toObjectId)),
        );
    }
    return out;
  }

  private async readObjects(object: 'contacts' | 'companies' | HubSpotObject, ids: string[], properties: string[]) {
    const out: HsObject[] = [];
    for (let i = 0; i < ids.length; i += pageSize) {
      const answer = await this.client.call<BatchAnswer>('POST', `/crm/v3/objects/${object}/batch/read`, {
        inputs: ids.slice(i, i + pageSize).map((id) => ({ id })),
        properties,
        propertiesWithHistory: [],
      });
      out.push(...(answer?.results ?? []));
    }
    return out;
  }

  private async toItems(object: HubSpotObject, rows: HsObject[]): Promise<CrmItem[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const contactsOf = await this.associations(object, ids, 'contacts');
    const companiesOf = await this.associations(object, ids, 'companies');
    const contactIds = [...new Set([...contactsOf.values()].flat())];
    const emails = new Map(
      (await this.readObjects('contacts', contactIds, ['email'])).map((c) => [c.id, str(c.properties['email'])]),
    );
    return rows.map((r) => this.toItem(object, r, contactsOf.get(r.id) ?? [], companiesOf.get(r.id) ?? [], emails));
  }

  private toItem(
    object: HubSpotObject,
    r: HsObject,
    contacts: string[],
    companies: string[],
    emails: Map<string, string>,
  ): CrmItem {
    const p = r.properties;
    const status = archivedStatus[object];
    const tag = readICalUIdTag(p[tagProperty]);
    const flag = this.options.syncFlagProperty ? p[this.options.syncFlagProperty] : null;
    const completed = object === 'tasks' && p['hs_task_status'] === 'COMPLETED';
    const subject =
      object === 'meetings' ? p['hs_meeting_title'] : object === 'calls' ? p['hs_call_title'] : p['hs_task_subject'];
    const body =
      object === 'meetings' ? p['hs_meeting_body'] : object === 'calls' ? p['hs_call_body'] : p['hs_task_body'];
    const attendees = contacts
      .map((c) => (emails.get(c) ?? '').toLowerCase())
      .filter(Boolean)
      .map((email) => ({ email }));
    const fields: CrmItem['fields'] = {
      subject: str(subject),
      timing: timingOf(object, p),
      body: str(body),
      location: object === 'meetings' ? str(p['hs_meeting_location']) : '',
      visibility: 'normal',
      showAs: completed ? 'free' : 'busy',
      attendees,
      recurrence: null,
      reminderMinutes: null,
    };
    return {
      id: `${singular[object]}:${r.id}`,
      type: singular[object],
      version: str(p['hs_lastmodifieddate']) || r.updatedAt,
      modifiedAt: iso(r.updatedAt) ?? new Date(0).toISOString(),
      fields,
      ...(object === 'tasks' ? { completed, priority: priorities[str(p['hs_task_priority'])] ?? 'normal' } : {}),
      syncToCalendar: flag === 'true' ? true : flag === 'false' ? false : null,
      archived: p[status.property] === status.archived,
      iCalUId: tag.iCalUId,
      origin: tag.origin,
      url: this.options.portalId
        ? `${this.options.appBase}/contacts/${this.options.portalId}/record/${objectTypeIds[object]}/${r.id}`
        : null,
      links: { contactIds: contacts.map((c) => `contact:${c}`), companyIds: companies.map((c) => `company:${c}`) },
      ownerEmails: [this.options.userEmail],
    };
  }

  private async read(ids: string[]): Promise<Map<string, CrmItem>> {
    const out = new Map<string, CrmItem>();
    for (const object of activityObjects) {
      const hsIds = ids.flatMap((id) => {
        const p = parseId(id);
        return p.object === object ? [p.hsId] : [];
      });
      if (!hsIds.length) continue;
      const rows = await this.readObjects(object, [...new Set(hsIds)], this.properties(object));
      for (const item of await this.toItems(
        object,
        rows.filter((r) => !r.archived),
      ))
        out.set(item.id, item);
    }
    return out;
  }

  async findByICalUId(iCalUIds: string[]): Promise<CrmItem[]> {
    const tags = storedTagsFor(iCalUIds);
    if (!tags.length) return [];
    const out: CrmItem[] = [];
    for (const object of activityObjects) {
      for (let i = 0; i < tags.length; i += pageSize) {
        const values = tags.slice(i, i + pageSize);
        await this.searchAll(
          object,
          [[{ propertyName: tagProperty, operator: 'IN', values }]],
          this.properties(object),
          async (rows) => void out.push(...(await this.toItems(object, rows))),
        );
      }
    }
    return out;
  }

  async lookupPeople(emails: string[]): Promise<PersonMatch[]> {
    const wanted = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean))];
    const found = new Map<string, PersonMatch>();
    for (let i = 0; i < wanted.length; i += pageSize) {
      await this.searchAll(
        'contacts',
        [[{ propertyName: 'email', operator: 'IN', values: wanted.slice(i, i + pageSize) }]],
        ['email', 'firstname', 'lastname', 'associatedcompanyid'],
        async (rows) => {
          for (const c of rows) {
            const email = str(c.properties['email']).toLowerCase();
            if (!email || found.has(email)) continue;
            const name = [str(c.properties['firstname']), str(c.properties['lastname'])].filter(Boolean).join(' ');
            const company = str(c.properties['associatedcompanyid']);
            found.set(email, {
              email,
              contactId: `contact:${c.id}`,
              kind: 'contact',
              name: name || null,
              companyId: company ? `company:${company}` : null,
            });
          }
        },
      );
    }
    const companyIds = [...new Set([...found.values()].flatMap((m) => (m.companyId ? [m.companyId.slice(8)] : [])))];
    if (companyIds.length) {
      const names = new Map(
        (await this.readObjects('companies', companyIds, ['name'])).map((c) => [c.id, str(c.properties['name'])]),
      );
      for (const m of found.values()) if (m.companyId) m.companyName = names.get(m.companyId.slice(8)) || null;
    }
    return [...found.values()];
  }

  async createContact(person: { email: string; name?: string }): Promise<PersonMatch> {
    const email = person.email.trim().toLowerCase();
    const [first, ...rest] = (person.name ?? '').trim().split(/\s+/).filter(Boolean);
    const created = await this.client.call<HsObject>('POST', '/crm/v3/objects/contacts', {
      properties: {
        email,
        ...(first ? { firstname: first } : {}),
        ...(rest.length ? { lastname: rest.join(' ') } : {}),
      },
      associations: [],
    });
    return {
      email,
      contactId: `contact:${created.id}`,
      kind: 'contact',
      name: person.name?.trim() || null,
      companyId: null,
    };
  }

  private fieldProperties(object: HubSpotObject, f: Partial<SyncedFields>): Record<string, string> {
    const out: Record<string, string> = {};
    const names = {
      meetings: ['hs_meeting_title', 'hs_meeting_body'],
      calls: ['hs_call_title', 'hs_call_body'],
      tasks: ['hs_task_subject', 'hs_task_body'],
    }[object];
    if (f.subject !== undefined) out[names[0]!] = f.subject;
    if (f.body !== undefined) out[names[1]!] = f.body;
    if (f.location !== undefined && object === 'meetings') out['hs_meeting_location'] = f.location;
    if (f.timing) Object.assign(out, timingProperties(object, f.timing));
    return out;
  }

  /** Contact ids (HubSpot's) for attendee e-mails; addresses HubSpot does not know cannot be associated. */
  private async contactIdsFor(attendees: { email: string }[]): Promise<string[]> {
    if (!attendees.length) return [];
    const matches = await this.lookupPeople(attendees.map((a) => a.email));
    return matches.map((m) => m.contactId.slice('contact:'.length));
  }

  private objectOfDraft(d: CrmDraft): HubSpotObject {
    if (d.type === 'call') return 'calls';
    if (d.type === 'task') return 'tasks';
    if (d.type === 'meeting' || d.type === 'follow-up') return 'meetings';
    throw new ProviderError('invalid', `HubSpot has no ${d.type} activity the connector writes`);
  }

  private async createInput(object: HubSpotObject, d: CrmDraft, trace: string) {
    const contactIds = new Set([
      ...(d.fields.attendees.length ? await this.contactIdsFor(d.fields.attendees) : []),
      ...d.links.contactIds.filter((c) => c.startsWith('contact:')).map((c) => c.slice(8)),
    ]);
    const companyIds = new Set(d.links.companyIds.filter((c) => c.startsWith('company:')).map((c) => c.slice(8)));
    const types = associationTypeIds[object];
    const properties: Record<string, string> = {
      ...this.fieldProperties(object, d.fields),
      hubspot_owner_id: this.options.ownerId,
      [tagProperty]: d.iCalUId,
    };
    if (object === 'meetings') properties['hs_meeting_outcome'] = 'SCHEDULED';
    if (object === 'tasks') properties['hs_task_status'] = 'NOT_STARTED';
    if (this.options.syncFlagProperty) properties[this.options.syncFlagProperty] = String(d.syncToCalendar);
    return {
      properties,
      objectWriteTraceId: trace,
      associations: [
        ...[...contactIds].map((id) => ({
          to: { id },
          types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: types.contacts }],
        })),
        ...[...companyIds].map((id) => ({
          to: { id },
          types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: types.companies }],
        })),
      ],
    };
  }

  /** Makes an activity's contact associations exactly `wanted` (attendees) and adds `addCompanies`. */
  private async syncAssociations(
    object: HubSpotObject,
    hsId: string,
    wanted: string[] | null,
    addContacts: string[],
    addCompanies: string[],
  ): Promise<void> {
    const types = associationTypeIds[object];
    const current = (await this.associations(object, [hsId], 'contacts')).get(hsId) ?? [];
    const target = new Set([...(wanted ?? current), ...addContacts]);
    const add = [...target].filter((c) => !current.includes(c));
    const remove = wanted ? current.filter((c) => !target.has(c)) : [];
    if (add.length)
      await this.client.call('POST', `/crm/v4/associations/${object}/contacts/batch/create`, {
        inputs: add.map((id) => ({
          from: { id: hsId },
          to: { id },
          types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: types.contacts }],
        })),
      });
    if (remove.length)
      await this.client.call('POST', `/crm/v4/associations/${object}/contacts/batch/archive`, {
        inputs: [{ from: { id: hsId }, to: remove.map((id) => ({ id })) }],
      });
    if (addCompanies.length) {
      const companies = (await this.associations(object, [hsId], 'companies')).get(hsId) ?? [];
      const newCompanies = addCompanies.filter((c) => !companies.includes(c));
      if (newCompanies.length)
        await this.client.call('POST', `/crm/v4/associations/${object}/companies/batch/create`, {
          inputs: newCompanies.map((id) => ({
            from: { id: hsId },
            to: { id },
            types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: types.companies }],
          })),
        });
    }
  }

  private async ownerIdFor(email: string): Promise<string> {
    const q = new URLSearchParams({ email: email.toLowerCase(), limit: '1' });
    const answer = await this.client.call<{ results: { id: string }[] }>('GET', `/crm/v3/owners?${q.toString()}`);
    const owner = answer?.results?.[0];
    if (!owner) throw new ProviderError('not-found', `no HubSpot user with the e-mail ${email}`);
    return owner.id;
  }

  private toError(e: unknown): ProviderError {
    return asProviderError(e);
  }

  /** Creates per object type in batches of 100; a batch HubSpot refuses as a whole is retried one by one. */
  private async createAll(
    object: HubSpotObject,
    creates: { i: number; draft: CrmDraft }[],
    touched: Map<number, string>,
    fail: (i: number, e: unknown) => void,
  ): Promise<void> {
    for (let k = 0; k < creates.length; k += pageSize) {
      const chunk = creates.slice(k, k + pageSize);
      const inputs: { i: number; input: Awaited<ReturnType<HubSpotProvider['createInput']>> }[] = [];
      for (const c of chunk) {
        try {
          inputs.push({ i: c.i, input: await this.createInput(object, c.draft, `w${c.i}`) });
        } catch (e) {
          fail(c.i, e);
        }
      }
      if (!inputs.length) continue;
      try {
        const answer = await this.client.call<BatchAnswer>('POST', `/crm/v3/objects/${object}/batch/create`, {
          inputs: inputs.map((x) => x.input),
        });
        const byTrace = new Map((answer?.results ?? []).map((r) => [r.objectWriteTraceId ?? '', r.id]));
        const byTag = new Map((answer?.results ?? []).map((r) => [str(r.properties[tagProperty]), r.id]));
        for (const x of inputs) {
          const id = byTrace.get(x.input.objectWriteTraceId) ?? byTag.get(x.input.properties[tagProperty] ?? '');
          if (id) touched.set(x.i, `${singular[object]}:${id}`);
          else fail(x.i, new ProviderError('invalid', 'HubSpot did not create this activity'));
        }
      } catch (e) {
        const err = this.toError(e);
        if (err.kind !== 'invalid' || inputs.length === 1) {
          for (const x of inputs) fail(x.i, err);
          continue;
        }
        // Should HubSpot have applied part of the batch after all, the tag finds those: no second copy.
        const applied = new Map(
          (await this.findByICalUId(inputs.map((x) => x.input.properties[tagProperty] ?? ''))).map((i) => [
            i.iCalUId,
            i.id,
          ]),
        );
        for (const x of inputs) {
          const found = applied.get(x.input.properties[tagProperty] ?? '');
          if (found) {
            touched.set(x.i, found);
            continue;
          }
          try {
            const created = await this.client.call<HsObject>('POST', `/crm/v3/objects/${object}`, {
              properties: x.input.properties,
              associations: x.input.associations,
            });
            touched.set(x.i, `${singular[object]}:${created.id}`);
          } catch (single) {
            fail(x.i, single);
          }
        }
      }
    }
  }

  async writeItems(writes: CrmWrite[]): Promise<WriteResult<CrmItem | null>[]> {
    const results: (WriteResult<CrmItem | null> | null)[] = writes.map(() => null);
    const touched = new Map<number, string>();
    const fail = (i: number, e: unknown) => {
      results[i] = { ok: false, error: this.toError(e) };
    };
    // A create whose answer was lost left an activity carrying the event's iCalUId: reuse it, write nothing.
    const createUids = writes.flatMap((w) => (w.op === 'create' ? [w.draft.iCalUId] : []));
    const existing = new Map(
      (createUids.length ? await this.findByICalUId(createUids) : [])
        .filter((i) => !i.archived)
        .map((i) => [i.iCalUId, i.id]),
    );
    const creates = new Map<HubSpotObject, { i: number; draft: CrmDraft }[]>();
    const updates = new Map<HubSpotObject, { i: number; id: string; properties: Record<string, string> }[]>();
    const after: { i: number; run: () => Promise<void> }[] = [];
    for (const [i, w] of writes.entries()) {
      try {
        if (w.op === 'create') {
          const found = existing.get(w.draft.iCalUId);
          if (found) {
            touched.set(i, found);
            continue;
          }
          const object = this.objectOfDraft(w.draft);
          creates.set(object, [...(creates.get(object) ?? []), { i, draft: w.draft }]);
          continue;
        }
        const { object, hsId } = parseId(w.id);
        const update = (properties: Record<string, string>) =>
          updates.set(object, [...(updates.get(object) ?? []), { i, id: hsId, properties }]);
        if (w.op === 'update') {
          const props = this.fieldProperties(object, w.fields);
          update(props);
          const contacts = w.fields.attendees ? await this.contactIdsFor(w.fields.attendees) : null;
          const linkContacts = (w.links?.contactIds ?? [])
            .filter((c) => c.startsWith('contact:'))
            .map((c) => c.slice(8));
          const linkCompanies = (w.links?.companyIds ?? [])
            .filter((c) => c.startsWith('company:'))
            .map((c) => c.slice(8));
          if (contacts || linkContacts.length || linkCompanies.length)
            after.push({ i, run: () => this.syncAssociations(object, hsId, contacts, linkContacts, linkCompanies) });
        } else if (w.op === 'archive' || w.op === 'unarchive') {
          const s = archivedStatus[object];
          update({ [s.property]: w.op === 'archive' ? s.archived : s.open });
        } else if (w.op === 'set-sync-flag') {
          if (!this.options.syncFlagProperty)
            throw new ProviderError('invalid', 'no Sync-to-calendar property was named when HubSpot was connected');
          update({ [this.options.syncFlagProperty]: String(w.value) });
        } else if (w.op === 'set-ical-uid') {
          update({ [tagProperty]: writtenBackTag(w.iCalUId) });
        } else {
          if (object !== 'meetings') throw new ProviderError('invalid', 'only HubSpot meetings have further attendees');
          const ownerId = await this.ownerIdFor(w.email);
          const current = (await this.readObjects('meetings', [hsId], ['hs_attendee_owner_ids']))[0];
          const ids = str(current?.properties['hs_attendee_owner_ids']).split(';').filter(Boolean);
          update({ hs_attendee_owner_ids: [...new Set([...ids, ownerId])].join(';') });
        }
        touched.set(i, w.id);
      } catch (e) {
        fail(i, e);
      }
    }
    for (const [object, list] of creates) await this.createAll(object, list, touched, fail);
    for (const [object, list] of updates) {
      // One batch per object type; HubSpot refuses a batch with two inputs for one id, so those go one by one.
      const ids = new Set<string>();
      const batch = list.filter((u) => (ids.has(u.id) ? false : (ids.add(u.id), true)));
      const single = list.filter((u) => !batch.includes(u));
      for (let k = 0; k < batch.length; k += pageSize) {
        const chunk = batch.slice(k, k + pageSize).filter((u) => Object.keys(u.properties).length > 0);
        if (!chunk.length) continue;
        try {
          await this.client.call('POST', `/crm/v3/objects/${object}/batch/update`, {
            inputs: chunk.map((u) => ({ id: u.id, properties: u.properties })),
          });
        } catch (e) {
          if (this.toError(e).kind !== 'invalid' || chunk.length === 1) chunk.forEach((u) => fail(u.i, e));
          else single.push(...chunk);
        }
      }
      for (const u of single) {
        if (!Object.keys(u.properties).length) continue;
        try {
          await this.client.call('PATCH', `/crm/v3/objects/${object}/${u.id}`, { properties: u.properties });
        } catch (e) {
          fail(u.i, e);
        }
      }
    }
    for (const a of after) {
      if (results[a.i]) continue;
      try {
        await a.run();
      } catch (e) {
        fail(a.i, e);
      }
    }
    const ids = [...new Set([...touched.entries()].filter(([i]) => !results[i]).map(([, id]) => id))];
    const items = ids.length ? await this.read(ids) : new Map<string, CrmItem>();
    return results.map((r, i) => {
      if (r) return r;
      const item = items.get(touched.get(i) ?? '');
      return item
        ? { ok: true, value: item }
        : { ok: false, error: new ProviderError('not-found', 'the HubSpot activity is gone (deleted meanwhile)') };
    });
  }
}
