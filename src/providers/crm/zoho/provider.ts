/**
 * Zoho CRM v8 as the engine's CRM port: Events (meetings; "Meetings" in Zoho's UI), Calls and Tasks owned by the
 * connected user, Contacts with their Accounts.
 * - Listing: per module, `If-Modified-Since` (cursor − 5 minutes; 304 = nothing changed), 200 records a page
 *   (`page`, then `page_token` past 2,000); removals from `/{module}/deleted?type=all` since the cursor. Zoho's list
 *   API cannot filter by owner: the owner is checked here.
 * - Events: `Event_Title`, `Start_DateTime`/`End_DateTime`, `All_day`, `Venue`, `Description`, `Participants`
 *   (contacts, leads and plain e-mail addresses; written with `$send_notification: false`, so Zoho sends no
 *   invitation). Calls: `Subject`, `Call_Start_Time` + `Call_Duration` (mm:ss), one contact (`Who_Id`). Tasks:
 *   `Subject`, `Due_Date` (a date: midnight UTC), `Status` Completed, `Priority`. The company link is `What_Id` with
 *   `$se_module: Accounts`.
 * - The iCalUId tag is the custom field `CrmSync_ICalUId` (single line, on Events, Calls and Tasks, created by the
 *   admin); the Sync-to-calendar flag an optional checkbox field named at connect. No archive state (a Zoho user
 *   deletes); reminders not mapped.
 * - Recurrence: a meeting series is one Event with `Recurring_Activity` (RRULE + EXDATE, see ./recurrence.ts).
 *   Zoho's API has no changed occurrence of a series: a calendar series' moved/edited occurrence is refused with a
 *   named error (the Zoho series keeps that occurrence as the rule says); turning a series into a single meeting too.
 */
import { ProviderError } from '../../../sync/errors';
import { asProviderError, vendorCode } from '../../http/provider-errors';
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
import type { ActivityType } from '../../../shared/settings';
import { readICalUIdTag, storedTagsFor, writtenBackTag } from '../ical-uid-tag';
import { listingOverlapMs, timeCursor } from '../time-cursor';
import type { ZohoClient } from './client';
import { recurrenceFromZoho, recurrenceToZoho } from './recurrence';

export type ZohoModule = 'Events' | 'Calls' | 'Tasks';
export const zohoModules: readonly ZohoModule[] = ['Events', 'Calls', 'Tasks'];
export const zohoTagField = 'CrmSync_ICalUId';
const baseFields: Record<ZohoModule, string[]> = {
  Events: ['Event_Title', 'Start_DateTime', 'End_DateTime', 'All_day', 'Venue', 'Participants', 'Recurring_Activity'],
  Calls: ['Subject', 'Call_Start_Time', 'Call_Duration'],
  Tasks: ['Subject', 'Due_Date', 'Status', 'Priority'],
};
const commonFields = ['Description', 'Owner', 'What_Id', 'Who_Id', 'Modified_Time', zohoTagField];
const perPage = 200;
const listingCursor = timeCursor('zoho:v1:');

type ZRecord = Record<string, unknown> & { id: string };
interface ZList {
  data?: ZRecord[];
  info?: { more_records?: boolean; next_page_token?: string; page?: number };
}
interface ZAction {
  data?: { code?: string; status?: string; message?: string; details?: Record<string, unknown> }[];
}

