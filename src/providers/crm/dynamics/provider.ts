/**
 * Microsoft Dynamics 365 (Dataverse Web API) as an engine port.
 * - Listing: change tracking per entity set (appointments, phonecalls, tasks): the first listing ends with an
 *   @odata.deltaLink, later ones read only changes and `$deletedEntity` removals. Change tracking allows no
 *   $filter, so the owner is checked here. An expired delta token gives a full listing.
 * - Invitees are activity parties (appointments: required/optional attendees; phone calls: recipients), resolved
 *   to contacts/leads or kept as unresolved e-mail addresses; the company is an account "regarding".
 * - The iCalUId tag is the appointment's globalobjectid. Writes go out as one $batch of independent operations.
 * - Activity parties are read from `activityparties` (GET only there) and written with the activity through its
 *   `<entity>_activity_parties` collection, which replaces the whole list: other parties are written back with it.
 * - All-day appointments: boundaries are the user's local midnights stored in UTC; read with the user's bias
 *   (usersettings), written with Dataverse's own conversion (UtcTimeFromLocalTime).
 * - Leads exist only with the Sales app: without it (404) people are contacts only.
 * - A recurring series' instances are appointments of their own and are mirrored one by one; the series master
 *   (recurringappointmentmaster, instancetypecode 1) is not read.
 */
import { ProviderError } from '../../../sync/errors';
import type { CrmDraft, CrmItem, Person, PersonMatch, SyncedFields, Timing } from '../../../sync/model';
import type {
  ChangeSet,
  CrmCapabilities,
  CrmProvider,
  CrmWrite,
  ListWindow,
  ListingFilter,
  WriteResult,
} from '../../../sync/ports';
import { providerErrorFromStatus } from './errors';
import type { BatchOperation, DynamicsClient } from './client';
import { dataverseError, entitySetOf, errorCodeOfBody } from './client';
import { readICalUIdTag, storedTagsFor, writtenBackTag } from '../ical-uid-tag';

type EntitySet = 'appointments' | 'phonecalls' | 'tasks';
const entitySets: readonly EntitySet[] = ['appointments', 'phonecalls', 'tasks'];
const logical: Record<EntitySet, string> = { appointments: 'appointment', phonecalls: 'phonecall', tasks: 'task' };
const selects: Record<EntitySet, string> = {
  appointments:
    'activityid,subject,scheduledstart,scheduledend,isalldayevent,description,location,statecode,_ownerid_value,_regardingobjectid_value,modifiedon,globalobjectid,instancetypecode',
  phonecalls:
    'activityid,subject,scheduledstart,scheduledend,description,statecode,_ownerid_value,_regardingobjectid_value,modifiedon',
  tasks:
    'activityid,subject,scheduledend,description,statecode,prioritycode,_ownerid_value,_regardingobjectid_value,modifiedon',
};
const partyMasks: Record<EntitySet, number[]> = { appointments: [5, 6], phonecalls: [2], tasks: [] };
const lookupType = '@Microsoft.Dynamics.CRM.lookuplogicalname';
const prefer = 'odata.include-annotations="*"';
const cursorPrefix = 'dynamics:v1:';

type Row = Record<string, unknown> & { activityid: string; '@odata.etag'?: string };

interface Party {
  activityId: string;
  mask: number;
  partyId: string | null;
  partyType: string | null;
  email: string;
}

