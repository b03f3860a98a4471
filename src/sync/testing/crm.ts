/**
 * A real, stateful in-memory CRM implementing the CrmProvider port. Several connector users can share one
 * MemoryCrmData (one CRM, many salespeople), which is how "one activity per meeting across CRM users" is tested.
 * The `user*` methods act as a salesperson would in the CRM's UI, bypassing the engine.
 */
import type { ActivityType, CrmItem, PersonMatch, Priority, SyncedFields } from '../model';
import type {
  ChangeSet,
  CrmCapabilities,
  CrmProvider,
  CrmWrite,
  ListWindow,
  ListingFilter,
  WriteResult,
} from '../ports';
import { ProviderError } from '../errors';
import { ChangeLog, nextVersion, timingEnd } from './change-log';

// Plain JSON data only: a JSON round trip is the cheapest deep copy for it (faster than structuredClone here).
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** The CRM's database, shareable by several MemoryCrm views (one per connector user). */
export class MemoryCrmData {
  readonly items = new Map<string, CrmItem>();
  readonly log = new ChangeLog();
  readonly byKey = new Map<string, string>();
  readonly people: PersonMatch[] = [];
  counter = 0;
}

export interface MemoryCrmOptions {
  userEmail?: string;
  capabilities?: Partial<CrmCapabilities>;
  people?: PersonMatch[];
  data?: MemoryCrmData;
  /** The clock its modification times come from: the world's (a test's or a benchmark's), never the wall's. */
  now: () => Date;
  /** Keep a copy of every write request in `writeLog` (default true; a long benchmark only needs `writeCount`). */
  keepWriteLog?: boolean;
}

export interface UserItemInput {
  type: ActivityType;
  fields: CrmItem['fields'];
  syncToCalendar?: boolean | null;
  completed?: boolean;
  priority?: Priority;
  ownerEmails?: string[];
  iCalUId?: string | null;
  occurrence?: CrmItem['occurrence'];
  links?: CrmItem['links'];
}

export class MemoryCrm implements CrmProvider {
  readonly kind = 'memory';
  readonly capabilities: CrmCapabilities;
  readonly userEmail: string;
  readonly data: MemoryCrmData;
  readonly writeLog: CrmWrite[] = [];
  /** Write requests received, whether or not they are kept in writeLog. */
  writeCount = 0;
  private readonly keepWriteLog: boolean;
  private readonly now: () => Date;

  constructor(options: MemoryCrmOptions) {
    this.userEmail = (options.userEmail ?? 'user@example.com').toLowerCase();
    this.capabilities = {
      types: ['meeting', 'call', 'follow-up', 'task', 'note'],
      recurrence: true,
      invitees: true,
      syncFlagField: true,
      archive: true,
      webhooks: false,
      maxBatch: 50,
      createContacts: true,
      reminders: true,
      ...options.capabilities,
    };
    this.data = options.data ?? new MemoryCrmData();
    if (options.people) this.data.people.push(...options.people);
    this.now = options.now;
    this.keepWriteLog = options.keepWriteLog ?? true;
  }

  async testConnection(): Promise<{ account: string }> {
    return { account: this.userEmail };
  }

  private mine(i: CrmItem): boolean {
    return i.ownerEmails.some((o) => o.toLowerCase() === this.userEmail);
  }

  private inWindow(i: CrmItem, window: ListWindow): boolean {
    const t = i.fields.timing;
    if (t === null || i.fields.recurrence !== null) return true;
    return timingEnd(t) >= window.from;
  }

  async listChanges(
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CrmItem>,
  ): Promise<ChangeSet<CrmItem>> {
    const from = this.data.log.parse(cursor);
    const wanted = (i: CrmItem): boolean => keep?.(i) ?? true;
    if (from === null) {
      const upserts = [...this.data.items.values()]
        .filter((i) => this.mine(i) && this.inWindow(i, window))
        .map(clone)
        .filter(wanted);
      return { upserts, removedIds: [], full: true, nextCursor: this.data.log.cursor };
    }
    const { changed, removed } = this.data.log.since(from);
    const upserts: CrmItem[] = [];
    for (const id of changed) {
      const i = this.data.items.get(id);
      if (i && this.mine(i) && this.inWindow(i, window)) {
        const listed = clone(i);
        if (wanted(listed)) upserts.push(listed);
      }
    }
    return { upserts, removedIds: removed, full: false, nextCursor: this.data.log.cursor };
  }

  async findByICalUId(iCalUIds: string[]): Promise<CrmItem[]> {
    const wanted = new Set(iCalUIds);
    return [...this.data.items.values()].filter((i) => i.iCalUId !== null && wanted.has(i.iCalUId)).map(clone);
  }

  async lookupPeople(emails: string[]): Promise<PersonMatch[]> {
    const wanted = new Set(emails.map((e) => e.toLowerCase()));
    return this.data.people.filter((p) => wanted.has(p.email.toLowerCase())).map(clone);
  }

  async createContact(person: { email: string; name?: string }): Promise<PersonMatch> {
    const existing = this.data.people.find((p) => p.email.toLowerCase() === person.email.toLowerCase());
    if (existing) return clone(existing);
    this.data.counter += 1;
    const match: PersonMatch = {
      email: person.email.toLowerCase(),
      contactId: `contact-${this.data.counter}`,
      kind: 'contact',
      name: person.name ?? null,
      companyId: null,
    };
    this.data.people.push(match);
    return clone(match);
  }

