/**
 * SuiteCRM 7/8 through the V8 JSON:API as an engine port.
 * - Listing: Meetings, Calls and Tasks assigned to the connected user, filtered on date_modified; the cursor restarts
 *   one minute before the newest change seen and the engine's content hashes absorb the repeats. Answers name
 *   records by their bean (`"type": "Meeting"`), requests by module: the module listed or read is the item's type.
 * - Deletions are soft in SuiteCRM (deleted=1, date_modified bumped), but the V8 API cannot list them: a list that
 *   matches a deleted row answers 400 "Meetings module with id <id> is not found". The client reads them one row
 *   per page from those answers (see SuiteCrmClient.deletedIds).
 * - People: the V8 filter cannot search e-mail addresses (email1 is not a column), so the Contacts and Leads
 *   directory is read once per run and matched here, case-insensitively.
 * - Invitees are the meeting's/call's Contacts and Leads relationships; the company is the Accounts parent.
 * - The iCalUId tag lives in `outlook_id` (the field SuiteCRM's own Outlook plug-in uses for the same purpose).
 */
import { ProviderError } from '../../../sync/errors';
import type { CrmItem, PersonMatch, SyncedFields } from '../../../sync/model';
import type {
  ChangeSet,
  CrmCapabilities,
  CrmProvider,
  CrmWrite,
  ListWindow,
  ListingFilter,
  WriteResult,
} from '../../../sync/ports';
import type { JsonApiResource, SuiteCrmClient } from './client';
import { storedTagsFor, writtenBackTag } from '../ical-uid-tag';
import {
  activityModules,
  composeId,
  joinLocation,
  splitLocation,
  priorityToSuite,
  splitId,
  timingToDb,
  toCrmItem,
  toDbDate,
  versionOf,
  type ActivityModule,
  type DirectoryPerson,
} from './mapping';

const cursorPrefix = 'suitecrm:v1:';
const overlapMs = 60_000;
/** Listed records hydrated and filtered together (one listing page). */
const hydrateChunk = 100;

export interface SuiteCrmOptions {
  /** The CRM user the connector acts for; `mailbox` is the connector user's own address (see SuiteCrmSecrets). */
  me: { id: string | null; email: string | null; mailbox?: string | null; account: string };
  syncFlagField: string | null;
}

function moduleOf(id: string): { module: ActivityModule; id: string } {
  const parts = splitId(id);
  if (!parts || !(activityModules as readonly string[]).includes(parts.module)) {
    throw new ProviderError('not-found', `${id} is not a SuiteCRM activity id`);
  }
  return { module: parts.module as ActivityModule, id: parts.id };
}

/** Concurrent reads against one SuiteCRM (a stock php-fpm pool or `php -S` with 4 workers serves that many). */
const readConcurrency = 4;

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The modules the connector reads or writes, each probed at connect (a role can deny any of them). */
export const probedModules = [
  ['Meetings', 'name'],
  ['Calls', 'name'],
  ['Tasks', 'name'],
  ['Contacts', 'last_name'],
  ['Leads', 'last_name'],
] as const;

/** Answers name a record by its bean ("Meeting"); the engine's ids and every request use the module ("Meetings"). */
function inModule(r: JsonApiResource, module: ActivityModule): JsonApiResource {
  return { ...r, type: module };
}

function dbMinus(iso: string, ms: number): string {
  return toDbDate(new Date(Date.parse(iso) - ms).toISOString());
}

export class SuiteCrmProvider implements CrmProvider {
  readonly kind = 'suitecrm';
  readonly capabilities: CrmCapabilities;
  private directory: Map<string, DirectoryPerson> | null = null;

  constructor(
    private readonly client: SuiteCrmClient,
    private readonly options: SuiteCrmOptions,
  ) {
    this.capabilities = {
      types: ['meeting', 'call', 'task'],
      recurrence: false,
      invitees: true,
      syncFlagField: options.syncFlagField !== null,
      archive: true,
      webhooks: false,
      maxBatch: 20,
      createContacts: true,
      // outlook_id exists on Meetings and Calls only.
      iCalUIdTypes: ['meeting', 'call'],
    };
  }

