/**
 * Salesforce as an engine port.
 * - Listing: SOQL on SystemModstamp for the user's Events and Tasks (five minutes of overlap: a long
 *   transaction can commit after a later stamp was read; content hashes absorb the repeats); deletions from
 *   getDeleted (`/sobjects/{type}/deleted/`), which reaches back no more than 15 days before the day of the call,
 *   ignores seconds and needs a range over one minute (REST API Developer Guide, "sObject Get Deleted"): an older
 *   cursor, INVALID_REPLICATION_DATE or an earliestDateAvailable after the cursor (an emptied Recycle Bin) gets a
 *   full listing instead, in which whatever is gone is seen gone.
 * - Series masters (IsRecurrence; Lightning's GroupEventType '3') are not activities of their own: their
 *   occurrences are listed one by one. Child events (IsChild: an invitee's copy of a group event) are not the
 *   invitee's own.
 * - Invitees are EventRelation rows (IsInvitee, or every row without Shared Activities) plus WhoId; related
 *   contacts (IsParent) are links; the company is AccountId / an Account WhatId.
 * - Only fields the org's describe() lists are used (org-fields.ts): a stock org, Event.Type hidden by
 *   field-level security, or no Shared Activities all work.
 * - Writes go out as composite sObject collections (up to 200 records per request, grouped by object type:
 *   Salesforce processes at most 10 chunks, runs of one type, per request; allOrNone false).
 */
import type { CrmItemTags } from '../../connector';
import { ProviderError } from '../../../sync/errors';
import type { CrmDraft, CrmItem, PersonMatch, SyncedFields } from '../../../sync/model';
import type {
  ChangeSet,
  CrmCapabilities,
  CrmProvider,
  CrmWrite,
  ListWindow,
  ListingFilter,
  WriteResult,
} from '../../../sync/ports';
import { accessCodes, apiVersion, soqlDateTime, soqlString, type SalesforceClient } from './client';
import { OrgFields } from './org-fields';
import { storedTagsFor, writtenBackTag } from '../ical-uid-tag';
import {
  eventFields,
  eventTimingFields,
  eventToItem,
  iCalUIdField,
  isEventId,
  isPersonId,
  isTaskId,
  prefixes,
  priorityToSf,
  taskFields,
  taskToItem,
  type SfEvent,
  type SfPerson,
  type SfTask,
} from './mapping';

const cursorPrefix = 'salesforce:v1:';
const overlapMs = 5 * 60_000;
const dayMs = 86_400_000;
/** getDeleted answers for no more than 15 days before the day of the call. */
const getDeletedReachDays = 15;
const minute = (ms: number) => ms - (ms % 60_000);
const data = `/services/data/${apiVersion}`;

export interface SalesforceOptions {
  me: { id: string; email: string | null; account: string };
  syncFlagField: string | null;
  now: () => Date;
  /** What describe() said (stored with the connection); null: read it on first use. */
  orgFields?: OrgFields | null;
  /** The connector's own tag store, used where the org has no CrmSync_ICalUId__c field. */
  itemTags?: CrmItemTags | null;
}

interface CompositeResult {
  id?: string;
  success: boolean;
  errors?: { statusCode?: string; message?: string; fields?: string[] }[];
}

const isInvalidField = (e: unknown) =>
  e instanceof ProviderError && e.status === 400 && /INVALID_FIELD\b/.test(e.message);
/** getDeleted cannot answer for this range: the cursor is before its log, or over 600,000 deletions are in it. */
const deletionsUnknown = (e: unknown) =>
  e instanceof ProviderError && e.status === 400 && /INVALID_REPLICATION_DATE|EXCEEDED_ID_LIMIT/.test(e.message);

/** One record's failure in an sObject Collections answer; the code and field names only, never Salesforce's text. */
function compositeError(r: CompositeResult | undefined, object: string | null): ProviderError {
  const e = r?.errors?.[0];
  const code = e?.statusCode && /^[\w.-]{1,80}$/.test(e.statusCode) ? e.statusCode : 'UNKNOWN';
  const kind =
    code === 'ENTITY_IS_DELETED' || code === 'INVALID_CROSS_REFERENCE_KEY' || code === 'NOT_FOUND'
      ? 'not-found'
      : accessCodes.has(code)
        ? 'forbidden'
        : code === 'UNABLE_TO_LOCK_ROW' || code === 'REQUEST_LIMIT_EXCEEDED'
          ? 'transient'
          : 'invalid';
  const fields = (e?.fields ?? []).filter((f) => /^\w{1,80}$/.test(f));
  const what = object ?? 'a record';
  return new ProviderError(
    kind,
    kind === 'forbidden'
      ? `This Salesforce user has no write access to ${what} (${code})`
      : `Salesforce refused the write to ${what}: ${code}${fields.length ? ` (${fields.join(', ')})` : ''}`,
  );
}

