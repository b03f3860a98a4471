/**
 * SandboxRepository over the server's database (SQLite or PostgreSQL through Kysely). Every query names the
 * tenant; activities are further limited to the ones the scoped user owns, except `findByICalUId`, which by
 * design looks across the tenant's users (one activity per meeting).
 */
import crypto from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import {
  SandboxError,
  type SandboxChangePage,
  type SandboxCompany,
  type SandboxContact,
  type SandboxItem,
  type SandboxItemData,
  type SandboxRepository,
  type SandboxRepositoryFactory,
  type SandboxScope,
} from '../../providers/crm/sandbox/repository';
import type { SandboxItemsTable, SandboxSchema } from './schema';
import type { Clock } from '../../shared/clock';

type Db = Kysely<SandboxSchema>;

function parseJson<T>(text: string | null, fallback: T): T {
  return text === null ? fallback : (JSON.parse(text) as T);
}

function span(data: SandboxItemData): { starts_at: string | null; ends_at: string | null } {
  const t = data.timing;
  if (!t) return { starts_at: null, ends_at: null };
  return t.kind === 'timed'
    ? { starts_at: t.start, ends_at: t.end }
    : { starts_at: `${t.startDate}T00:00:00.000Z`, ends_at: `${t.endDate}T00:00:00.000Z` };
}

function dataColumns(data: SandboxItemData) {
  return {
    type: data.type,
    subject: data.subject,
    timing_json: data.timing ? JSON.stringify(data.timing) : null,
    ...span(data),
    body: data.body,
    location: data.location,
    visibility: data.visibility,
    show_as: data.showAs,
    attendees_json: JSON.stringify(data.attendees.map((a) => ({ ...a, email: a.email.toLowerCase() }))),
    recurrence_json: data.recurrence ? JSON.stringify(data.recurrence) : null,
    reminder_minutes: data.reminderMinutes,
    completed: data.completed ? 1 : 0,
    priority: data.priority,
    sync_to_calendar: data.syncToCalendar === null ? null : data.syncToCalendar ? 1 : 0,
    archived: data.archived ? 1 : 0,
    ical_uid: data.iCalUId,
    origin: data.origin,
    occurrence_json: data.occurrence ? JSON.stringify(data.occurrence) : null,
    contact_ids_json: JSON.stringify(data.links.contactIds),
    company_ids_json: JSON.stringify(data.links.companyIds),
  };
}

function toData(r: Selectable<SandboxItemsTable>): SandboxItemData {
  return {
    type: r.type as SandboxItemData['type'],
    subject: r.subject,
    timing: parseJson(r.timing_json, null),
    body: r.body,
    location: r.location,
    visibility: r.visibility as SandboxItemData['visibility'],
    showAs: r.show_as as SandboxItemData['showAs'],
    attendees: parseJson(r.attendees_json, []),
    recurrence: parseJson(r.recurrence_json, null),
    reminderMinutes: r.reminder_minutes,
    completed: Number(r.completed) === 1,
    priority: r.priority as SandboxItemData['priority'],
    syncToCalendar: r.sync_to_calendar === null ? null : Number(r.sync_to_calendar) === 1,
    archived: Number(r.archived) === 1,
    iCalUId: r.ical_uid,
    origin: r.origin as SandboxItemData['origin'],
    occurrence: parseJson(r.occurrence_json, null),
    links: { contactIds: parseJson(r.contact_ids_json, []), companyIds: parseJson(r.company_ids_json, []) },
  };
}

/** Takes the next position in the tenant's change feed; the row lock orders concurrent writers on PostgreSQL. */
async function nextSeq(trx: Transaction<SandboxSchema>, tenantId: string): Promise<number> {
  await trx
    .insertInto('sandbox_feed')
    .values({ tenant_id: tenantId, last_seq: 0 })
    .onConflict((oc) => oc.column('tenant_id').doNothing())
    .execute();
  const row = await trx
    .updateTable('sandbox_feed')
    .set((eb) => ({ last_seq: eb('last_seq', '+', 1) }))
    .where('tenant_id', '=', tenantId)
    .returning('last_seq')
    .executeTakeFirstOrThrow();
  return Number(row.last_seq);
}