  /**
   * One cheap list per module the connector reads or writes (page of one, one field). Every denied module is
   * named in a single 'forbidden' error, so the user (or the SuiteCRM admin) fixes the role once.
   */
  async testConnection(): Promise<{ account: string }> {
    const denied: string[] = [];
    for (const [module, field] of probedModules) {
      const q = new URLSearchParams({ [`fields[${module}]`]: field, 'page[size]': '1' });
      try {
        await this.client.call('GET', `/module/${module}`, { query: q });
      } catch (e) {
        if (e instanceof ProviderError && e.kind === 'forbidden') denied.push(module);
        else throw e;
      }
    }
    if (denied.length) {
      throw new ProviderError(
        'forbidden',
        `This SuiteCRM user has no access to ${denied.join(', ')}: the connector needs to read and write them. Ask the SuiteCRM admin to allow ${denied.length > 1 ? 'these modules' : 'this module'} in the user's role (Admin → Role Management).`,
        { status: 400 },
      );
    }
    return { account: this.options.me.account };
  }

  private scopeQuery(module: ActivityModule): URLSearchParams {
    const q = new URLSearchParams({ 'filter[operator]': 'and', sort: 'date_modified' });
    if (this.options.me.id) q.set('filter[assigned_user_id][eq]', this.options.me.id);
    void module;
    return q;
  }

  async listChanges(
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CrmItem>,
  ): Promise<ChangeSet<CrmItem>> {
    const since = cursor?.startsWith(cursorPrefix) ? cursor.slice(cursorPrefix.length) : null;
    const full = !since || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(since);
    const upserts: CrmItem[] = [];
    const removedIds: string[] = [];
    const inWindow = (i: CrmItem) => {
      if (!full || !i.fields.timing) return true;
      const t = i.fields.timing;
      const end = t.kind === 'timed' ? t.end : `${t.endDate}T00:00:00.000Z`;
      return end >= new Date(window.from).toISOString();
    };
    let newest: string | null = null;
    for (const module of activityModules) {
      const q = this.scopeQuery(module);
      if (full) {
        if (module !== 'Tasks') q.set('filter[date_end][gte]', toDbDate(window.from));
      } else {
        q.set('filter[date_modified][gte]', since!);
      }
      // The pages are read back to back (page numbers over a date_modified sort shift when a record changes
      // between reads, so hydrating in between would widen that gap); the records are then hydrated and
      // filtered a page at a time, so the mapped listing of unchanged items is never held whole.
      const resources = (await this.client.listAll(module, q)).map((r) => inModule(r, module));
      for (let i = 0; i < resources.length; i += hydrateChunk) {
        for (const item of await this.hydrate(resources.slice(i, i + hydrateChunk))) {
          // The cursor follows everything listed, whether or not the engine wants it back.
          if (newest === null || item.modifiedAt > newest) newest = item.modifiedAt;
          if (inWindow(item) && (keep?.(item) ?? true)) upserts.push(item);
        }
      }
      if (!full) {
        const d = this.scopeQuery(module);
        d.set('filter[date_modified][gte]', since!);
        d.set(`fields[${module}]`, 'date_modified');
        for (const id of await this.client.deletedIds(module, d)) removedIds.push(composeId(module, id));
      }
    }
    const previous = full ? null : since!;
    const next = newest ? dbMinus(newest, overlapMs) : (previous ?? toDbDate(new Date(0).toISOString()));
    return {
      upserts,
      removedIds,
      full,
      nextCursor: `${cursorPrefix}${previous && previous > next ? previous : next}`,
    };
  }

  /** Reads the relationships and the people directory the records need. */
  private async hydrate(resources: JsonApiResource[]): Promise<CrmItem[]> {
    if (resources.length === 0) return [];
    const directory = await this.loadDirectory();
    // Each SuiteCRM request boots the whole application (~0.1-0.2 s): invitees of several records are read at once.
    const related = await mapLimit(resources, readConcurrency, (r) =>
      r.type === 'Tasks' ? Promise.resolve([]) : this.relatedPeople(r.type as ActivityModule, r.id),
    );
    return resources.map((r, i) =>
      toCrmItem(r, {
        baseUrl: this.client.baseUrl,
        relatedPeople: related[i] ?? [],
        directory,
        me: this.options.me,
        syncFlagField: this.options.syncFlagField,
      }),
    );
  }