export interface ZohoOptions {
  userId: string;
  userEmail: string;
  syncFlagField: string | null;
  now: () => Date;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const idOfLookup = (v: unknown): string => (v && typeof v === 'object' ? str((v as { id?: unknown }).id) : '');
/** Zoho date-times: ISO 8601 with an offset, to the second. */
const zohoTime = (iso: string) => `${new Date(iso).toISOString().slice(0, 19)}+00:00`;

function moduleOf(type: ActivityType): ZohoModule {
  if (type === 'call') return 'Calls';
  if (type === 'task') return 'Tasks';
  if (type === 'meeting' || type === 'follow-up') return 'Events';
  throw new ProviderError('invalid', `Zoho CRM has no ${type} activity the connector writes`);
}

function parseDuration(v: unknown): number {
  const m = /^(\d+):(\d{2})$/.exec(str(v));
  return m ? Number(m[1]) * 60_000 + Number(m[2]) * 1000 : 0;
}

function timingOf(module: ZohoModule, r: ZRecord): Timing | null {
  if (module === 'Tasks') {
    const due = str(r['Due_Date']);
    return due ? { kind: 'timed', start: `${due}T00:00:00.000Z`, end: `${due}T00:00:00.000Z`, timeZone: 'UTC' } : null;
  }
  const startRaw = str(module === 'Events' ? r['Start_DateTime'] : r['Call_Start_Time']);
  if (!startRaw || Number.isNaN(Date.parse(startRaw))) return null;
  const start = new Date(startRaw).toISOString();
  if (module === 'Calls') {
    return {
      kind: 'timed',
      start,
      end: new Date(Date.parse(start) + parseDuration(r['Call_Duration'])).toISOString(),
      timeZone: 'UTC',
    };
  }
  const endRaw = str(r['End_DateTime']);
  const end = endRaw && !Number.isNaN(Date.parse(endRaw)) ? new Date(endRaw).toISOString() : start;
  if (r['All_day'] === true) return { kind: 'all-day', startDate: start.slice(0, 10), endDate: end.slice(0, 10) };
  return { kind: 'timed', start, end, timeZone: 'UTC' };
}

function timingBody(module: ZohoModule, t: Timing): Record<string, unknown> {
  const start = t.kind === 'timed' ? t.start : `${t.startDate}T00:00:00.000Z`;
  const end = t.kind === 'timed' ? t.end : `${t.endDate}T00:00:00.000Z`;
  if (module === 'Tasks') return { Due_Date: new Date(start).toISOString().slice(0, 10) };
  if (module === 'Calls') {
    const seconds = Math.max(0, Math.round((Date.parse(end) - Date.parse(start)) / 1000));
    return {
      Call_Start_Time: zohoTime(start),
      Call_Duration: `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`,
    };
  }
  return { Start_DateTime: zohoTime(start), End_DateTime: zohoTime(end), All_day: t.kind === 'all-day' };
}

/** Zoho search criteria for `field equals one of values`, at most 10 conditions a request. */
function criteria(field: string, values: string[]): string {
  const one = (v: string) => `(${field}:equals:${v.replace(/([(),\\])/g, '\\$1')})`;
  return values.length === 1 ? one(values[0]!) : `(${values.map(one).join('or')})`;
}

export class ZohoProvider implements CrmProvider {
  readonly kind = 'zoho';
  readonly capabilities: CrmCapabilities;

  constructor(
    private readonly client: ZohoClient,
    private readonly options: ZohoOptions,
  ) {
    this.capabilities = {
      types: ['meeting', 'call', 'task'],
      recurrence: true,
      invitees: true,
      syncFlagField: options.syncFlagField !== null,
      archive: false,
      webhooks: false,
      maxBatch: 100,
      createContacts: true,
      reminders: false,
      // A call holds one contact (Who_Id) and no venue; a task neither. Only Events' series are mapped (a Zoho call
      // has no rule; task rules are not mapped), so a call or task never takes or gives a series' rule.
      missingFields: {
        call: ['location', 'attendees', 'recurrence'],
        task: ['location', 'attendees', 'recurrence'],
      },
    };
  }

  private fields(module: ZohoModule): string {
    return [
      'id',
      ...baseFields[module],
      ...commonFields,
      ...(this.options.syncFlagField ? [this.options.syncFlagField] : []),
    ].join(',');
  }

  async testConnection(): Promise<{ account: string }> {
    // Needs the modules scope and the connector's tag field (Zoho refuses an unknown field name).
    await this.client.call(
      'GET',
      `/crm/v8/Events?${new URLSearchParams({ fields: `id,${zohoTagField}`, per_page: '1' })}`,
    );
    return { account: this.options.userEmail };
  }