const typeOfRecord = (r: Record<string, unknown>): string | null =>
  (r['attributes'] as { type?: string } | undefined)?.type ?? null;

const chunks = <T>(list: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));

export class SalesforceProvider implements CrmProvider {
  readonly kind = 'salesforce';
  private org: OrgFields | null;

  constructor(
    private readonly client: SalesforceClient,
    private readonly options: SalesforceOptions,
  ) {
    this.org = options.orgFields ?? null;
  }

  /** Until describe() has been read (older connections), what those connections had to have. */
  private get known(): OrgFields {
    return this.org ?? OrgFields.assumedForOlderConnections(this.options.syncFlagField);
  }

  get capabilities(): CrmCapabilities {
    const org = this.known;
    return {
      // Without Event.Type (field-level security) a call would come back a meeting: calls are not offered.
      types: org.has('Event', 'Type') ? ['meeting', 'call', 'task'] : ['meeting', 'task'],
      recurrence: false,
      invitees: true,
      syncFlagField: this.options.syncFlagField !== null,
      archive: false,
      webhooks: false,
      maxBatch: 200,
      createContacts: true,
      // A colleague's invitation is matched to an Event (findByICalUId reads Events): a task's mirror is nobody's
      // invitation, so its iCalUId is not written back. A stock org has no field to write it to.
      iCalUIdTypes: org.has('Event', iCalUIdField) || this.options.itemTags ? ['meeting', 'call'] : [],
    };
  }

  /** Where this object's iCalUId tags live when the org has no field for them: the connector's own store. */
  private ownTags(object: 'Event' | 'Task'): CrmItemTags | null {
    return this.known.has(object, iCalUIdField) ? null : (this.options.itemTags ?? null);
  }

  private async describeOrg(): Promise<OrgFields> {
    this.org = await OrgFields.describe(this.client, this.options.syncFlagField);
    await this.client.saveOrgFields(this.org.toString());
    return this.org;
  }