  private async relatedPeople(module: ActivityModule, id: string): Promise<string[]> {
    const lists = await Promise.all(
      (
        [
          ['contacts', 'Contacts'],
          ['leads', 'Leads'],
        ] as const
      ).map(async ([link, target]) => {
        const doc = (await this.client.call('GET', `/module/${module}/${id}/relationships/${link}`)) as {
          data?: { id: string }[];
        } | null;
        return (doc?.data ?? []).map((d) => composeId(target, d.id));
      }),
    );
    return lists.flat();
  }

  private async relatedUsers(module: ActivityModule, id: string): Promise<string[]> {
    const doc = (await this.client.call('GET', `/module/${module}/${id}/relationships/users`)) as {
      data?: { id: string }[];
    } | null;
    return (doc?.data ?? []).map((d) => d.id);
  }

  private async loadDirectory(): Promise<Map<string, DirectoryPerson>> {
    if (this.directory) return this.directory;
    const directory = new Map<string, DirectoryPerson>();
    for (const [module, kind] of [
      ['Contacts', 'contact'],
      ['Leads', 'lead'],
    ] as const) {
      const q = new URLSearchParams({ [`fields[${module}]`]: 'first_name,last_name,email1,account_id' });
      for (const r of await this.client.listAll(module, q, 200)) {
        const a = r.attributes ?? {};
        const email = typeof a['email1'] === 'string' ? a['email1'].trim().toLowerCase() : '';
        if (!email) continue;
        const name = [a['first_name'], a['last_name']].filter((x) => typeof x === 'string' && x).join(' ') || null;
        const account =
          typeof a['account_id'] === 'string' && a['account_id'] ? composeId('Accounts', a['account_id']) : null;
        directory.set(composeId(module, r.id), { id: composeId(module, r.id), email, name, kind, companyId: account });
      }
    }
    this.directory = directory;
    return directory;
  }

  async findByICalUId(iCalUIds: string[]): Promise<CrmItem[]> {
    const found: JsonApiResource[] = [];
    // An import's plain tag and a CRM-born activity's written-back one.
    for (const uid of storedTagsFor(iCalUIds)) {
      for (const module of ['Meetings', 'Calls'] as const) {
        // Whoever owns it: one activity per meeting across the CRM's users.
        const q = new URLSearchParams({ 'filter[outlook_id][eq]': uid });
        found.push(...(await this.client.listAll(module, q)).map((r) => inModule(r, module)));
      }
    }
    return this.hydrate(found);
  }