  private toItem(module: ZohoModule, r: ZRecord): CrmItem {
    const type: ActivityType = module === 'Events' ? 'meeting' : module === 'Calls' ? 'call' : 'task';
    const tag = readICalUIdTag(r[zohoTagField]);
    const flag = this.options.syncFlagField ? r[this.options.syncFlagField] : null;
    const participants = Array.isArray(r['Participants']) ? (r['Participants'] as Record<string, unknown>[]) : [];
    const attendees =
      module === 'Events'
        ? participants
            .filter((p) => str(p['type']) !== 'user' && str(p['Email']))
            .map((p) => ({ email: str(p['Email']).toLowerCase() }))
        : [];
    const contactIds = [
      ...new Set([
        ...participants
          .filter((p) => ['contact', 'lead'].includes(str(p['type'])))
          .map((p) => `${str(p['type'])}:${str(p['participant'])}`),
        ...(idOfLookup(r['Who_Id']) ? [`contact:${idOfLookup(r['Who_Id'])}`] : []),
      ]),
    ];
    const what = idOfLookup(r['What_Id']);
    const completed = module === 'Tasks' && r['Status'] === 'Completed';
    const timing = timingOf(module, r);
    const fields: CrmItem['fields'] = {
      subject: str(module === 'Events' ? r['Event_Title'] : r['Subject']),
      timing,
      body: str(r['Description']),
      location: module === 'Events' ? str(r['Venue']) : '',
      visibility: 'normal',
      showAs: completed ? 'free' : 'busy',
      attendees,
      recurrence: module === 'Events' ? recurrenceFromZoho(r['Recurring_Activity'], timing) : null,
      reminderMinutes: null,
    };
    const priority = str(r['Priority']).toLowerCase();
    return {
      id: `${module}:${r.id}`,
      type,
      version: str(r['Modified_Time']),
      modifiedAt: Number.isNaN(Date.parse(str(r['Modified_Time'])))
        ? new Date(0).toISOString()
        : new Date(str(r['Modified_Time'])).toISOString(),
      fields,
      ...(module === 'Tasks'
        ? {
            completed,
            priority:
              priority === 'high' || priority === 'highest'
                ? 'high'
                : priority === 'low' || priority === 'lowest'
                  ? 'low'
                  : 'normal',
          }
        : {}),
      syncToCalendar: flag === true ? true : flag === false ? false : null,
      archived: false,
      iCalUId: tag.iCalUId,
      origin: tag.origin,
      url: null,
      links: { contactIds, companyIds: what && r['$se_module'] === 'Accounts' ? [`account:${what}`] : [] },
      ownerEmails: [this.options.userEmail],
    };
  }

  /** Every page of a module listing; `onPage` sees each page before the next is read. */
  private async eachPage(
    path: string,
    query: Record<string, string>,
    headers: Record<string, string>,
    onPage: (rows: ZRecord[]) => Promise<void>,
  ): Promise<void> {
    let page = 1;
    let token: string | null = null;
    for (;;) {
      const q = new URLSearchParams({ ...query, per_page: String(perPage) });
      if (token) q.set('page_token', token);
      else q.set('page', String(page));
      const answer = await this.client.call<ZList>('GET', `${path}?${q.toString()}`, undefined, headers);
      await onPage(answer?.data ?? []);
      if (!answer?.info?.more_records) return;
      token = answer.info.next_page_token ?? null;
      page += 1;
    }
  }

  async listChanges(
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CrmItem>,
  ): Promise<ChangeSet<CrmItem>> {
    const now = this.options.now().getTime();
    const since = listingCursor.since(cursor);
    const full = since === null;
    const headers: Record<string, string> = full
      ? {}
      : { 'If-Modified-Since': zohoTime(new Date(since - listingOverlapMs).toISOString()) };
    const from = Date.parse(window.from);
    const items: CrmItem[] = [];
    const removedIds: string[] = [];
    for (const module of zohoModules) {
      await this.eachPage(`/crm/v8/${module}`, { fields: this.fields(module) }, headers, async (rows) => {
        for (const r of rows) {
          if (idOfLookup(r['Owner']) !== this.options.userId) continue;
          const item = this.toItem(module, r);
          const t = item.fields.timing;
          const end = t ? Date.parse(t.kind === 'timed' ? t.end : `${t.endDate}T00:00:00Z`) : null;
          // A series stays whatever its first occurrence's end: later occurrences may fall in the window.
          if (full && end !== null && end < from && !item.fields.recurrence) continue;
          if (keep?.(item) ?? true) items.push(item);
        }
      });
      if (!full) {
        await this.eachPage(`/crm/v8/${module}/deleted`, { type: 'all' }, headers, async (rows) => {
          for (const r of rows) removedIds.push(`${module}:${r.id}`);
        });
      }
    }
    return { upserts: items, removedIds, full, nextCursor: listingCursor.at(now) };
  }

