import type { Kysely, Transaction } from 'kysely';
import type { RunReport } from '../../shared/run-report';
import type {
  CleanupRecord,
  ConflictRecord,
  LinkRecord,
  PendingConfirmation,
  StatusStore,
  SyncMeta,
  Tombstone,
  TrailEntry,
  WriteIntent,
} from '../../sync/status-store';
import type { DatabaseSchema } from './schema';
import { PERMANENT_TOMBSTONE } from '../../sync/status-store';
import { nextTurn } from '../../sync/event-loop';
import { upserted } from './tenant-scope';

/** Links read per statement by `loadLinks` (about 1.4 MB of JSON at the bench's item size). */
const LINKS_PAGE = 1000;

/** The engine's status store over the connector's database, scoped to one (tenant, user) on every query. */
export class DbStatusStore implements StatusStore {
  /** The open transaction of `transaction`, which every query of this store goes through until it ends. */
  private trx: Transaction<DatabaseSchema> | null = null;

  constructor(
    private readonly kysely: Kysely<DatabaseSchema>,
    private readonly tenantId: string,
    private readonly userId: string,
  ) {}

  /** Where queries go: the open transaction, else the database (each statement its own transaction). */
  private get db(): Kysely<DatabaseSchema> {
    return this.trx ?? this.kysely;
  }