export interface DynamicsOptions {
  me: { id: string; email: string | null; account: string };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const setOf = (id: string): { set: EntitySet; guid: string } => {
  const [type, guid] = id.split(':');
  const set = entitySets.find((s) => logical[s] === type);
  if (!set || !guid || !/^[0-9a-f-]{36}$/i.test(guid))
    throw new ProviderError('not-found', `${id} is not a Dynamics activity id`);
  return { set, guid };
};

const dayMs = 86_400_000;
/**
 * The user's local date of an all-day boundary. Date-time columns come back in UTC; an all-day appointment's
 * boundaries are the user's local midnights. `biasMinutes` is the user's standard-time bias (UTC = local + bias);
 * rounding to the nearest midnight absorbs daylight saving time.
 */
function localDate(utc: string, biasMinutes: number): string {
  const local = Date.parse(utc) - biasMinutes * 60_000;
  return new Date(Math.floor((local + dayMs / 2) / dayMs) * dayMs).toISOString().slice(0, 10);
}

function timingOf(set: EntitySet, r: Row, biasMinutes: number): Timing | null {
  if (set === 'tasks') {
    const due = str(r['scheduledend']);
    return due
      ? { kind: 'timed', start: new Date(due).toISOString(), end: new Date(due).toISOString(), timeZone: 'UTC' }
      : null;
  }
  const start = str(r['scheduledstart']);
  const end = str(r['scheduledend']) || start;
  if (!start) return null;
  if (r['isalldayevent'] === true)
    return { kind: 'all-day', startDate: localDate(start, biasMinutes), endDate: localDate(end, biasMinutes) };
  return { kind: 'timed', start: new Date(start).toISOString(), end: new Date(end).toISOString(), timeZone: 'UTC' };
}

/** `midnight(date)`: the UTC instant of the user's local midnight starting that date. */
async function timingBody(
  set: EntitySet,
  t: Timing,
  midnight: (date: string) => Promise<string>,
): Promise<Record<string, unknown>> {
  if (set === 'tasks') return { scheduledend: t.kind === 'timed' ? t.start : `${t.startDate}T00:00:00Z` };
  if (t.kind === 'all-day') {
    return {
      scheduledstart: await midnight(t.startDate),
      scheduledend: await midnight(t.endDate),
      ...(set === 'appointments' ? { isalldayevent: true } : {}),
    };
  }
  return { scheduledstart: t.start, scheduledend: t.end, ...(set === 'appointments' ? { isalldayevent: false } : {}) };
}

const priorities = { 0: 'low', 1: 'normal', 2: 'high' } as const;
const archiveState: Record<EntitySet, { statecode: number; statuscode: number }> = {
  appointments: { statecode: 2, statuscode: 4 },
  phonecalls: { statecode: 2, statuscode: 3 },
  tasks: { statecode: 2, statuscode: 6 },
};
const openState: Record<EntitySet, { statecode: number; statuscode: number }> = {
  appointments: { statecode: 3, statuscode: 5 },
  phonecalls: { statecode: 0, statuscode: 1 },
  tasks: { statecode: 0, statuscode: 2 },
};

export class DynamicsProvider implements CrmProvider {
  readonly kind = 'dynamics365';
  readonly capabilities: CrmCapabilities = {
    types: ['meeting', 'call', 'task'],
    recurrence: false,
    invitees: true,
    syncFlagField: false,
    archive: true,
    webhooks: false,
    maxBatch: 100,
    createContacts: true,
    reminders: false,
    // A phone call has no location column; a task neither location nor activity parties.
    missingFields: { call: ['location'], task: ['location', 'attendees'] },
    // The iCalUId tag is the appointment's globalobjectid; phone calls and tasks have no such column.
    iCalUIdTypes: ['meeting'],
  };

  constructor(
    private readonly client: DynamicsClient,
    private readonly options: DynamicsOptions,
  ) {}

  /** The user's time zone (usersettings), read once per opened port. */
  private zone: Promise<{ code: number; biasMinutes: number }> | null = null;
  /** False once the org answered that it has no lead table (no Sales app). */
  private hasLeads = true;

  private userZone(): Promise<{ code: number; biasMinutes: number }> {
    this.zone ??= this.client
      .json<{ timezonecode?: number; timezonebias?: number } | null>(
        'GET',
        `usersettingscollection(${this.options.me.id})?$select=timezonecode,timezonebias`,
      )
      .then((r) => ({ code: r?.timezonecode ?? 92, biasMinutes: r?.timezonebias ?? 0 }))
      .catch((e: unknown) => {
        this.zone = null;
        throw e;
      });
    return this.zone;
  }