  /** Runs `fn` knowing the org's fields; a query naming a field the org no longer has re-reads describe() once. */
  private async withOrg<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.org) await this.describeOrg();
    try {
      return await fn();
    } catch (e) {
      if (!isInvalidField(e)) throw e;
      await this.describeOrg();
      return fn();
    }
  }

  private extraFields(object: 'Event' | 'Task'): string[] {
    const org = this.known;
    const flag = this.options.syncFlagField;
    return [
      ...(object === 'Event' && org.has('Event', 'Type') ? ['Type'] : []),
      ...(org.has(object, iCalUIdField) ? [iCalUIdField] : []),
      ...(flag && org.has(object, flag) ? [flag] : []),
    ];
  }

  async testConnection(): Promise<{ account: string }> {
    const org = await this.describeOrg();
    const flag = this.options.syncFlagField;
    if (flag && !(org.has('Event', flag) && org.has('Task', flag)))
      throw new ProviderError('forbidden', `Salesforce has no field ${flag} on Event and Task that this user can read`);
    if (org.unwritable.length)
      throw new ProviderError(
        'forbidden',
        `This Salesforce user may not create, edit and delete ${org.unwritable.join(', ')} records (profile or permission set)`,
      );
    await this.client.query(`${this.eventSoql([`OwnerId = ${soqlString(this.options.me.id)}`])} LIMIT 1`);
    return { account: this.options.me.account };
  }

  /** Events that are activities of their own: not series masters, not an invitee's child copy. */
  private eventScope(): string[] {
    const org = this.known;
    return [
      ...(org.has('Event', 'IsChild') ? ['IsChild = false'] : []),
      ...(org.has('Event', 'IsRecurrence') ? ['IsRecurrence = false'] : []),
      ...(org.has('Event', 'GroupEventType') ? ["GroupEventType != '3'"] : []),
    ];
  }

  private eventSoql(where: string[]): string {
    return `SELECT ${[...eventFields, ...this.extraFields('Event')].join(', ')} FROM Event WHERE ${[...where, ...this.eventScope()].join(' AND ')} ORDER BY SystemModstamp`;
  }

  private taskSoql(where: string[]): string {
    return `SELECT ${[...taskFields, ...this.extraFields('Task')].join(', ')} FROM Task WHERE ${where.join(' AND ')} ORDER BY SystemModstamp`;
  }

  async listChanges(
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CrmItem>,
  ): Promise<ChangeSet<CrmItem>> {
    return this.withOrg(() => this.list(cursor, window, keep));
  }

  /**
   * Deletions since `from` from getDeleted, per object; 'full' when they cannot all be known: the cursor is beyond
   * getDeleted's reach, Salesforce answers INVALID_REPLICATION_DATE, or its delete log starts after the cursor.
   */
  private async deletions(from: string, now: Date): Promise<{ ids: string[]; deletedFrom: string } | 'full'> {
    const start = minute(Date.parse(from));
    const dayStart = now.getTime() - (now.getTime() % dayMs);
    if (start < dayStart - getDeletedReachDays * dayMs) return 'full';
    const end = minute(now.getTime());
    // Seconds are ignored and the range must exceed one minute: a shorter one is asked next time.
    if (end - start <= 60_000) return { ids: [], deletedFrom: from };
    const ids: string[] = [];
    let covered = end;
    const iso = (ms: number) => new Date(ms).toISOString();
    for (const type of ['Event', 'Task']) {
      let doc: { deletedRecords?: { id: string }[]; earliestDateAvailable?: string; latestDateCovered?: string } | null;
      try {
        doc = (await this.client.call(
          'GET',
          `${data}/sobjects/${type}/deleted/?start=${encodeURIComponent(soqlDateTime(iso(start)))}&end=${encodeURIComponent(soqlDateTime(iso(end)))}`,
        )) as typeof doc;
      } catch (e) {
        if (deletionsUnknown(e)) return 'full';
        throw e;
      }
      if (doc?.earliestDateAvailable && Date.parse(doc.earliestDateAvailable) > start) return 'full';
      ids.push(...(doc?.deletedRecords ?? []).map((d) => d.id));
      if (doc?.latestDateCovered && Date.parse(doc.latestDateCovered) < covered)
        covered = Date.parse(doc.latestDateCovered);
    }
    return { ids, deletedFrom: iso(covered) };
  }

  private async list(
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CrmItem>,
  ): Promise<ChangeSet<CrmItem>> {
    const now = this.options.now();
    const parsed = parseCursor(cursor);
    const removedIds: string[] = [];
    let deletedFrom = now.toISOString();
    // Deletions first: when they cannot all be known, this listing becomes a full one.
    const gone = parsed ? await this.deletions(parsed.deletedFrom, now) : 'full';
    const full = gone === 'full';
    if (gone !== 'full') {
      removedIds.push(...gone.ids);
      deletedFrom = gone.deletedFrom;
    }
    const mine = `OwnerId = ${soqlString(this.options.me.id)}`;
    const since = full || !parsed ? null : `SystemModstamp >= ${soqlDateTime(parsed.since)}`;
    const from = new Date(window.from).toISOString();
    const upserts: CrmItem[] = [];
    let newest: string | null = null;
    const people = new Map<string, SfPerson | null>();
    // Each page is hydrated (its invitees and people; people already read for an earlier page are not asked
    // again) and filtered before the next is read: an unchanged listing is never held whole.
    const take = (records: (SfEvent | SfTask)[], items: CrmItem[]) => {
      // The cursor follows everything listed, whether or not the engine wants it back.
      for (const r of records) if (newest === null || r.SystemModstamp > newest) newest = r.SystemModstamp;
      for (const i of items) {
        const listed =
          !full ||
          i.type !== 'task' ||
          !i.fields.timing ||
          i.fields.timing.kind !== 'timed' ||
          i.fields.timing.end >= from;
        if (listed && (keep?.(i) ?? true)) upserts.push(i);
      }
    };
    const eventSoql = this.eventSoql(since ? [mine, since] : [mine, `EndDateTime >= ${soqlDateTime(window.from)}`]);
    for await (const events of this.client.queryPages<SfEvent>(eventSoql)) {
      take(events, await this.hydrate(events, [], people));
    }
    for await (const tasks of this.client.queryPages<SfTask>(this.taskSoql(since ? [mine, since] : [mine]))) {
      take(tasks, await this.hydrate([], tasks, people));
    }
    const previous = parsed && !full ? parsed.since : null;
    let next = newest
      ? new Date(Date.parse(newest) - overlapMs).toISOString()
      : (previous ?? new Date(now.getTime() - overlapMs).toISOString());
    if (previous && previous > next) next = previous;
    return { upserts, removedIds, full, nextCursor: `${cursorPrefix}${next}|${deletedFrom}` };
  }

  /** `known` carries people already read (null: read, no e-mail) across the pages of one listing. */
  private async hydrate(
    events: SfEvent[],
    tasks: SfTask[],
    known: Map<string, SfPerson | null> = new Map(),
  ): Promise<CrmItem[]> {
    for (const [object, records] of [
      ['Event', events],
      ['Task', tasks],
    ] as const) {
      const own = this.ownTags(object);
      if (!own || records.length === 0) continue;
      const tags = await own.tagsOf(records.map((r) => r.Id));
      for (const r of records) r[iCalUIdField] = tags.get(r.Id) ?? null;
    }
    const invitees = new Map<string, string[]>();
    const related = new Map<string, string[]>();
    const push = (m: Map<string, string[]>, k: string, v: string) => m.set(k, [...(m.get(k) ?? []), v]);
    // Without Shared Activities every relation is an invitee and there is no IsInvitee/IsParent to select.
    const flags = ['IsInvitee', 'IsParent'].filter((f) => this.known.has('EventRelation', f));
    for (const ids of chunks(
      events.map((e) => e.Id),
      200,
    )) {
      if (!ids.length) continue;
      const rows = await this.client.query<{
        EventId: string;
        RelationId: string;
        IsInvitee?: boolean;
        IsParent?: boolean;
      }>(
        `SELECT ${['EventId', 'RelationId', ...flags].join(', ')} FROM EventRelation WHERE EventId IN (${ids.map(soqlString).join(', ')})`,
      );
      for (const r of rows) {
        if (!isPersonId(r.RelationId)) continue;
        if (r.IsInvitee ?? true) push(invitees, r.EventId, r.RelationId);
        else if (r.IsParent) push(related, r.EventId, r.RelationId);
      }
    }
    const personIds = new Set<string>();
    for (const r of [...events, ...tasks]) if (r.WhoId && isPersonId(r.WhoId)) personIds.add(r.WhoId);
    for (const list of [...invitees.values(), ...related.values()]) list.forEach((id) => personIds.add(id));
    const unknown = [...personIds].filter((id) => !known.has(id));
    const read = await this.peopleById(unknown);
    for (const id of unknown) known.set(id, read.get(id) ?? null);
    const people = new Map<string, SfPerson>();
    for (const id of personIds) {
      const p = known.get(id);
      if (p) people.set(id, p);
    }
    const ctx = (inv: string[], rel: string[] = []) => ({
      instanceUrl: this.client.current.instanceUrl,
      invitees: inv,
      related: rel,
      people,
      me: this.options.me,
      syncFlagField: this.options.syncFlagField,
    });
    return [
      ...events.map((e) => eventToItem(e, ctx(invitees.get(e.Id) ?? [], related.get(e.Id) ?? []))),
      ...tasks.map((t) => taskToItem(t, ctx([]))),
    ];
  }

  private async peopleById(ids: string[]): Promise<Map<string, SfPerson>> {
    const people = new Map<string, SfPerson>();
    const contacts = ids.filter((id) => id.startsWith(prefixes.contact));
    const leads = ids.filter((id) => id.startsWith(prefixes.lead));
    for (const part of chunks(contacts, 200)) {
      for (const p of await this.client.query<{
        Id: string;
        Email: string | null;
        Name: string | null;
        AccountId: string | null;
      }>(`SELECT Id, Email, Name, AccountId FROM Contact WHERE Id IN (${part.map(soqlString).join(', ')})`)) {
        if (p.Email)
          people.set(p.Id, {
            id: p.Id,
            email: p.Email.toLowerCase(),
            name: p.Name,
            kind: 'contact',
            companyId: p.AccountId,
          });
      }
    }
    for (const part of chunks(leads, 200)) {
      for (const p of await this.client.query<{ Id: string; Email: string | null; Name: string | null }>(
        `SELECT Id, Email, Name FROM Lead WHERE Id IN (${part.map(soqlString).join(', ')})`,
      )) {
        if (p.Email)
          people.set(p.Id, { id: p.Id, email: p.Email.toLowerCase(), name: p.Name, kind: 'lead', companyId: null });
      }
    }
    return people;
  }

  async findByICalUId(iCalUIds: string[]): Promise<CrmItem[]> {
    return this.withOrg(() => this.findTagged(iCalUIds));
  }

  private async findTagged(iCalUIds: string[]): Promise<CrmItem[]> {
    // An import's plain tag and a CRM-born activity's written-back one.
    const uids = storedTagsFor(iCalUIds);
    if (uids.length === 0) return [];
    const own = this.ownTags('Event');
    if (own) {
      // A stock org: the tags are in the connector's own store, the events in Salesforce.
      const ids = [...new Set((await own.find(uids)).map((r) => r.itemId).filter(isEventId))];
      return ids.length ? [...(await this.readItems(ids)).values()] : [];
    }
    // No field and no store: nothing can be found by tag.
    if (!this.known.has('Event', iCalUIdField)) return [];
    const events: SfEvent[] = [];
    for (const part of chunks(uids, 100)) {
      events.push(
        ...(await this.client.query<SfEvent>(
          this.eventSoql([`${iCalUIdField} IN (${part.map(soqlString).join(', ')})`]),
        )),
      );
    }
    return this.hydrate(events, []);
  }

  async lookupPeople(emails: string[]): Promise<PersonMatch[]> {
    const wanted = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean))];
    const found = new Map<string, PersonMatch>();
    for (const part of chunks(wanted, 100)) {
      const list = part.map(soqlString).join(', ');
      // Salesforce compares e-mail fields case-insensitively.
      for (const c of await this.client.query<{
        Id: string;
        Email: string;
        Name: string | null;
        AccountId: string | null;
      }>(`SELECT Id, Email, Name, AccountId FROM Contact WHERE Email IN (${list}) ORDER BY CreatedDate`)) {
        const email = c.Email.toLowerCase();
        if (!found.has(email))
          found.set(email, { email, contactId: c.Id, kind: 'contact', name: c.Name, companyId: c.AccountId });
      }
      for (const l of await this.client.query<{ Id: string; Email: string; Name: string | null }>(
        `SELECT Id, Email, Name FROM Lead WHERE Email IN (${list}) AND IsConverted = false ORDER BY CreatedDate`,
      )) {
        const email = l.Email.toLowerCase();
        if (!found.has(email))
          found.set(email, { email, contactId: l.Id, kind: 'lead', name: l.Name, companyId: null });
      }
    }
    return [...found.values()];
  }

  async createContact(person: { email: string; name?: string }): Promise<PersonMatch> {
    const email = person.email.trim().toLowerCase();
    const [first, ...rest] = (person.name ?? '').trim().split(/\s+/).filter(Boolean);
    const body = rest.length
      ? { FirstName: first, LastName: rest.join(' '), Email: email }
      : { LastName: first ?? email.split('@')[0], Email: email };
    const res = (await this.client.call('POST', `${data}/sobjects/Contact`, body)) as { id?: string } | null;
    if (!res?.id) throw new ProviderError('permanent', 'Salesforce did not return the new contact');
    return { email, contactId: res.id, kind: 'contact', name: person.name ?? null, companyId: null };
  }

  private recordFields(type: 'Event' | 'Task', fields: Partial<SyncedFields>): Record<string, unknown> {
    const r: Record<string, unknown> = {};
    if (fields.subject !== undefined) r['Subject'] = fields.subject;
    if (fields.body !== undefined) r['Description'] = fields.body;
    if (type === 'Event') {
      if (fields.location !== undefined) r['Location'] = fields.location;
      if (fields.visibility !== undefined) r['IsPrivate'] = fields.visibility === 'private';
      if (fields.showAs !== undefined) r['ShowAs'] = fields.showAs === 'free' ? 'Free' : 'Busy';
      if (fields.timing) Object.assign(r, eventTimingFields(fields.timing));
      if (fields.reminderMinutes !== undefined || fields.timing) {
        const minutes = fields.reminderMinutes;
        if (minutes === null) r['IsReminderSet'] = false;
        else if (minutes !== undefined && fields.timing) {
          const start =
            fields.timing.kind === 'timed' ? fields.timing.start : `${fields.timing.startDate}T00:00:00.000Z`;
          r['IsReminderSet'] = true;
          r['ReminderDateTime'] = new Date(Date.parse(start) - minutes * 60_000).toISOString();
        }
      }
    } else if (fields.timing) {
      r['ActivityDate'] = (fields.timing.kind === 'timed' ? fields.timing.start : fields.timing.startDate).slice(0, 10);
    }
    return r;
  }

  /**
   * sObject Collections, answers in the order of `records`. Records go out grouped by object type: Salesforce
   * processes a request in chunks (runs of one type), at most 10 per request, and rejects a request with more.
   */
  private async composite(method: 'POST' | 'PATCH', records: Record<string, unknown>[]): Promise<CompositeResult[]> {
    const typeOf = (r: Record<string, unknown>) => (r['attributes'] as { type?: string } | undefined)?.type ?? '';
    const order = records
      .map((_, i) => i)
      .sort((a, b) => typeOf(records[a]!).localeCompare(typeOf(records[b]!)) || a - b);
    const out: CompositeResult[] = new Array<CompositeResult>(records.length);
    for (const part of chunks(order, 200)) {
      const res = (await this.client.call(method, `${data}/composite/sobjects`, {
        allOrNone: false,
        records: part.map((i) => records[i]),
      })) as CompositeResult[];
      part.forEach((i, k) => {
        out[i] = res[k] ?? { success: false, errors: [{ statusCode: 'UNKNOWN', message: 'no answer for the record' }] };
      });
    }
    return out;
  }

  /** An EventRelation making this person or user an invitee (IsInvitee exists only with Shared Activities). */
  private invitee(eventId: string, relationId: string): Record<string, unknown> {
    return {
      attributes: { type: 'EventRelation' },
      EventId: eventId,
      RelationId: relationId,
      ...(this.known.has('EventRelation', 'IsInvitee') ? { IsInvitee: true } : {}),
    };
  }

  private async readItems(ids: string[]): Promise<Map<string, CrmItem>> {
    const ev = ids.filter(isEventId);
    const tk = ids.filter(isTaskId);
    const events = ev.length
      ? await this.client.query<SfEvent>(this.eventSoql([`Id IN (${ev.map(soqlString).join(', ')})`]))
      : [];
    const tasks = tk.length
      ? await this.client.query<SfTask>(this.taskSoql([`Id IN (${tk.map(soqlString).join(', ')})`]))
      : [];
    return new Map((await this.hydrate(events, tasks)).map((i) => [i.id, i]));
  }

  /** Invitee rows for people not yet on the event (links are added, never removed). */
  private async addInvitees(pairs: { eventId: string; personIds: string[] }[]): Promise<void> {
    const ids = pairs.map((p) => p.eventId);
    if (ids.length === 0) return;
    const existing = await this.client.query<{ EventId: string; RelationId: string }>(
      `SELECT EventId, RelationId FROM EventRelation WHERE EventId IN (${ids.map(soqlString).join(', ')})`,
    );
    const have = new Set(existing.map((r) => `${r.EventId}/${r.RelationId}`));
    const records = pairs.flatMap((p) =>
      [...new Set(p.personIds)]
        .filter((id) => isPersonId(id) && !have.has(`${p.eventId}/${id}`))
        .map((id) => this.invitee(p.eventId, id)),
    );
    if (records.length) {
      const res = await this.composite('POST', records);
      const failed = res.find((r) => !r.success);
      if (failed) throw compositeError(failed, 'EventRelation');
    }
  }

  async writeItems(writes: CrmWrite[]): Promise<WriteResult<CrmItem | null>[]> {
    if (!this.org) await this.describeOrg();
    return this.write(writes);
  }

  private async write(writes: CrmWrite[]): Promise<WriteResult<CrmItem | null>[]> {
    const results: (WriteResult<CrmItem | null> | null)[] = writes.map(() => null);
    const touched = new Map<number, string>();
    const fail = (i: number, e: unknown) => {
      results[i] = { ok: false, error: e instanceof ProviderError ? e : new ProviderError('permanent', String(e)) };
    };

    // Creates: find lost creates by iCalUId first, then one composite request for the rest.
    const creates = writes.flatMap((w, i) => (w.op === 'create' ? [{ i, draft: w.draft }] : []));
    if (creates.length) {
      const existing = await this.findByICalUId(creates.map((c) => c.draft.iCalUId).filter(Boolean));
      const byUid = new Map(existing.map((e) => [e.iCalUId, e.id]));
      const toCreate: { i: number; draft: CrmDraft; record: Record<string, unknown> }[] = [];
      for (const c of creates) {
        const found = c.draft.iCalUId ? byUid.get(c.draft.iCalUId) : undefined;
        if (found) touched.set(c.i, found);
        else if (c.draft.type === 'meeting' || c.draft.type === 'call' || c.draft.type === 'task')
          toCreate.push({ ...c, record: this.createRecord(c.draft) });
        else fail(c.i, new ProviderError('invalid', `Salesforce has no ${c.draft.type} activity`));
      }
      try {
        const res = await this.composite(
          'POST',
          toCreate.map((c) => c.record),
        );
        const invitees: { eventId: string; personIds: string[] }[] = [];
        for (const [k, c] of toCreate.entries()) {
          const r = res[k];
          const own = this.ownTags(c.draft.type === 'task' ? 'Task' : 'Event');
          if (own && r?.success && r.id && c.draft.iCalUId)
            // The activity exists either way: a failed tag write only costs the lost-create lookup later.
            await own.put(r.id, c.draft.iCalUId).catch(() => undefined);
        }
        toCreate.forEach((c, k) => {
          const r = res[k];
          if (r?.success && r.id) {
            touched.set(c.i, r.id);
            if (isEventId(r.id)) invitees.push({ eventId: r.id, personIds: c.draft.links.contactIds });
          } else fail(c.i, compositeError(r, typeOfRecord(c.record)));
        });
        await this.addInvitees(invitees);
      } catch (e) {
        toCreate.forEach((c) => fail(c.i, e));
      }
    }

    // Updates (If-Match against SystemModstamp) in one composite PATCH.
    const updates = writes.flatMap((w, i) => (w.op === 'update' ? [{ i, w }] : []));
    if (updates.length) {
      try {
        const current = await this.readItems(updates.map((u) => u.w.id));
        const records: { i: number; record: Record<string, unknown> }[] = [];
        const invitees: { eventId: string; personIds: string[] }[] = [];
        for (const { i, w } of updates) {
          const cur = current.get(w.id);
          if (!cur) fail(i, new ProviderError('not-found', `Salesforce record ${w.id} not found`));
          else if (w.ifMatch !== null && cur.version !== w.ifMatch)
            fail(i, new ProviderError('conflict', `Salesforce record ${w.id} changed since it was read`));
          else {
            const type = isEventId(w.id) ? 'Event' : 'Task';
            const record: Record<string, unknown> = {
              attributes: { type },
              Id: w.id,
              ...this.recordFields(type, w.fields),
            };
            if (w.fields.attendees) {
              const wanted = await this.setInvitees(type, w.id, w.fields.attendees);
              record['WhoId'] = wanted[0] ?? null;
            }
            if (w.links) {
              const sf = await this.readRaw(w.id);
              const person = w.links.contactIds.find(isPersonId);
              const account = w.links.companyIds.find((c) => c.startsWith(prefixes.account));
              if (!sf?.WhoId && !record['WhoId'] && person) record['WhoId'] = person;
              if (!sf?.WhatId && account) record['WhatId'] = account;
              if (type === 'Event') invitees.push({ eventId: w.id, personIds: w.links.contactIds });
            }
            records.push({ i, record });
          }
        }
        const res = await this.composite(
          'PATCH',
          records.map((r) => r.record),
        );
        records.forEach((r, k) =>
          res[k]?.success
            ? touched.set(r.i, String(r.record['Id']))
            : fail(r.i, compositeError(res[k], typeOfRecord(r.record))),
        );
        await this.addInvitees(invitees);
      } catch (e) {
        updates.forEach((u) => results[u.i] ?? fail(u.i, e));
      }
    }

    // The rest, one by one: flags, the iCalUId tag, sharing with another user; archiving is Salesforce's own business.
    for (const [i, w] of writes.entries()) {
      if (w.op === 'create' || w.op === 'update') continue;
      try {
        if (w.op === 'archive' || w.op === 'unarchive') {
          throw new ProviderError('invalid', 'Salesforce archives activities itself; the connector cannot');
        }
        if (w.op === 'set-sync-flag') {
          if (!this.options.syncFlagField)
            throw new ProviderError('invalid', 'this Salesforce connection has no Sync-to-calendar field configured');
          const type = isEventId(w.id) ? 'Event' : 'Task';
          await this.client.call('PATCH', `${data}/sobjects/${type}/${encodeURIComponent(w.id)}`, {
            [this.options.syncFlagField]: w.value,
          });
        } else if (w.op === 'set-ical-uid') {
          // The connector's own custom field (on Event and Task): an API update e-mails no one.
          const type = isEventId(w.id) ? 'Event' : 'Task';
          const own = this.ownTags(type);
          if (own) {
            if (!(await this.readItems([w.id])).has(w.id))
              throw new ProviderError('not-found', `Salesforce record ${w.id} not found`);
            await own.put(w.id, writtenBackTag(w.iCalUId));
            touched.set(i, w.id);
            continue;
          }
          if (!this.known.has(type, iCalUIdField))
            throw new ProviderError('invalid', `this Salesforce org has no ${iCalUIdField} field on ${type}`);
          await this.client.call('PATCH', `${data}/sobjects/${type}/${encodeURIComponent(w.id)}`, {
            [iCalUIdField]: writtenBackTag(w.iCalUId),
          });
        } else {
          if (!isEventId(w.id)) throw new ProviderError('invalid', 'only Salesforce events have invitees');
          const users = await this.client.query<{ Id: string }>(
            `SELECT Id FROM User WHERE Email = ${soqlString(w.email.toLowerCase())} AND IsActive = true LIMIT 1`,
          );
          const user = users[0];
          if (!user) throw new ProviderError('not-found', `no active Salesforce user with the e-mail ${w.email}`);
          const res = await this.composite('POST', [this.invitee(w.id, user.Id)]);
          if (!res[0]?.success && res[0]?.errors?.[0]?.statusCode !== 'DUPLICATE_VALUE')
            throw compositeError(res[0], 'EventRelation');
        }
        touched.set(i, w.id);
      } catch (e) {
        fail(i, e);
      }
    }

    const items = touched.size ? await this.readItems([...new Set(touched.values())]) : new Map<string, CrmItem>();
    return results.map((r, i) => {
      if (r) return r;
      const item = items.get(touched.get(i) ?? '');
      return item
        ? { ok: true, value: item }
        : { ok: false, error: new ProviderError('not-found', 'record vanished after the write') };
    });
  }

  /**
   * Makes the event's contact/lead invitees the CRM people with these e-mails (addresses Salesforce does not know
   * cannot be stored); returns their ids, the first becoming WhoId.
   */
  private async setInvitees(type: 'Event' | 'Task', id: string, attendees: { email: string }[]): Promise<string[]> {
    const matches = await this.lookupPeople(attendees.map((a) => a.email));
    const wanted = matches.map((m) => m.contactId);
    if (type === 'Task') return wanted.slice(0, 1);
    const shared = this.known.has('EventRelation', 'IsInvitee');
    const rows = await this.client.query<{ Id: string; RelationId: string }>(
      `SELECT Id, RelationId FROM EventRelation WHERE EventId = ${soqlString(id)}${shared ? ' AND IsInvitee = true' : ''}`,
    );
    const stale = rows.filter((r) => isPersonId(r.RelationId) && !wanted.includes(r.RelationId)).map((r) => r.Id);
    for (const part of chunks(stale, 200)) {
      const res = (await this.client.call(
        'DELETE',
        `${data}/composite/sobjects?allOrNone=false&ids=${part.join(',')}`,
      )) as CompositeResult[];
      const failed = res.find((r) => !r.success);
      if (failed) throw compositeError(failed, 'EventRelation');
    }
    await this.addInvitees([{ eventId: id, personIds: wanted }]);
    return wanted;
  }

  private async readRaw(id: string): Promise<{ WhoId: string | null; WhatId: string | null } | null> {
    const type = isEventId(id) ? 'Event' : 'Task';
    const rows = await this.client.query<{ WhoId: string | null; WhatId: string | null }>(
      `SELECT WhoId, WhatId FROM ${type} WHERE Id = ${soqlString(id)}`,
    );
    return rows[0] ?? null;
  }

  private createRecord(d: CrmDraft): Record<string, unknown> {
    const type = d.type === 'task' ? 'Task' : 'Event';
    const r: Record<string, unknown> = {
      attributes: { type },
      OwnerId: this.options.me.id,
      ...this.recordFields(type, d.fields),
      ...(this.known.has(type, iCalUIdField) ? { [iCalUIdField]: d.iCalUId } : {}),
    };
    if (type === 'Event') {
      if (this.known.has('Event', 'Type')) r['Type'] = d.type === 'call' ? 'Call' : 'Meeting';
    } else {
      r['Status'] = 'Not Started';
      r['Priority'] = priorityToSf.normal;
    }
    const person = d.links.contactIds.find(isPersonId);
    const account = d.links.companyIds.find((c) => c.startsWith(prefixes.account));
    if (person) r['WhoId'] = person;
    if (account) r['WhatId'] = account;
    if (this.options.syncFlagField) r[this.options.syncFlagField] = d.syncToCalendar;
    return r;
  }
}

function parseCursor(cursor: string | null): { since: string; deletedFrom: string } | null {
  if (!cursor?.startsWith(cursorPrefix)) return null;
  const [since, deletedFrom] = cursor.slice(cursorPrefix.length).split('|');
  if (!since || !deletedFrom || Number.isNaN(Date.parse(since)) || Number.isNaN(Date.parse(deletedFrom))) return null;
  return { since, deletedFrom };
}