  /**
   * `fn`'s writes through this store as one database transaction: one commit (one fsync on SQLite) for a batch of
   * writes instead of one each; all or none of them are kept. Calls inside an open one join it. While it is open the
   * store is not to be used from anywhere else (the run lease gives the run the store to itself); on SQLite other
   * queries on the same database wait for the commit.
   */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.trx) return fn();
    return this.kysely.transaction().execute(async (trx) => {
      this.trx = trx;
      try {
        return await fn();
      } finally {
        this.trx = null;
      }
    });
  }

  private get scope() {
    return { tenant_id: this.tenantId, user_id: this.userId };
  }

  /**
   * The user's links, read and parsed a page at a time with a turn of the event loop before each page: SQLite's
   * reads are synchronous, and a run starts its listings' requests before it reads its links (run.ts), so the
   * requests go out and the servers work while 10,000 links (about 14 MB of JSON) are read.
   */
  async loadLinks(): Promise<LinkRecord[]> {
    const links: LinkRecord[] = [];
    let after: string | null = null;
    for (;;) {
      await nextTurn();
      let q = this.db
        .selectFrom('status_links')
        .select(['id', 'data'])
        .where('tenant_id', '=', this.tenantId)
        .where('user_id', '=', this.userId);
      if (after !== null) q = q.where('id', '>', after);
      const rows = await q.orderBy('id').limit(LINKS_PAGE).execute();
      for (const r of rows) links.push(JSON.parse(r.data) as LinkRecord);
      if (rows.length < LINKS_PAGE) return links;
      after = rows[rows.length - 1]!.id;
    }
  }

  async upsertLink(link: LinkRecord): Promise<void> {
    const row = {
      ...this.scope,
      id: link.id,
      crm_id: link.crmId,
      event_id: link.eventId,
      ical_uid: link.iCalUId,
      data: JSON.stringify(link),
    };
    const write = this.db
      .insertInto('status_links')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'id'])
          .doUpdateSet({ crm_id: row.crm_id, event_id: row.event_id, ical_uid: row.ical_uid, data: row.data })
          .where('status_links.tenant_id', '=', this.tenantId),
      )
      .executeTakeFirstOrThrow();
    await upserted(write, 'a link');
  }

  async deleteLink(id: string): Promise<void> {
    await this.db
      .deleteFrom('status_links')
      .where('tenant_id', '=', this.tenantId)
      .where('user_id', '=', this.userId)
      .where('id', '=', id)
      .execute();
  }

  async getCursor(key: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('status_cursors')
      .select('value')
      .where('tenant_id', '=', this.tenantId)
      .where('user_id', '=', this.userId)
      .where('key', '=', key)
      .executeTakeFirst();
    return row?.value ?? null;
  }

  async setCursor(key: string, value: string | null): Promise<void> {
    if (value === null) {
      await this.db
        .deleteFrom('status_cursors')
        .where('tenant_id', '=', this.tenantId)
        .where('user_id', '=', this.userId)
        .where('key', '=', key)
        .execute();
      return;
    }
    const write = this.db
      .insertInto('status_cursors')
      .values({ ...this.scope, key, value })
      .onConflict((oc) =>
        oc.columns(['user_id', 'key']).doUpdateSet({ value }).where('status_cursors.tenant_id', '=', this.tenantId),
      )
      .executeTakeFirstOrThrow();
    await upserted(write, 'a cursor');
  }

  async listIntents(): Promise<WriteIntent[]> {
    const rows = await this.db
      .selectFrom('status_intents')
      .select('data')
      .where('tenant_id', '=', this.tenantId)
      .where('user_id', '=', this.userId)
      .orderBy('key')
      .execute();
    return rows.map((r) => JSON.parse(r.data) as WriteIntent);
  }

  async putIntent(intent: WriteIntent): Promise<void> {
    const data = JSON.stringify(intent);
    const write = this.db
      .insertInto('status_intents')
      .values({ ...this.scope, key: intent.key, data })
      .onConflict((oc) =>
        oc.columns(['user_id', 'key']).doUpdateSet({ data }).where('status_intents.tenant_id', '=', this.tenantId),
      )
      .executeTakeFirstOrThrow();
    await upserted(write, 'a write intent');
  }

  async deleteIntent(key: string): Promise<void> {
    await this.db
      .deleteFrom('status_intents')
      .where('tenant_id', '=', this.tenantId)
      .where('user_id', '=', this.userId)
      .where('key', '=', key)
      .execute();
  }

  async listTombstones(): Promise<Tombstone[]> {
    const rows = await this.db
      .selectFrom('status_tombstones')
      .select('data')
      .where('tenant_id', '=', this.tenantId)
      .where('user_id', '=', this.userId)
      .orderBy('side')
      .orderBy('source_id')
      .execute();
    return rows.map((r) => JSON.parse(r.data) as Tombstone);
  }

  async putTombstone(t: Tombstone): Promise<void> {
    const data = JSON.stringify(t);
    const write = this.db
      .insertInto('status_tombstones')
      .values({ ...this.scope, side: t.side, source_id: t.sourceId, data })
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'side', 'source_id'])
          .doUpdateSet({ data })
          .where('status_tombstones.tenant_id', '=', this.tenantId),
      )
      .executeTakeFirstOrThrow();
    await upserted(write, 'a tombstone');
  }

  async deleteTombstone(side: Tombstone['side'], sourceId: string): Promise<void> {
    await this.db
      .deleteFrom('status_tombstones')
      .where('tenant_id', '=', this.tenantId)
      .where('user_id', '=', this.userId)
      .where('side', '=', side)
      .where('source_id', '=', sourceId)
      .execute();
  }

  private async metaRow() {
    return this.db
      .selectFrom('status_meta')
      .selectAll()
      .where('tenant_id', '=', this.tenantId)
      .where('user_id', '=', this.userId)
      .executeTakeFirst();
  }

  async getMeta(): Promise<SyncMeta> {
    const row = await this.metaRow();
    return { firstSyncDone: row?.first_sync_done === 1, repairing: row?.repairing === 1 };
  }

  async setMeta(meta: Partial<SyncMeta>): Promise<void> {
    const set: { first_sync_done?: number; repairing?: number } = {};
    if (meta.firstSyncDone !== undefined) set.first_sync_done = meta.firstSyncDone ? 1 : 0;
    if (meta.repairing !== undefined) set.repairing = meta.repairing ? 1 : 0;
    const values = { ...this.scope, first_sync_done: set.first_sync_done ?? 0, repairing: set.repairing ?? 0 };
    if (Object.keys(set).length === 0) {
      // Nothing to change: the row is made if it is missing, and an existing one (of any tenant) is left alone.
      await this.db
        .insertInto('status_meta')
        .values(values)
        .onConflict((oc) => oc.doNothing())
        .execute();
      return;
    }
    const write = this.db
      .insertInto('status_meta')
      .values(values)
      .onConflict((oc) => oc.column('user_id').doUpdateSet(set).where('status_meta.tenant_id', '=', this.tenantId))
      .executeTakeFirstOrThrow();
    await upserted(write, 'the sync state');
  }

  async saveRun(report: RunReport): Promise<void> {
    const row = {
      run_id: report.runId,
      started_at: report.startedAt,
      status: report.status,
      data: JSON.stringify(report),
    };
    const write = this.db
      .insertInto('status_runs')
      .values({ ...this.scope, ...row })
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'run_id'])
          .doUpdateSet({ started_at: row.started_at, status: row.status, data: row.data })
          .where('status_runs.tenant_id', '=', this.tenantId),
      )
      .executeTakeFirstOrThrow();
    await upserted(write, 'a run report');
  }

  /**
   * Records a run as interrupted, unless it already ended otherwise (a run's own report is never overwritten, but an
   * `interrupted` row the janitor wrote is, with the run's own counts and reason). Creates the row if the run had none.
   */
  async saveInterrupted(report: RunReport & { status: 'interrupted' }): Promise<void> {
    const data = JSON.stringify(report);
    await this.db
      .insertInto('status_runs')
      .values({ ...this.scope, run_id: report.runId, started_at: report.startedAt, status: report.status, data })
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'run_id'])
          .doUpdateSet({ status: report.status, data })
          .where('status_runs.tenant_id', '=', this.tenantId)
          .where('status_runs.status', 'in', ['running', 'interrupted']),
      )
      .execute();
  }

  async getRun(runId: string): Promise<RunReport | null> {
    const row = await this.db
      .selectFrom('status_runs')
      .select('data')
      .where('tenant_id', '=', this.tenantId)
      .where('user_id', '=', this.userId)
      .where('run_id', '=', runId)
      .executeTakeFirst();
    return row ? (JSON.parse(row.data) as RunReport) : null;
  }

  async listRuns(limit: number): Promise<RunReport[]> {
    const rows = await this.db
      .selectFrom('status_runs')
      .select('data')
      .where('tenant_id', '=', this.tenantId)
      .where('user_id', '=', this.userId)
      .orderBy('started_at', 'desc')
      .orderBy('run_id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => JSON.parse(r.data) as RunReport);
  }

  async addTrail(entries: TrailEntry[]): Promise<void> {
    if (entries.length === 0) return;
    for (let i = 0; i < entries.length; i += 200) {
      await this.db
        .insertInto('status_trail')
        .values(
          entries.slice(i, i + 200).map((e) => ({
            ...this.scope,
            run_id: e.runId,
            crm_id: e.crmId,
            event_id: e.eventId,
            data: JSON.stringify(e),
          })),
        )
        .execute();
    }
  }

  async listTrail(filter: { crmId?: string; eventId?: string; runId?: string }, limit: number): Promise<TrailEntry[]> {
    let q = this.db
      .selectFrom('status_trail')
      .select('data')
      .where('tenant_id', '=', this.tenantId)
      .where('user_id', '=', this.userId);
    if (filter.crmId !== undefined) q = q.where('crm_id', '=', filter.crmId);
    if (filter.eventId !== undefined) q = q.where('event_id', '=', filter.eventId);
    if (filter.runId !== undefined) q = q.where('run_id', '=', filter.runId);
    // Newest first: the pane and the CLI show the latest reasons.
    const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
    return rows.map((r) => JSON.parse(r.data) as TrailEntry);
  }

  async addConflicts(records: ConflictRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.db
      .insertInto('status_conflicts')
      .values(
        records.map((c) => ({
          ...this.scope,
          id: c.id,
          run_id: c.runId,
          crm_id: c.crmId,
          event_id: c.eventId,
          data: JSON.stringify(c),
        })),
      )
      .execute();
  }

  async listConflicts(
    filter: { crmId?: string; eventId?: string; runId?: string },
    limit: number,
  ): Promise<ConflictRecord[]> {
    let q = this.db
      .selectFrom('status_conflicts')
      .select('data')
      .where('tenant_id', '=', this.tenantId)
      .where('user_id', '=', this.userId);
    if (filter.crmId !== undefined) q = q.where('crm_id', '=', filter.crmId);
    if (filter.eventId !== undefined) q = q.where('event_id', '=', filter.eventId);
    if (filter.runId !== undefined) q = q.where('run_id', '=', filter.runId);
    const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
    return rows.map((r) => JSON.parse(r.data) as ConflictRecord);
  }

  async saveCleanup(record: CleanupRecord): Promise<void> {
    const data = JSON.stringify(record);
    const write = this.db
      .insertInto('status_cleanups')
      .values({ ...this.scope, id: record.id, data })
      .onConflict((oc) =>
        oc.columns(['user_id', 'id']).doUpdateSet({ data }).where('status_cleanups.tenant_id', '=', this.tenantId),
      )
      .executeTakeFirstOrThrow();
    await upserted(write, 'a cleanup');
  }

  async getCleanup(id: string): Promise<CleanupRecord | null> {
    const row = await this.db
      .selectFrom('status_cleanups')
      .select('data')
      .where('tenant_id', '=', this.tenantId)
      .where('user_id', '=', this.userId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? (JSON.parse(row.data) as CleanupRecord) : null;
  }

  async getPendingConfirmation(): Promise<PendingConfirmation | null> {
    const row = await this.metaRow();
    return row?.pending_confirmation ? (JSON.parse(row.pending_confirmation) as PendingConfirmation) : null;
  }

  async setPendingConfirmation(p: PendingConfirmation | null): Promise<void> {
    const pending_confirmation = p === null ? null : JSON.stringify(p);
    const write = this.db
      .insertInto('status_meta')
      .values({ ...this.scope, first_sync_done: 0, repairing: 0, pending_confirmation })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({ pending_confirmation }).where('status_meta.tenant_id', '=', this.tenantId),
      )
      .executeTakeFirstOrThrow();
    await upserted(write, 'a pending confirmation');
  }

  async reset(): Promise<void> {
    await this.transaction(async () => {
      const trx = this.db;
      for (const table of ['status_links', 'status_cursors', 'status_intents', 'status_conflicts'] as const) {
        await trx.deleteFrom(table).where('tenant_id', '=', this.tenantId).where('user_id', '=', this.userId).execute();
      }
      // The user's own deletions (permanent notes) outlive a reset: the items must not come back.
      const tombstones = await trx
        .selectFrom('status_tombstones')
        .select(['side', 'source_id', 'data'])
        .where('tenant_id', '=', this.tenantId)
        .where('user_id', '=', this.userId)
        .execute();
      for (const t of tombstones) {
        if ((JSON.parse(t.data) as Tombstone).sourceHash === PERMANENT_TOMBSTONE) continue;
        await trx
          .deleteFrom('status_tombstones')
          .where('tenant_id', '=', this.tenantId)
          .where('user_id', '=', this.userId)
          .where('side', '=', t.side)
          .where('source_id', '=', t.source_id)
          .execute();
      }
      const write = trx
        .insertInto('status_meta')
        .values({ ...this.scope, first_sync_done: 0, repairing: 1, pending_confirmation: null })
        .onConflict((oc) =>
          oc
            .column('user_id')
            .doUpdateSet({ repairing: 1, pending_confirmation: null })
            .where('status_meta.tenant_id', '=', this.tenantId),
        )
        .executeTakeFirstOrThrow();
      await upserted(write, 'the sync state');
    });
  }
}