  /** Dataverse converts with its own time zone rules (UtcTimeFromLocalTime): summer time included. */
  private async localMidnight(date: string): Promise<string> {
    const { code } = await this.userZone();
    const r = await this.client.json<{ UtcTime?: string } | null>(
      'GET',
      `UtcTimeFromLocalTime(TimeZoneCode=@p1,LocalTime=@p2)?@p1=${code}&@p2=${date}T00:00:00Z`,
    );
    if (!r?.UtcTime) throw new ProviderError('permanent', 'Dataverse UtcTimeFromLocalTime without UtcTime');
    return r.UtcTime;
  }

  async testConnection(): Promise<{ account: string }> {
    // Each table the connector reads: a missing Read privilege is named at connect, not at the first run.
    for (const set of entitySets) await this.client.json('GET', `${set}?$select=activityid&$top=1`);
    return { account: this.options.me.account };
  }

  async listChanges(
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CrmItem>,
  ): Promise<ChangeSet<CrmItem>> {
    const links = parseCursor(cursor);
    let full = links === null;
    const collected: { set: EntitySet; rows: Row[]; removed: string[]; delta: string | null }[] = [];
    if (links) {
      try {
        for (const set of entitySets) {
          const { rows, deltaLink } = await this.client.pages<Row>(
            links[set],
            `odata.track-changes,odata.maxpagesize=500,${prefer}`,
          );
          const removed = rows
            .filter((r) => str(r['@odata.context']).endsWith('$deletedEntity'))
            .map((r) => `${logical[set]}:${str(r['id'])}`);
          collected.push({ set, rows: rows.filter((r) => r.activityid), removed, delta: deltaLink });
        }
      } catch (e) {
        // An expired or unknown delta token: start over with a full listing (the engine never deletes on it).
        if (!(e instanceof ProviderError) || (e.kind !== 'invalid' && e.kind !== 'not-found')) throw e;
        full = true;
        collected.length = 0;
      }
    }
    const from = new Date(window.from).toISOString();
    const items: CrmItem[] = [];
    const take = async (set: EntitySet, rows: Row[]): Promise<void> => {
      const mine = rows.filter((r) => str(r['_ownerid_value']) === this.options.me.id);
      for (const item of await this.toItems(set, mine)) {
        const t = item.fields.timing;
        const end = t ? (t.kind === 'timed' ? t.end : `${t.endDate}T00:00:00.000Z`) : null;
        if ((!full || end === null || end >= from) && (keep?.(item) ?? true)) items.push(item);
      }
    };
    const next: Record<string, string> = {};
    const noTracking = (set: EntitySet) =>
      new ProviderError('permanent', `change tracking is not enabled for ${set} in this Dataverse org`);
    if (full) {
      // Every page is mapped and filtered before the next is read: an unchanged listing is never held whole.
      // (The changes of an incremental listing above are few, and filtered only once it can no longer turn
      // into a full listing.)
      for (const set of entitySets) {
        const delta = await this.client.eachPage<Row>(
          `${set}?$select=${selects[set]}`,
          `odata.track-changes,odata.maxpagesize=500,${prefer}`,
          (rows) => take(set, rows),
        );
        if (!delta) throw noTracking(set);
        next[set] = delta;
      }
    } else {
      for (const c of collected) {
        if (!c.delta) throw noTracking(c.set);
        next[c.set] = c.delta;
      }
      for (const c of collected) await take(c.set, c.rows);
    }
    return {
      upserts: items,
      removedIds: collected.flatMap((c) => c.removed),
      full,
      nextCursor: `${cursorPrefix}${Buffer.from(JSON.stringify(next)).toString('base64url')}`,
    };
  }

  private async parties(ids: string[]): Promise<Party[]> {
    const out: Party[] = [];
    for (let i = 0; i < ids.length; i += 40) {
      const filter = ids
        .slice(i, i + 40)
        .map((g) => `_activityid_value eq ${g}`)
        .join(' or ');
      const { rows } = await this.client.pages<Record<string, unknown>>(
        `activityparties?$select=_activityid_value,_partyid_value,participationtypemask,addressused&$filter=${encodeURIComponent(filter)}`,
        prefer,
      );
      for (const r of rows) {
        out.push({
          activityId: str(r['_activityid_value']),
          mask: Number(r['participationtypemask']),
          partyId: str(r['_partyid_value']) || null,
          partyType: str(r[`_partyid_value${lookupType}`]) || null,
          email: str(r['addressused']).toLowerCase(),
        });
      }
    }
    return out;
  }