  async writeItems(writes: CrmWrite[]): Promise<WriteResult<CrmItem | null>[]> {
    if (writes.length > this.capabilities.maxBatch) {
      throw new ProviderError('invalid', `At most ${this.capabilities.maxBatch} writes per request`, { status: 400 });
    }
    const out: WriteResult<CrmItem | null>[] = [];
    for (const w of writes) {
      this.writeCount += 1;
      if (this.keepWriteLog) this.writeLog.push(clone(w));
      try {
        out.push({ ok: true, value: this.applyWrite(w) });
      } catch (e) {
        if (e instanceof ProviderError) out.push({ ok: false, error: e });
        else throw e;
      }
    }
    return out;
  }

  private applyWrite(w: CrmWrite): CrmItem {
    if (w.op === 'create') {
      const existingId = this.data.byKey.get(w.idempotencyKey);
      const existing = existingId ? this.data.items.get(existingId) : undefined;
      if (existing) return clone(existing);
      const item = this.insert({
        type: w.draft.type,
        fields: w.draft.fields,
        syncToCalendar: w.draft.syncToCalendar,
        iCalUId: w.draft.iCalUId,
        links: w.draft.links,
        occurrence: w.draft.occurrence,
        ownerEmails: [this.userEmail],
      });
      item.origin = 'calendar';
      this.data.byKey.set(w.idempotencyKey, item.id);
      return clone(item);
    }
    const item = this.data.items.get(w.id);
    if (!item) throw new ProviderError('not-found', `Activity ${w.id} not found`, { status: 404 });
    switch (w.op) {
      case 'update':
        if (w.ifMatch !== null && w.ifMatch !== item.version) {
          throw new ProviderError('conflict', `Activity ${w.id} changed since ${w.ifMatch}`, { status: 412 });
        }
        item.fields = { ...item.fields, ...clone(w.fields) };
        if (w.links) {
          item.links = {
            contactIds: [...new Set([...item.links.contactIds, ...w.links.contactIds])],
            companyIds: [...new Set([...item.links.companyIds, ...w.links.companyIds])],
          };
        }
        break;
      case 'archive':
        if (!this.capabilities.archive) throw new ProviderError('invalid', 'This CRM cannot archive', { status: 400 });
        item.archived = true;
        break;
      case 'unarchive':
        item.archived = false;
        break;
      case 'set-sync-flag':
        if (!this.capabilities.syncFlagField) {
          throw new ProviderError('invalid', 'This CRM has no Sync-to-calendar field', { status: 400 });
        }
        item.syncToCalendar = w.value;
        break;
      case 'add-owner':
        if (!item.ownerEmails.some((o) => o.toLowerCase() === w.email.toLowerCase())) item.ownerEmails.push(w.email);
        break;
      case 'set-ical-uid':
        if (!(this.capabilities.iCalUIdTypes ?? this.capabilities.types).includes(item.type)) {
          throw new ProviderError('invalid', `This CRM stores no iCalUId on a ${item.type}`, { status: 400 });
        }
        // Only the tag: the item stays CRM-born.
        item.iCalUId = w.iCalUId;
        break;
    }
    this.touch(item);
    return clone(item);
  }

  private touch(i: CrmItem): void {
    i.version = nextVersion(i.version);
    i.modifiedAt = this.now().toISOString();
    this.data.log.record(i.id, false);
  }

  private insert(input: UserItemInput): CrmItem {
    this.data.counter += 1;
    const id = `crm-${this.data.counter}`;
    const item: CrmItem = {
      id,
      type: input.type,
      version: 'v0',
      modifiedAt: this.now().toISOString(),
      fields: clone(input.fields),
      ...(input.completed !== undefined ? { completed: input.completed } : {}),
      ...(input.priority !== undefined ? { priority: input.priority } : {}),
      syncToCalendar: input.syncToCalendar ?? null,
      archived: false,
      iCalUId: input.iCalUId ?? null,
      origin: 'crm',
      ...(input.occurrence ? { occurrence: clone(input.occurrence) } : {}),
      url: `https://crm.example.test/activities/${id}`,
      links: clone(input.links ?? { contactIds: [], companyIds: [] }),
      ownerEmails: input.ownerEmails ? [...input.ownerEmails] : [this.userEmail],
    };
    this.data.items.set(id, item);
    this.touch(item);
    return item;
  }

  // ---- the user's side (bypasses the engine) ----

  userCreate(input: UserItemInput): CrmItem {
    return clone(this.insert(input));
  }

  userUpdate(
    id: string,
    patch: Partial<CrmItem['fields']> & { completed?: boolean; type?: ActivityType; priority?: Priority },
  ): CrmItem {
    const i = this.mustGet(id);
    const { completed, type, priority, ...fields } = patch;
    i.fields = { ...i.fields, ...clone(fields as Partial<SyncedFields>) };
    if (completed !== undefined) i.completed = completed;
    if (type !== undefined) i.type = type;
    if (priority !== undefined) i.priority = priority;
    this.touch(i);
    return clone(i);
  }

  userSetFlag(id: string, value: boolean | null): void {
    const i = this.mustGet(id);
    i.syncToCalendar = value;
    this.touch(i);
  }

  userArchive(id: string): void {
    const i = this.mustGet(id);
    i.archived = true;
    this.touch(i);
  }

  userDelete(id: string): void {
    this.mustGet(id);
    this.data.items.delete(id);
    this.data.log.record(id, true);
  }

  userTouch(id: string): void {
    this.touch(this.mustGet(id));
  }

  expireCursors(): void {
    this.data.log.expireCursors();
  }

  get(id: string): CrmItem | null {
    const i = this.data.items.get(id);
    return i ? clone(i) : null;
  }

  /** Items of this user (all users with `everyone`). */
  all(everyone = false): CrmItem[] {
    return [...this.data.items.values()].filter((i) => everyone || this.mine(i)).map(clone);
  }

  private mustGet(id: string): CrmItem {
    const i = this.data.items.get(id);
    if (!i) throw new Error(`MemoryCrm: no item ${id}`);
    return i;
  }
}