  async lookupPeople(emails: string[]): Promise<PersonMatch[]> {
    if (emails.length === 0) return [];
    const wanted = new Set(emails.map((e) => e.trim().toLowerCase()));
    const directory = await this.loadDirectory();
    const matches: PersonMatch[] = [];
    // Contacts before leads for the same address: a converted lead's contact is the better link.
    const people = [...directory.values()].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'contact' ? -1 : 1));
    const seen = new Set<string>();
    for (const p of people) {
      if (!wanted.has(p.email) || seen.has(p.email)) continue;
      seen.add(p.email);
      matches.push({ email: p.email, contactId: p.id, kind: p.kind, name: p.name, companyId: p.companyId });
    }
    return matches;
  }

  async createContact(person: { email: string; name?: string }): Promise<PersonMatch> {
    const email = person.email.trim().toLowerCase();
    const [first, ...rest] = (person.name ?? '').trim().split(/\s+/).filter(Boolean);
    const lastName = rest.length ? rest.join(' ') : (first ?? email.split('@')[0] ?? email);
    const attributes: Record<string, string> = { last_name: lastName, email1: email };
    if (rest.length && first) attributes['first_name'] = first;
    if (this.options.me.id) attributes['assigned_user_id'] = this.options.me.id;
    const doc = (await this.client.call('POST', '/module', { body: { data: { type: 'Contacts', attributes } } })) as {
      data?: JsonApiResource;
    } | null;
    if (!doc?.data?.id) throw new ProviderError('permanent', 'SuiteCRM did not return the new contact');
    const match: PersonMatch = {
      email,
      contactId: composeId('Contacts', doc.data.id),
      kind: 'contact',
      name: person.name ?? null,
      companyId: null,
    };
    this.directory?.set(match.contactId, {
      id: match.contactId,
      email,
      name: match.name,
      kind: 'contact',
      companyId: null,
    });
    return match;
  }

  async writeItems(writes: CrmWrite[]): Promise<WriteResult<CrmItem | null>[]> {
    const results: WriteResult<CrmItem | null>[] = [];
    for (const w of writes) {
      try {
        results.push({ ok: true, value: await this.applyWrite(w) });
      } catch (e) {
        results.push({
          ok: false,
          error:
            e instanceof ProviderError ? e : new ProviderError('permanent', e instanceof Error ? e.message : String(e)),
        });
      }
    }
    return results;
  }

  private async read(module: ActivityModule, id: string): Promise<JsonApiResource> {
    const doc = (await this.client.call('GET', `/module/${module}/${encodeURIComponent(id)}`)) as {
      data?: JsonApiResource;
    } | null;
    if (!doc?.data) throw new ProviderError('not-found', `SuiteCRM ${module} ${id} not found`);
    return inModule(doc.data, module);
  }

  private async readItem(module: ActivityModule, id: string): Promise<CrmItem> {
    const [item] = await this.hydrate([await this.read(module, id)]);
    if (!item) throw new ProviderError('not-found', `SuiteCRM ${module} ${id} not found`);
    return item;
  }

  /** `current` supplies the other half of a Call's or Task's description when only body or location changes. */
  private fieldAttributes(
    module: ActivityModule,
    fields: Partial<SyncedFields>,
    current: JsonApiResource | null = null,
  ): Record<string, string | number> {
    const a: Record<string, string | number> = {};
    if (fields.subject !== undefined) a['name'] = fields.subject;
    if (module === 'Meetings') {
      if (fields.body !== undefined) a['description'] = fields.body;
      if (fields.location !== undefined) a['location'] = fields.location;
    } else if (fields.body !== undefined || fields.location !== undefined) {
      const was = splitLocation(String(current?.attributes?.['description'] ?? ''));
      a['description'] = joinLocation(fields.body ?? was.body, fields.location ?? was.location);
    }
    if (fields.reminderMinutes !== undefined && module !== 'Tasks') {
      a['reminder_time'] = fields.reminderMinutes === null ? -1 : fields.reminderMinutes * 60;
    }
    if (fields.timing) {
      const t = timingToDb(fields.timing);
      if (module === 'Tasks') {
        a['date_due'] = t.start;
        a['date_due_flag'] = 0;
      } else {
        a['date_start'] = t.start;
        a['date_end'] = t.end;
        a['duration_hours'] = Math.floor(t.minutes / 60);
        a['duration_minutes'] = t.minutes % 60;
      }
    }
    return a;
  }

  /**
   * Adds people and a company to an activity (links from newly matched attendees; the CRM user's own links stay):
   * meetings and calls relate Contacts/Leads, a task holds one contact; the company becomes the Accounts parent
   * when the activity has no parent yet.
   */
  private async addPeople(
    module: ActivityModule,
    id: string,
    contactIds: string[],
    companyIds: string[],
    current: JsonApiResource | null,
  ): Promise<Record<string, string>> {
    const attrs: Record<string, string> = {};
    const a = current?.attributes ?? {};
    const company = companyIds.map(splitId).find((c) => c?.module === 'Accounts');
    if (company && !a['parent_id']) {
      attrs['parent_type'] = 'Accounts';
      attrs['parent_id'] = company.id;
    }
    if (module === 'Tasks') {
      const contact = contactIds.map(splitId).find((c) => c?.module === 'Contacts');
      if (contact && !a['contact_id']) attrs['contact_id'] = contact.id;
      return attrs;
    }
    const existing = new Set(current ? await this.relatedPeople(module, id) : []);
    for (const c of new Set(contactIds)) {
      const p = splitId(c);
      if (existing.has(c) || !p || (p.module !== 'Contacts' && p.module !== 'Leads')) continue;
      await this.client.call('POST', `/module/${module}/${id}/relationships/${p.module.toLowerCase()}`, {
        body: { data: { type: p.module, id: p.id } },
      });
    }
    return attrs;
  }

  /**
   * Makes the invitees of an activity the CRM people with these e-mails (SuiteCRM holds invitees only as
   * Contacts/Leads relationships; an address the CRM does not know cannot be stored). Tasks hold one contact.
   */
  private async setAttendees(
    module: ActivityModule,
    id: string,
    attendees: { email: string }[],
  ): Promise<Record<string, string>> {
    const directory = await this.loadDirectory();
    const byEmail = new Map<string, DirectoryPerson>();
    for (const p of [...directory.values()].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'contact' ? -1 : 1))) {
      if (!byEmail.has(p.email)) byEmail.set(p.email, p);
    }
    const wanted = attendees
      .map((a) => byEmail.get(a.email.trim().toLowerCase()))
      .filter((p): p is DirectoryPerson => Boolean(p));
    if (module === 'Tasks') {
      const contact = wanted.find((p) => p.kind === 'contact');
      return { contact_id: contact ? (splitId(contact.id)?.id ?? '') : '' };
    }
    const wantedIds = new Set(wanted.map((p) => p.id));
    const current = await this.relatedPeople(module, id);
    for (const c of current) {
      if (wantedIds.has(c)) continue;
      const p = splitId(c)!;
      await this.client.call('DELETE', `/module/${module}/${id}/relationships/${p.module.toLowerCase()}/${p.id}`);
    }
    for (const c of wantedIds) {
      if (current.includes(c)) continue;
      const p = splitId(c)!;
      await this.client.call('POST', `/module/${module}/${id}/relationships/${p.module.toLowerCase()}`, {
        body: { data: { type: p.module, id: p.id } },
      });
    }
    return {};
  }

  private async patch(module: ActivityModule, id: string, attributes: Record<string, string | number>): Promise<void> {
    if (Object.keys(attributes).length === 0) return;
    await this.client.call('PATCH', '/module', { body: { data: { type: module, id, attributes } } });
  }

  /** A PATCH whose answer (201 with the whole record, as a single read gives it) is the item read back. */
  private async patchAndRead(
    module: ActivityModule,
    id: string,
    attributes: Record<string, string | number>,
  ): Promise<CrmItem> {
    const doc = (await this.client.call('PATCH', '/module', { body: { data: { type: module, id, attributes } } })) as {
      data?: JsonApiResource;
    } | null;
    if (!doc?.data?.id) return this.readItem(module, id);
    const [item] = await this.hydrate([inModule(doc.data, module)]);
    return item ?? this.readItem(module, id);
  }

  private async applyWrite(w: CrmWrite): Promise<CrmItem | null> {
    switch (w.op) {
      case 'create': {
        const d = w.draft;
        const module: ActivityModule | null =
          d.type === 'meeting' ? 'Meetings' : d.type === 'call' ? 'Calls' : d.type === 'task' ? 'Tasks' : null;
        if (!module) throw new ProviderError('invalid', `SuiteCRM has no ${d.type} activity`);
        if (d.iCalUId && module !== 'Tasks') {
          // A create whose answer was lost carries the same iCalUId: find it instead of creating a second one.
          const q = new URLSearchParams({ 'filter[outlook_id][eq]': d.iCalUId });
          if (this.options.me.id) q.set('filter[assigned_user_id][eq]', this.options.me.id);
          // An archived one is the user's decision, not a lost create: a new activity is wanted then.
          q.set('filter[status][neq]', 'Not Held');
          const [existing] = await this.client.listAll(module, q);
          if (existing) return this.readItem(module, existing.id);
        }
        const attributes: Record<string, string | number> = {
          ...this.fieldAttributes(module, d.fields),
          status: module === 'Tasks' ? 'Not Started' : 'Planned',
        };
        if (module !== 'Tasks') attributes['outlook_id'] = d.iCalUId;
        if (module === 'Calls') attributes['direction'] = 'Outbound';
        if (this.options.me.id) attributes['assigned_user_id'] = this.options.me.id;
        if (this.options.syncFlagField) attributes[this.options.syncFlagField] = d.syncToCalendar ? 1 : 0;
        const doc = (await this.client.call('POST', '/module', { body: { data: { type: module, attributes } } })) as {
          data?: JsonApiResource;
        } | null;
        const id = doc?.data?.id;
        if (!id) throw new ProviderError('permanent', 'SuiteCRM did not return the new record', { uncertain: true });
        await this.patch(module, id, await this.addPeople(module, id, d.links.contactIds, d.links.companyIds, null));
        return this.readItem(module, id);
      }
      case 'update': {
        const { module, id } = moduleOf(w.id);
        const needsCurrent =
          w.ifMatch !== null ||
          w.links ||
          (module !== 'Meetings' && (w.fields.body !== undefined || w.fields.location !== undefined));
        const current = needsCurrent ? await this.read(module, id) : null;
        if (current && w.ifMatch !== null && versionOf(current) !== w.ifMatch) {
          throw new ProviderError('conflict', `SuiteCRM ${module} ${id} changed since it was read`);
        }
        const attributes: Record<string, string | number> = this.fieldAttributes(module, w.fields, current);
        if (w.fields.attendees) Object.assign(attributes, await this.setAttendees(module, id, w.fields.attendees));
        if (w.links)
          Object.assign(attributes, await this.addPeople(module, id, w.links.contactIds, w.links.companyIds, current));
        await this.patch(module, id, attributes);
        return this.readItem(module, id);
      }
      case 'archive': {
        const { module, id } = moduleOf(w.id);
        return this.patchAndRead(module, id, { status: module === 'Tasks' ? 'Deferred' : 'Not Held' });
      }
      case 'unarchive': {
        const { module, id } = moduleOf(w.id);
        return this.patchAndRead(module, id, { status: module === 'Tasks' ? 'Not Started' : 'Planned' });
      }
      case 'set-sync-flag': {
        const { module, id } = moduleOf(w.id);
        if (!this.options.syncFlagField) {
          throw new ProviderError('invalid', 'this SuiteCRM connection has no Sync-to-calendar field configured');
        }
        return this.patchAndRead(module, id, { [this.options.syncFlagField]: w.value ? 1 : 0 });
      }
      case 'add-owner': {
        const { module, id } = moduleOf(w.id);
        if (module === 'Tasks') throw new ProviderError('invalid', 'a SuiteCRM task has a single assignee');
        const current = await this.read(module, id);
        const me = this.options.me;
        const mine = [me.email, me.mailbox].some((e) => e && e.toLowerCase() === w.email.toLowerCase());
        let userId = mine ? me.id : null;
        if (!userId) {
          const users = await this.client.listAll('Users', new URLSearchParams({ 'fields[Users]': 'email1' }));
          userId =
            users.find((u) => String(u.attributes?.['email1'] ?? '').toLowerCase() === w.email.toLowerCase())?.id ??
            null;
        }
        if (!userId) throw new ProviderError('invalid', 'no SuiteCRM user has that e-mail address');
        // Assigned to that user already, or already an invited user: nothing to add.
        const invited =
          userId === current.attributes?.['assigned_user_id'] ? [userId] : await this.relatedUsers(module, id);
        if (!invited.includes(userId)) {
          // The link form: the generic POST …/relationships picks another Meetings↔Users relationship for a user
          // and answers 201 without inviting anyone.
          await this.client.call('POST', `/module/${module}/${id}/relationships/users`, {
            body: { data: { type: 'Users', id: userId } },
          });
        }
        return this.readItem(module, id);
      }
      case 'set-ical-uid': {
        const { module, id } = moduleOf(w.id);
        if (module === 'Tasks') throw new ProviderError('invalid', 'a SuiteCRM task has no outlook_id');
        return this.patchAndRead(module, id, { outlook_id: writtenBackTag(w.iCalUId) });
      }
    }
  }
}

export const suiteCrmPriority = priorityToSuite;