  private async toItems(set: EntitySet, all: Row[]): Promise<CrmItem[]> {
    // A recurring series' master is not an activity of its own; its instances are (one by one).
    const rows = all.filter((r) => r['instancetypecode'] !== 1);
    if (rows.length === 0) return [];
    const bias = rows.some((r) => r['isalldayevent'] === true) ? (await this.userZone()).biasMinutes : 0;
    const parties = partyMasks[set].length ? await this.parties(rows.map((r) => r.activityid)) : [];
    return rows.map((r) => {
      const mine = parties.filter(
        (p) => p.activityId === r.activityid && partyMasks[set].includes(p.mask) && p.partyId !== this.options.me.id,
      );
      const attendees: Person[] = mine.filter((p) => p.email).map((p) => ({ email: p.email }));
      const contactIds = mine
        .filter((p) => p.partyId && (p.partyType === 'contact' || p.partyType === 'lead'))
        .map((p) => `${p.partyType}:${p.partyId}`);
      const regarding = str(r['_regardingobjectid_value']);
      const companyIds =
        regarding && str(r[`_regardingobjectid_value${lookupType}`]) === 'account' ? [`account:${regarding}`] : [];
      const state = Number(r['statecode']);
      const tag = readICalUIdTag(set === 'appointments' ? r['globalobjectid'] : null);
      const fields: CrmItem['fields'] = {
        subject: str(r['subject']),
        timing: timingOf(set, r, bias),
        body: str(r['description']),
        location: set === 'appointments' ? str(r['location']) : '',
        visibility: 'normal',
        showAs: set === 'tasks' && state === 1 ? 'free' : 'busy',
        attendees,
        recurrence: null,
        reminderMinutes: null,
      };
      return {
        id: `${logical[set]}:${r.activityid}`,
        type: set === 'appointments' ? 'meeting' : set === 'phonecalls' ? 'call' : 'task',
        version: str(r['@odata.etag']),
        modifiedAt: new Date(str(r['modifiedon']) || 0).toISOString(),
        fields,
        ...(set === 'tasks'
          ? { completed: state === 1, priority: priorities[Number(r['prioritycode']) as 0 | 1 | 2] ?? 'normal' }
          : {}),
        syncToCalendar: null,
        archived: state === 2,
        iCalUId: tag.iCalUId,
        origin: tag.origin,
        url: `${this.client.current.orgUrl}/main.aspx?pagetype=entityrecord&etn=${logical[set]}&id=${r.activityid}`,
        links: { contactIds, companyIds },
        ownerEmails: this.options.me.email ? [this.options.me.email] : [],
      };
    });
  }

  private async read(ids: string[]): Promise<Map<string, CrmItem>> {
    const out = new Map<string, CrmItem>();
    for (const set of entitySets) {
      const guids = ids
        .map((id) => setOf(id))
        .filter((x) => x.set === set)
        .map((x) => x.guid);
      if (!guids.length) continue;
      const filter = guids.map((g) => `activityid eq ${g}`).join(' or ');
      const { rows } = await this.client.pages<Row>(
        `${set}?$select=${selects[set]}&$filter=${encodeURIComponent(filter)}`,
        prefer,
      );
      for (const item of await this.toItems(set, rows)) out.set(item.id, item);
    }
    return out;
  }