  private async search(module: string, crit: string, fields: string): Promise<ZRecord[]> {
    const out: ZRecord[] = [];
    await this.eachPage(
      `/crm/v8/${module}/search`,
      { criteria: crit, fields },
      {},
      async (rows) => void out.push(...rows),
    );
    return out;
  }

  async findByICalUId(iCalUIds: string[]): Promise<CrmItem[]> {
    const tags = storedTagsFor(iCalUIds);
    const out: CrmItem[] = [];
    for (const module of zohoModules) {
      for (let i = 0; i < tags.length; i += 10) {
        const rows = await this.search(module, criteria(zohoTagField, tags.slice(i, i + 10)), this.fields(module));
        out.push(...rows.map((r) => this.toItem(module, r)));
      }
    }
    return out;
  }

  async lookupPeople(emails: string[]): Promise<PersonMatch[]> {
    const wanted = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean))];
    const found = new Map<string, PersonMatch>();
    for (let i = 0; i < wanted.length; i += 10) {
      const rows = await this.search(
        'Contacts',
        criteria('Email', wanted.slice(i, i + 10)),
        'id,Email,Full_Name,Account_Name',
      );
      for (const c of rows) {
        const email = str(c['Email']).toLowerCase();
        if (!email || found.has(email)) continue;
        const account = c['Account_Name'] as { id?: string; name?: string } | null | undefined;
        found.set(email, {
          email,
          contactId: `contact:${c.id}`,
          kind: 'contact',
          name: str(c['Full_Name']) || null,
          companyId: account?.id ? `account:${account.id}` : null,
          companyName: account?.name ?? null,
        });
      }
    }
    return [...found.values()];
  }

  async createContact(person: { email: string; name?: string }): Promise<PersonMatch> {
    const email = person.email.trim().toLowerCase();
    const [first, ...rest] = (person.name ?? '').trim().split(/\s+/).filter(Boolean);
    const answer = await this.client.call<ZAction>('POST', '/crm/v8/Contacts', {
      data: [
        rest.length
          ? { First_Name: first, Last_Name: rest.join(' '), Email: email }
          : { Last_Name: first ?? email.split('@')[0], Email: email },
      ],
      trigger: [],
    });
    const r = answer?.data?.[0];
    const id = str(r?.details?.['id']);
    if (r?.code !== 'SUCCESS' || !id)
      throw new ProviderError('invalid', `Zoho did not create the contact (${vendorCode(r?.code) ?? 'no code'})`);
    return { email, contactId: `contact:${id}`, kind: 'contact', name: person.name?.trim() || null, companyId: null };
  }

  private async fieldsBody(
    module: ZohoModule,
    f: Partial<SyncedFields>,
    current: CrmItem | null = null,
  ): Promise<Record<string, unknown>> {
    const b: Record<string, unknown> = {};
    if (f.recurrence !== undefined && module === 'Events') {
      const timing = f.timing ?? current?.fields.timing ?? null;
      if (f.recurrence && timing) b['Recurring_Activity'] = recurrenceToZoho(f.recurrence, timing);
      else if (f.recurrence) throw new ProviderError('invalid', 'recurrence: a Zoho series needs a start');
      else if (current?.fields.recurrence)
        throw new ProviderError('invalid', 'recurrence: the connector does not turn a Zoho series into one meeting');
    }
    if (f.subject !== undefined) b[module === 'Events' ? 'Event_Title' : 'Subject'] = f.subject;
    if (f.body !== undefined) b['Description'] = f.body;
    if (f.location !== undefined && module === 'Events') b['Venue'] = f.location;
    if (f.timing) Object.assign(b, timingBody(module, f.timing));
    if (f.attendees && module === 'Events') {
      const matches = new Map((await this.lookupPeople(f.attendees.map((a) => a.email))).map((m) => [m.email, m]));
      b['Participants'] = f.attendees.map((a) => {
        const m = matches.get(a.email.toLowerCase());
        return m
          ? { type: 'contact', participant: m.contactId.slice('contact:'.length) }
          : { type: 'email', participant: a.email.toLowerCase() };
      });
      // Zoho e-mails participants unless told not to.
      b['$send_notification'] = false;
    }
    return b;
  }

  private linkFields(links: CrmDraft['links'] | undefined): Record<string, unknown> {
    const b: Record<string, unknown> = {};
    const contact = links?.contactIds.find((c) => c.startsWith('contact:'));
    const account = links?.companyIds.find((c) => c.startsWith('account:'));
    if (contact) b['Who_Id'] = { id: contact.slice('contact:'.length) };
    if (account) {
      b['What_Id'] = { id: account.slice('account:'.length) };
      b['$se_module'] = 'Accounts';
    }
    return b;
  }

  private async read(ids: string[]): Promise<Map<string, CrmItem>> {
    const out = new Map<string, CrmItem>();
    for (const module of zohoModules) {
      const mine = ids.filter((id) => id.startsWith(`${module}:`)).map((id) => id.slice(module.length + 1));
      for (let i = 0; i < mine.length; i += 100) {
        const q = new URLSearchParams({ ids: mine.slice(i, i + 100).join(','), fields: this.fields(module) });
        const answer = await this.client.call<ZList>('GET', `/crm/v8/${module}?${q.toString()}`);
        for (const r of answer?.data ?? []) out.set(`${module}:${r.id}`, this.toItem(module, r));
      }
    }
    return out;
  }

  /** A per-record refusal, by Zoho's code and the field it names only (its message can quote the record). */
  private errorOf(r: { code?: string; details?: Record<string, unknown> } | undefined): ProviderError {
    const code = vendorCode(r?.code) ?? '';
    const field = vendorCode(r?.details?.['api_name']);
    const kind =
      code === 'INVALID_DATA' || code === 'MANDATORY_NOT_FOUND'
        ? 'invalid'
        : code === 'NO_PERMISSION'
          ? 'forbidden'
          : code === 'INVALID_DATA'
            ? 'invalid'
            : 'permanent';
    return new ProviderError(kind, `Zoho refused the record (${code || 'no code'}${field ? `, field ${field}` : ''})`);
  }

  async writeItems(writes: CrmWrite[]): Promise<WriteResult<CrmItem | null>[]> {
    const results: (WriteResult<CrmItem | null> | null)[] = writes.map(() => null);
    const touched = new Map<number, string>();
    const fail = (i: number, e: unknown) => {
      results[i] = { ok: false, error: asProviderError(e) };
    };
    const uids = writes.flatMap((w) => (w.op === 'create' ? [w.draft.iCalUId] : []));
    const existing = new Map((uids.length ? await this.findByICalUId(uids) : []).map((i) => [i.iCalUId, i.id]));
    const batches = new Map<string, { i: number; record: Record<string, unknown> }[]>();
    const add = (key: string, i: number, record: Record<string, unknown>) =>
      batches.set(key, [...(batches.get(key) ?? []), { i, record }]);
    for (const [i, w] of writes.entries()) {
      try {
        if (w.op === 'create') {
          const found = existing.get(w.draft.iCalUId);
          if (found) {
            touched.set(i, found);
            continue;
          }
          const module = moduleOf(w.draft.type);
          if (w.draft.occurrence)
            throw new ProviderError(
              'invalid',
              'Zoho CRM keeps no changed occurrence of a series: the Zoho series keeps this occurrence as its rule says',
            );
          const record: Record<string, unknown> = {
            ...(await this.fieldsBody(module, w.draft.fields)),
            ...this.linkFields(w.draft.links),
            Owner: { id: this.options.userId },
            [zohoTagField]: w.draft.iCalUId,
          };
          if (module === 'Tasks') record['Status'] = 'Not Started';
          if (module === 'Calls') record['Call_Type'] = 'Outbound';
          if (this.options.syncFlagField) record[this.options.syncFlagField] = w.draft.syncToCalendar;
          add(`POST ${module}`, i, record);
          continue;
        }
        const [module, id] = w.id.split(':') as [ZohoModule, string];
        if (!zohoModules.includes(module) || !id)
          throw new ProviderError('not-found', `${w.id} is not a Zoho record id`);
        let record: Record<string, unknown>;
        if (w.op === 'update') {
          // A changed rule needs the series' start (Zoho's DTSTART); clearing one is refused only for a series.
          const current =
            module === 'Events' && w.fields.recurrence !== undefined ? (await this.read([w.id])).get(w.id) : undefined;
          const fieldsBody = await this.fieldsBody(module, w.fields, current ?? null);
          record = { ...fieldsBody, ...this.linkFields(w.links) };
        } else if (w.op === 'set-ical-uid') record = { [zohoTagField]: writtenBackTag(w.iCalUId) };
        else if (w.op === 'set-sync-flag') {
          if (!this.options.syncFlagField)
            throw new ProviderError('invalid', 'no Sync-to-calendar field was named when Zoho CRM was connected');
          record = { [this.options.syncFlagField]: w.value };
        } else if (w.op === 'add-owner') {
          if (module !== 'Events') throw new ProviderError('invalid', 'only Zoho meetings have further participants');
          const users = await this.client.call<{ users?: { id: string; email?: string }[] }>(
            'GET',
            '/crm/v8/users?type=ActiveUsers',
          );
          const user = (users?.users ?? []).find((u) => str(u.email).toLowerCase() === w.email.toLowerCase());
          if (!user) throw new ProviderError('not-found', `no Zoho user with the e-mail ${w.email}`);
          const current = (await this.read([w.id])).get(w.id);
          if (!current) throw new ProviderError('not-found', `${w.id} is gone`);
          const q = new URLSearchParams({ ids: id, fields: 'Participants' });
          const raw = (await this.client.call<ZList>('GET', `/crm/v8/Events?${q.toString()}`))?.data?.[0];
          const participants = Array.isArray(raw?.['Participants'])
            ? (raw['Participants'] as Record<string, unknown>[])
            : [];
          record = {
            Participants: [
              ...participants.map((p) => ({ type: str(p['type']), participant: str(p['participant']) })),
              { type: 'user', participant: user.id },
            ],
            $send_notification: false,
          };
        } else throw new ProviderError('invalid', 'Zoho CRM records have no archive state');
        add(`PUT ${module}`, i, { id, ...record });
        touched.set(i, w.id);
      } catch (e) {
        fail(i, e);
      }
    }
    for (const [key, list] of batches) {
      const [method, module] = key.split(' ') as ['POST' | 'PUT', ZohoModule];
      for (let k = 0; k < list.length; k += 100) {
        const chunk = list.slice(k, k + 100);
        try {
          const answer = await this.client.call<ZAction>(method, `/crm/v8/${module}`, {
            data: chunk.map((c) => c.record),
            trigger: [],
          });
          chunk.forEach((c, n) => {
            const r = answer?.data?.[n];
            if (r?.code === 'SUCCESS') {
              if (method === 'POST') touched.set(c.i, `${module}:${str(r.details?.['id'])}`);
            } else {
              touched.delete(c.i);
              fail(c.i, this.errorOf(r));
            }
          });
        } catch (e) {
          chunk.forEach((c) => {
            touched.delete(c.i);
            fail(c.i, e);
          });
        }
      }
    }
    const ids = [...new Set([...touched.entries()].filter(([i]) => !results[i]).map(([, id]) => id))];
    const items = ids.length ? await this.read(ids) : new Map<string, CrmItem>();
    return results.map((r, i) => {
      if (r) return r;
      const item = items.get(touched.get(i) ?? '');
      return item
        ? { ok: true, value: item }
        : { ok: false, error: new ProviderError('not-found', 'the Zoho record is gone') };
    });
  }
}