class KyselySandboxRepository implements SandboxRepository {
  readonly scope: SandboxScope;
  constructor(
    private readonly db: Db,
    scope: SandboxScope,
    private readonly clock: Clock,
  ) {
    this.scope = { tenantId: scope.tenantId, userEmail: scope.userEmail.trim().toLowerCase() };
  }

  private get tenant(): string {
    return this.scope.tenantId;
  }

  private async hydrate(
    db: Db | Transaction<SandboxSchema>,
    rows: Selectable<SandboxItemsTable>[],
  ): Promise<SandboxItem[]> {
    if (rows.length === 0) return [];
    const owners = await db
      .selectFrom('sandbox_item_owners')
      .select(['item_id', 'email'])
      .where('tenant_id', '=', this.tenant)
      .where(
        'item_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('email')
      .execute();
    const byItem = new Map<string, string[]>();
    for (const o of owners) byItem.set(o.item_id, [...(byItem.get(o.item_id) ?? []), o.email]);
    return rows.map((r) => ({
      ...toData(r),
      id: r.id,
      version: Number(r.version),
      createdAt: r.created_at,
      modifiedAt: r.modified_at,
      ownerEmails: byItem.get(r.id) ?? [],
    }));
  }

  private ownedItems(db: Db | Transaction<SandboxSchema>) {
    return db
      .selectFrom('sandbox_items')
      .selectAll('sandbox_items')
      .where('sandbox_items.tenant_id', '=', this.tenant)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('sandbox_item_owners as o')
            .select('o.item_id')
            .whereRef('o.tenant_id', '=', 'sandbox_items.tenant_id')
            .whereRef('o.item_id', '=', 'sandbox_items.id')
            .where('o.email', '=', this.scope.userEmail),
        ),
      );
  }

  async changes(position: number, limit: number): Promise<SandboxChangePage> {
    const items = await this.ownedItems(this.db)
      .where('change_seq', '>', position)
      .orderBy('change_seq')
      .limit(limit + 1)
      .execute();
    const deletions =
      position === 0
        ? []
        : await this.db
            .selectFrom('sandbox_deletions')
            .select(['item_id', 'change_seq', 'owners_json'])
            .where('tenant_id', '=', this.tenant)
            .where('change_seq', '>', position)
            .orderBy('change_seq')
            .limit(limit + 1)
            .execute();
    type Entry = { seq: number; item?: Selectable<SandboxItemsTable>; removed?: string; owned: boolean };
    const merged: Entry[] = [
      ...items.map((r) => ({ seq: Number(r.change_seq), item: r, owned: true })),
      ...deletions.map((d) => ({
        seq: Number(d.change_seq),
        removed: d.item_id,
        owned: parseJson<string[]>(d.owners_json, []).includes(this.scope.userEmail),
      })),
    ].sort((a, b) => a.seq - b.seq);
    const page = merged.slice(0, limit);
    const more = merged.length > limit;
    return {
      items: await this.hydrate(
        this.db,
        page.flatMap((e) => (e.item ? [e.item] : [])),
      ),
      removedIds: page.flatMap((e) => (e.removed && e.owned ? [e.removed] : [])),
      // Writers hold the feed row until they commit, so positions become visible in order: nothing is skipped.
      position: page.at(-1)?.seq ?? position,
      more,
    };
  }

  async listItems(options: { includeArchived?: boolean } = {}): Promise<SandboxItem[]> {
    let q = this.ownedItems(this.db);
    if (!options.includeArchived) q = q.where('archived', '=', 0);
    return this.hydrate(this.db, await q.orderBy('change_seq').execute());
  }

  async getItem(id: string): Promise<SandboxItem | null> {
    const rows = await this.ownedItems(this.db).where('sandbox_items.id', '=', id).execute();
    return (await this.hydrate(this.db, rows))[0] ?? null;
  }

  async findByICalUId(iCalUIds: string[]): Promise<SandboxItem[]> {
    if (iCalUIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('sandbox_items')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .where('ical_uid', 'in', iCalUIds)
      .orderBy('created_at')
      .execute();
    return this.hydrate(this.db, rows);
  }

  async createItems(inputs: { data: SandboxItemData; idempotencyKey?: string | null }[]): Promise<SandboxItem[]> {
    return this.db.transaction().execute(async (trx) => {
      const out: SandboxItem[] = [];
      for (const input of inputs) {
        const key = input.idempotencyKey ?? null;
        if (key) {
          const existing = await trx
            .selectFrom('sandbox_items')
            .selectAll()
            .where('tenant_id', '=', this.tenant)
            .where('idempotency_key', '=', key)
            .execute();
          if (existing.length) {
            out.push(...(await this.hydrate(trx, existing)));
            continue;
          }
        }
        const now = this.clock().toISOString();
        const id = crypto.randomUUID();
        await trx
          .insertInto('sandbox_items')
          .values({
            tenant_id: this.tenant,
            id,
            ...dataColumns(input.data),
            idempotency_key: key,
            version: 1,
            change_seq: await nextSeq(trx, this.tenant),
            created_at: now,
            modified_at: now,
          })
          .execute();
        await trx
          .insertInto('sandbox_item_owners')
          .values({ tenant_id: this.tenant, item_id: id, email: this.scope.userEmail })
          .execute();
        const rows = await trx
          .selectFrom('sandbox_items')
          .selectAll()
          .where('tenant_id', '=', this.tenant)
          .where('id', '=', id)
          .execute();
        out.push(...(await this.hydrate(trx, rows)));
      }
      return out;
    });
  }

  async updateItem(id: string, patch: Partial<SandboxItemData>, ifVersion: number | null = null): Promise<SandboxItem> {
    return this.db.transaction().execute((trx) => this.update(trx, id, patch, ifVersion));
  }

  async updateItems(
    updates: { id: string; patch: Partial<SandboxItemData>; ifVersion?: number | null }[],
  ): Promise<(SandboxItem | SandboxError)[]> {
    if (updates.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const out: (SandboxItem | SandboxError)[] = [];
      for (const u of updates) {
        try {
          out.push(await this.update(trx, u.id, u.patch, u.ifVersion ?? null));
        } catch (e) {
          // Refused before it wrote anything (not found, another version): the others go on.
          if (e instanceof SandboxError) out.push(e);
          else throw e;
        }
      }
      return out;
    });
  }

  private async update(
    trx: Transaction<SandboxSchema>,
    id: string,
    patch: Partial<SandboxItemData>,
    ifVersion: number | null,
  ): Promise<SandboxItem> {
    const rows = await this.ownedItems(trx).where('sandbox_items.id', '=', id).execute();
    const row = rows[0];
    if (!row) throw new SandboxError('not-found', `no activity ${id}`);
    if (ifVersion !== null && Number(row.version) !== ifVersion) {
      throw new SandboxError('conflict', `activity ${id} changed (version ${row.version}, expected ${ifVersion})`);
    }
    const data: SandboxItemData = { ...toData(row), ...patch };
    await trx
      .updateTable('sandbox_items')
      .set({
        ...dataColumns(data),
        version: Number(row.version) + 1,
        change_seq: await nextSeq(trx, this.tenant),
        modified_at: this.clock().toISOString(),
      })
      .where('tenant_id', '=', this.tenant)
      .where('id', '=', id)
      .execute();
    return this.reread(trx, id);
  }

  /** An activity as it is now inside `trx` (any owner's: after a write the caller was allowed to make). */
  private async reread(trx: Transaction<SandboxSchema>, id: string): Promise<SandboxItem> {
    const rows = await trx
      .selectFrom('sandbox_items')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .where('id', '=', id)
      .execute();
    const [item] = await this.hydrate(trx, rows);
    if (!item) throw new SandboxError('not-found', `no activity ${id}`);
    return item;
  }

  async deleteItem(id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const rows = await this.ownedItems(trx).where('sandbox_items.id', '=', id).execute();
      const [item] = await this.hydrate(trx, rows);
      if (!item) throw new SandboxError('not-found', `no activity ${id}`);
      await trx
        .deleteFrom('sandbox_item_owners')
        .where('tenant_id', '=', this.tenant)
        .where('item_id', '=', id)
        .execute();
      await trx.deleteFrom('sandbox_items').where('tenant_id', '=', this.tenant).where('id', '=', id).execute();
      await trx
        .insertInto('sandbox_deletions')
        .values({
          tenant_id: this.tenant,
          item_id: id,
          change_seq: await nextSeq(trx, this.tenant),
          owners_json: JSON.stringify(item.ownerEmails),
          deleted_at: this.clock().toISOString(),
        })
        .execute();
    });
  }

  async addOwner(id: string, email: string): Promise<SandboxItem> {
    const owner = email.trim().toLowerCase();
    return this.db.transaction().execute(async (trx) => {
      // Any activity of the tenant: the one-activity-per-meeting rule shares another user's activity.
      const rows = await trx
        .selectFrom('sandbox_items')
        .selectAll()
        .where('tenant_id', '=', this.tenant)
        .where('id', '=', id)
        .execute();
      if (!rows[0]) throw new SandboxError('not-found', `no activity ${id}`);
      await trx
        .insertInto('sandbox_item_owners')
        .values({ tenant_id: this.tenant, item_id: id, email: owner })
        .onConflict((oc) => oc.columns(['tenant_id', 'item_id', 'email']).doNothing())
        .execute();
      // The new owner's feed must see the activity: move it to the end of the feed.
      await trx
        .updateTable('sandbox_items')
        .set({ change_seq: await nextSeq(trx, this.tenant) })
        .where('tenant_id', '=', this.tenant)
        .where('id', '=', id)
        .execute();
      return this.reread(trx, id);
    });
  }

  async findPeople(emails: string[]): Promise<SandboxContact[]> {
    const wanted = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean))];
    if (wanted.length === 0) return [];
    const rows = await this.db
      .selectFrom('sandbox_contacts')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .where('email', 'in', wanted)
      .orderBy('created_at')
      .execute();
    return rows.map(toContact);
  }

  async listContacts(): Promise<SandboxContact[]> {
    const rows = await this.db
      .selectFrom('sandbox_contacts')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .orderBy('email')
      .execute();
    return rows.map(toContact);
  }

  async createContact(input: Omit<SandboxContact, 'id'>): Promise<SandboxContact> {
    const email = input.email.trim().toLowerCase();
    if (!/^[^@\s]+@[^@\s]+$/.test(email))
      throw new SandboxError('invalid', `email: ${input.email} is not an e-mail address`);
    if (input.companyId) {
      const company = await this.db
        .selectFrom('sandbox_companies')
        .select('id')
        .where('tenant_id', '=', this.tenant)
        .where('id', '=', input.companyId)
        .executeTakeFirst();
      if (!company) throw new SandboxError('invalid', `companyId: no company ${input.companyId}`);
    }
    const contact: SandboxContact = {
      id: crypto.randomUUID(),
      email,
      name: input.name,
      kind: input.kind,
      companyId: input.companyId,
    };
    await this.db
      .insertInto('sandbox_contacts')
      .values({
        tenant_id: this.tenant,
        id: contact.id,
        email,
        name: contact.name,
        kind: contact.kind,
        company_id: contact.companyId,
        created_at: this.clock().toISOString(),
      })
      .execute();
    return contact;
  }

  async listCompanies(): Promise<SandboxCompany[]> {
    const rows = await this.db
      .selectFrom('sandbox_companies')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .orderBy('name')
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.name, domain: r.domain }));
  }

  async createCompany(input: Omit<SandboxCompany, 'id'>): Promise<SandboxCompany> {
    const name = input.name.trim();
    if (!name) throw new SandboxError('invalid', 'name: must not be empty');
    const company: SandboxCompany = {
      id: crypto.randomUUID(),
      name,
      domain: input.domain?.trim().toLowerCase() || null,
    };
    await this.db
      .insertInto('sandbox_companies')
      .values({
        tenant_id: this.tenant,
        id: company.id,
        name,
        domain: company.domain,
        created_at: this.clock().toISOString(),
      })
      .execute();
    return company;
  }
}

function toContact(r: Selectable<SandboxSchema['sandbox_contacts']>): SandboxContact {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    kind: r.kind === 'lead' ? 'lead' : 'contact',
    companyId: r.company_id,
  };
}

/**
 * The factory the server hands to `createSandboxConnector`, the /sandbox/v1 routes and the CLI. Takes the
 * server's Kysely instance whatever its table types (the sandbox tables are created by migration 0100_sandbox).
 */
export function kyselySandboxRepositories<DB>(db: Kysely<DB>, clock: Clock): SandboxRepositoryFactory {
  const sandboxDb = db as unknown as Db;
  return (scope) => new KyselySandboxRepository(sandboxDb, scope, clock);
}