  async findByICalUId(iCalUIds: string[]): Promise<CrmItem[]> {
    // An import's plain tag and a CRM-born activity's written-back one.
    const uids = storedTagsFor(iCalUIds);
    const out: CrmItem[] = [];
    for (let i = 0; i < uids.length; i += 40) {
      const filter = uids
        .slice(i, i + 40)
        .map((u) => `globalobjectid eq '${u.replace(/'/g, "''")}'`)
        .join(' or ');
      const { rows } = await this.client.pages<Row>(
        `appointments?$select=${selects.appointments}&$filter=${encodeURIComponent(filter)}`,
        prefer,
      );
      out.push(...(await this.toItems('appointments', rows)));
    }
    return out;
  }

  async lookupPeople(emails: string[]): Promise<PersonMatch[]> {
    const wanted = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean))];
    const found = new Map<string, PersonMatch>();
    for (let i = 0; i < wanted.length; i += 40) {
      const filter = encodeURIComponent(
        wanted
          .slice(i, i + 40)
          .map((e) => `emailaddress1 eq '${e.replace(/'/g, "''")}'`)
          .join(' or '),
      );
      const contacts = await this.client.pages<Record<string, unknown>>(
        `contacts?$select=contactid,emailaddress1,fullname,_parentcustomerid_value&$filter=${filter}`,
        prefer,
      );
      for (const c of contacts.rows) {
        const email = str(c['emailaddress1']).toLowerCase();
        const company = str(c['_parentcustomerid_value']);
        const isAccount = str(c[`_parentcustomerid_value${lookupType}`]) === 'account';
        if (!found.has(email)) {
          found.set(email, {
            email,
            contactId: `contact:${str(c['contactid'])}`,
            kind: 'contact',
            name: str(c['fullname']) || null,
            companyId: company && isAccount ? `account:${company}` : null,
          });
        }
      }
      const leads = this.hasLeads ? await this.leadsMatching(filter) : [];
      for (const l of leads) {
        const email = str(l['emailaddress1']).toLowerCase();
        if (!found.has(email))
          found.set(email, {
            email,
            contactId: `lead:${str(l['leadid'])}`,
            kind: 'lead',
            name: str(l['fullname']) || null,
            companyId: null,
          });
      }
    }
    return [...found.values()];
  }

  /** Leads exist only with the Sales app: without it the table answers 404, and people are contacts only. */
  private async leadsMatching(filter: string): Promise<Record<string, unknown>[]> {
    try {
      return (
        await this.client.pages<Record<string, unknown>>(
          `leads?$select=leadid,emailaddress1,fullname&$filter=${filter}`,
          prefer,
        )
      ).rows;
    } catch (e) {
      if (!(e instanceof ProviderError) || e.kind !== 'not-found') throw e;
      this.hasLeads = false;
      return [];
    }
  }

  async createContact(person: { email: string; name?: string }): Promise<PersonMatch> {
    const email = person.email.trim().toLowerCase();
    const [first, ...rest] = (person.name ?? '').trim().split(/\s+/).filter(Boolean);
    const body = rest.length
      ? { firstname: first, lastname: rest.join(' '), emailaddress1: email }
      : { lastname: first ?? email.split('@')[0], emailaddress1: email };
    const c = await this.client.json<{ contactid?: string }>('POST', 'contacts', body, {
      prefer: 'return=representation',
    });
    if (!c?.contactid) throw new ProviderError('permanent', 'Dataverse did not return the new contact');
    return { email, contactId: `contact:${c.contactid}`, kind: 'contact', name: person.name ?? null, companyId: null };
  }

  /** Party rows for attendees: known people by reference, other addresses as unresolved e-mail parties. */
  private async partiesFor(set: EntitySet, attendees: { email: string }[]): Promise<Record<string, unknown>[]> {
    const mask = set === 'phonecalls' ? 2 : 5;
    const matches = new Map((await this.lookupPeople(attendees.map((a) => a.email))).map((m) => [m.email, m]));
    return attendees.map((a) => {
      const m = matches.get(a.email.toLowerCase());
      if (!m) return { participationtypemask: mask, addressused: a.email.toLowerCase() };
      const [type, guid] = m.contactId.split(':');
      return { participationtypemask: mask, [`partyid_${type}@odata.bind`]: `/${type}s(${guid})` };
    });
  }

  /**
   * `existing`: the activity's id when it is an update. Writing the party collection replaces the whole list, so
   * the parties the attendees do not cover (organizer, owner, colleagues added as owners) are written back too.
   */
  private async fieldsBody(
    set: EntitySet,
    f: Partial<SyncedFields>,
    existing: string | null = null,
  ): Promise<Record<string, unknown>> {
    const b: Record<string, unknown> = {};
    if (f.subject !== undefined) b['subject'] = f.subject;
    if (f.body !== undefined) b['description'] = f.body;
    if (f.location !== undefined && set === 'appointments') b['location'] = f.location;
    if (f.timing) Object.assign(b, await timingBody(set, f.timing, (d) => this.localMidnight(d)));
    if (f.attendees && set !== 'tasks') {
      const kept = existing
        ? (await this.parties([existing]))
            .filter((p) => !partyMasks[set].includes(p.mask) || p.partyType === 'systemuser')
            .map(partyBody)
        : [];
      b[`${logical[set]}_activity_parties`] = [...kept, ...(await this.partiesFor(set, f.attendees))];
    }
    return b;
  }

  private async createOp(d: CrmDraft): Promise<BatchOperation> {
    const set: EntitySet | null =
      d.type === 'meeting' ? 'appointments' : d.type === 'call' ? 'phonecalls' : d.type === 'task' ? 'tasks' : null;
    if (!set) throw new ProviderError('invalid', `Dynamics has no ${d.type} activity`);
    const body: Record<string, unknown> = {
      ...(await this.fieldsBody(set, d.fields)),
      'ownerid@odata.bind': `/systemusers(${this.options.me.id})`,
    };
    if (set === 'appointments') body['globalobjectid'] = d.iCalUId;
    const account = d.links.companyIds.find((c) => c.startsWith('account:'));
    if (account)
      body[`regardingobjectid_account_${logical[set]}@odata.bind`] = `/accounts(${account.slice('account:'.length)})`;
    return { method: 'POST', path: set, body, headers: { Prefer: 'return=representation' } };
  }

  async writeItems(writes: CrmWrite[]): Promise<WriteResult<CrmItem | null>[]> {
    const results: (WriteResult<CrmItem | null> | null)[] = writes.map(() => null);
    const ops: { i: number; op: BatchOperation; id: string | null }[] = [];
    const lostCreates = new Map<number, string>();
    const fail = (i: number, e: unknown) => {
      results[i] = { ok: false, error: e instanceof ProviderError ? e : new ProviderError('permanent', String(e)) };
    };
    const existingByUid = new Map(
      (
        await this.findByICalUId(
          writes.flatMap((w) => (w.op === 'create' && w.draft.type === 'meeting' ? [w.draft.iCalUId] : [])),
        )
      )
        .filter((i) => !i.archived)
        .map((i) => [i.iCalUId, i.id]),
    );
    for (const [i, w] of writes.entries()) {
      try {
        if (w.op === 'create') {
          const found = existingByUid.get(w.draft.iCalUId);
          // A lost create carries the same iCalUId (globalobjectid): no second appointment, no write.
          if (found) lostCreates.set(i, found);
          else ops.push({ i, op: await this.createOp(w.draft), id: null });
          continue;
        }
        const { set, guid } = setOf(w.id);
        const path = `${set}(${guid})`;
        if (w.op === 'update') {
          const body = await this.fieldsBody(set, w.fields, guid);
          const account = w.links?.companyIds.find((c) => c.startsWith('account:'));
          if (account)
            body[`regardingobjectid_account_${logical[set]}@odata.bind`] =
              `/accounts(${account.slice('account:'.length)})`;
          ops.push({
            i,
            op: { method: 'PATCH', path, body, headers: w.ifMatch ? { 'If-Match': w.ifMatch } : {} },
            id: w.id,
          });
        } else if (w.op === 'archive' || w.op === 'unarchive') {
          ops.push({
            i,
            op: { method: 'PATCH', path, body: w.op === 'archive' ? archiveState[set] : openState[set] },
            id: w.id,
          });
        } else if (w.op === 'set-sync-flag') {
          throw new ProviderError('invalid', 'Dynamics has no Sync-to-calendar field for the connector');
        } else if (w.op === 'set-ical-uid') {
          // globalobjectid is valid for update (Dataverse appointment reference); phone calls and tasks have none.
          if (set !== 'appointments')
            throw new ProviderError('invalid', `a Dynamics ${logical[set]} has no globalobjectid`);
          ops.push({ i, op: { method: 'PATCH', path, body: { globalobjectid: writtenBackTag(w.iCalUId) } }, id: w.id });
        } else {
          if (set === 'tasks') throw new ProviderError('invalid', 'a Dynamics task has no attendees');
          const users = await this.client.json<{ value?: { systemuserid: string }[] }>(
            'GET',
            `systemusers?$select=systemuserid&$filter=${encodeURIComponent(`internalemailaddress eq '${w.email.toLowerCase().replace(/'/g, "''")}'`)}`,
          );
          const user = users?.value?.[0];
          if (!user) throw new ProviderError('not-found', `no Dynamics user with the e-mail ${w.email}`);
          // activityparty is read-only through the Web API: the activity's whole party list is written back with
          // the colleague added (Dataverse table reference, activityparty; "Activity parties").
          const mask = set === 'phonecalls' ? 2 : 5;
          const current = await this.parties([guid]);
          if (!current.some((p) => p.partyId === user.systemuserid && p.mask === mask)) {
            const parties = [
              ...current.map(partyBody),
              { participationtypemask: mask, 'partyid_systemuser@odata.bind': `/systemusers(${user.systemuserid})` },
            ];
            ops.push({
              i,
              op: { method: 'PATCH', path, body: { [`${logical[set]}_activity_parties`]: parties } },
              id: w.id,
            });
          } else lostCreates.set(i, w.id);
        }
      } catch (e) {
        fail(i, e);
      }
    }
    const answers = await this.client.batch(ops.map((o) => o.op));
    const touched = new Map<number, string>(lostCreates);
    answers.forEach((a, k) => {
      const o = ops[k]!;
      if (a.status >= 200 && a.status < 300) {
        const created =
          a.body && typeof a.body === 'object' ? str((a.body as Record<string, unknown>)['activityid']) : '';
        const set = o.op.method === 'POST' ? (o.op.path as EntitySet) : null;
        touched.set(o.i, o.id ?? (set && created ? `${logical[set]}:${created}` : ''));
      } else {
        // The code only: Dataverse's message text can echo the row's values.
        const code = errorCodeOfBody(a.body);
        const set = entitySetOf(o.op.path);
        fail(
          o.i,
          dataverseError(
            a.status,
            code,
            o.op.method,
            set,
            providerErrorFromStatus(
              a.status,
              `${o.op.method} ${set ?? 'row'}${code ? `: ${code}` : ''}`,
              a.headers['retry-after'],
            ),
          ),
        );
      }
    });
    const items = touched.size
      ? await this.read([...new Set([...touched.values()].filter(Boolean))])
      : new Map<string, CrmItem>();
    return results.map((r, i) => {
      if (r) return r;
      const item = items.get(touched.get(i) ?? '');
      return item
        ? { ok: true, value: item }
        : { ok: false, error: new ProviderError('not-found', 'record vanished after the write') };
    });
  }
}

/** A party row as the activity's party collection takes it back: by reference, or as a bare address. */
function partyBody(p: Party): Record<string, unknown> {
  return p.partyId && p.partyType
    ? { participationtypemask: p.mask, [`partyid_${p.partyType}@odata.bind`]: `/${p.partyType}s(${p.partyId})` }
    : { participationtypemask: p.mask, addressused: p.email };
}

function parseCursor(cursor: string | null): Record<EntitySet, string> | null {
  if (!cursor?.startsWith(cursorPrefix)) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor.slice(cursorPrefix.length), 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    return entitySets.every((s) => typeof parsed[s] === 'string') ? (parsed as Record<EntitySet, string>) : null;
  } catch {
    return null;
  }
}
