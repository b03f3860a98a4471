import { sql, type Kysely } from 'kysely';
import type { LinkRecord, SyncMeta, Tombstone, WriteIntent } from '../../sync/status-store';
import { DbStatusStore } from './db-status-store';
import { unsettledLinkSql } from './migrations/0005_quiet_run_indexes';
import type { DatabaseSchema } from './schema';

/** What one run reads at its start, as stored (JSON text): parsed on every read, like a read from the table. */
interface Snapshot {
  links: string[] | null;
  tombstones: string[] | null;
  intents: string[] | null;
  cursors: Map<string, string> | null;
  /** null: not known; `absent`: the user has no meta row yet. */
  meta: { firstSyncDone: number; repairing: number } | 'absent' | null;
}

/**
 * The status store a run uses. A run starts by reading the user's links, tombstones, intents, cursors and meta one
 * after another (nine round trips on a no-op run); this store reads them all in one query on the first such read and
 * answers from that snapshot until the run itself writes the table concerned. Writes that would change nothing (a
 * cursor set to the value it has, meta already as asked) are skipped. It is only correct while nobody else writes
 * this user's sync state, which is what the run lease guarantees: it is made for one run, held under the lease.
 */
export class RunStatusStore extends DbStatusStore {
  private snapshot: Promise<Snapshot> | null = null;
  /** Set when the snapshot cannot be trusted any more (it failed, or a reset rewrote everything): tables only. */
  private bypass = false;

  constructor(
    private readonly kdb: Kysely<DatabaseSchema>,
    private readonly tenant: string,
    private readonly user: string,
    private readonly o: {
      /**
       * Leave the links out of the one read, for `loadLinks` to read from the table a page at a time. For SQLite,
       * whose reads block the event loop: the run's listing requests then go out before 10,000 links are read.
       */
      linksApart?: boolean;
    } = {},
  ) {
    super(kdb, tenant, user);
    if (o.linksApart) this.settledLinkCount = () => this.settledLinks();
  }

  /** Starts the one read (a run calls it as soon as it holds the lease); reads await it. */
  prefetch(): Promise<Snapshot | null> {
    this.snapshot ??= this.read();
    // A failed prefetch (the database went away) is not cached: each read then goes to the table and fails there.
    return this.snapshot.catch(() => {
      this.bypass = true;
      return null;
    });
  }

  private async read(): Promise<Snapshot> {
    const t = this.tenant;
    const u = this.user;
    // One statement for both dialects; each part keeps the order its own query has (the ORDER BY below).
    const links = this.o.linksApart
      ? sql``
      : sql`select 0 as part, id as k1, '' as k2, data from status_links where tenant_id = ${t} and user_id = ${u}
      union all`;
    const { rows } = await sql<{ part: number; k1: string; k2: string; data: string }>`
      ${links}
      select 1 as part, side as k1, source_id as k2, data from status_tombstones where tenant_id = ${t} and user_id = ${u}
      union all
      select 2, key, '', data from status_intents where tenant_id = ${t} and user_id = ${u}
      union all
      select 3, key, '', value from status_cursors where tenant_id = ${t} and user_id = ${u}
      union all
      select 4, '', '', cast(first_sync_done as text) || ',' || cast(repairing as text)
        from status_meta where tenant_id = ${t} and user_id = ${u}
      order by 1, 2, 3
    `.execute(this.kdb);
    const snap: Snapshot = {
      links: this.o.linksApart ? null : [],
      tombstones: [],
      intents: [],
      cursors: new Map(),
      meta: 'absent',
    };
    for (const r of rows) {
      switch (Number(r.part)) {
        case 0:
          snap.links!.push(r.data);
          break;
        case 1:
          snap.tombstones!.push(r.data);
          break;
        case 2:
          snap.intents!.push(r.data);
          break;
        case 3:
          snap.cursors!.set(r.k1, r.data);
          break;
        default: {
          const [first, repairing] = r.data.split(',').map(Number);
          snap.meta = { firstSyncDone: first ?? 0, repairing: repairing ?? 0 };
        }
      }
    }
    return snap;
  }

  /** The snapshot for a read (taken now if not yet). */
  private async current(): Promise<Snapshot | null> {
    if (this.bypass) return null;
    return this.prefetch();
  }

  /**
   * The snapshot for a write, only if one was taken: a write before any read needs none (a later snapshot sees it),
   * and one being taken is awaited first, so it holds what the table had before this write.
   */
  private async known(): Promise<Snapshot | null> {
    if (this.bypass || !this.snapshot) return null;
    return this.prefetch();
  }

  /** Forgets a part of the snapshot: the run wrote that table, the next read goes to it. */
  private async forget(part: keyof Snapshot): Promise<void> {
    const snap = await this.known();
    if (snap) snap[part] = null;
  }

  override async loadLinks(): Promise<LinkRecord[]> {
    const s = (await this.current())?.links;
    return s ? s.map((d) => JSON.parse(d) as LinkRecord) : super.loadLinks();
  }

  /**
   * Only with the links read apart (SQLite): see `settledLinks`. With the links in the one read (PostgreSQL) they are
   * read anyway, and a run that asked first would only read them later, after its listings: there is none.
   */
  readonly settledLinkCount?: () => Promise<number | null>;

  /**
   * Two index reads (migration 0005): how many links the user has, and whether any of them is unsettled, the
   * planner's `settled` (planner/writes.ts) over the stored values, which a property test
   * (test/server/status-store.sqlite.test.ts) holds together with this. No link's JSON is read: about 0.1 ms at
   * 1,000 links, where reading every row took 14 ms.
   */
  private async settledLinks(): Promise<number | null> {
    const t = this.tenant;
    const u = this.user;
    const { rows } = await sql<{ links: number; unsettled: number }>`
      select
        (select count(*) from status_links where user_id = ${u} and tenant_id = ${t}) as links,
        exists (select 1 from status_links where user_id = ${u} and tenant_id = ${t}
          and (${sql.raw(unsettledLinkSql)})) as unsettled
    `.execute(this.kdb);
    const row = rows[0]!;
    return Number(row.unsettled) ? null : Number(row.links);
  }

  override async upsertLink(link: LinkRecord): Promise<void> {
    await this.forget('links');
    await super.upsertLink(link);
  }

  override async deleteLink(id: string): Promise<void> {
    await this.forget('links');
    await super.deleteLink(id);
  }

  override async listTombstones(): Promise<Tombstone[]> {
    const s = (await this.current())?.tombstones;
    return s ? s.map((d) => JSON.parse(d) as Tombstone) : super.listTombstones();
  }

  override async putTombstone(t: Tombstone): Promise<void> {
    await this.forget('tombstones');
    await super.putTombstone(t);
  }

  override async deleteTombstone(side: Tombstone['side'], sourceId: string): Promise<void> {
    // A create deletes its item's note just in case (a push: one per event): none in the snapshot, nothing to delete.
    const known = (await this.known())?.tombstones;
    if (known && !tombstoneKeys(known).has(tombstoneKey(side, sourceId))) return;
    await this.forget('tombstones');
    await super.deleteTombstone(side, sourceId);
  }

  override async listIntents(): Promise<WriteIntent[]> {
    const s = (await this.current())?.intents;
    return s ? s.map((d) => JSON.parse(d) as WriteIntent) : super.listIntents();
  }

  override async putIntent(intent: WriteIntent): Promise<void> {
    await this.forget('intents');
    await super.putIntent(intent);
  }

  override async deleteIntent(key: string): Promise<void> {
    await this.forget('intents');
    await super.deleteIntent(key);
  }

  override async getCursor(key: string): Promise<string | null> {
    const s = (await this.current())?.cursors;
    return s ? (s.get(key) ?? null) : super.getCursor(key);
  }

  override async setCursor(key: string, value: string | null): Promise<void> {
    const snap = await this.known();
    const cursors = snap?.cursors;
    if (cursors && (cursors.get(key) ?? null) === value) return;
    // In doubt while the write is under way (and for good if it fails): read from the table.
    if (snap) snap.cursors = null;
    await super.setCursor(key, value);
    if (snap && cursors) {
      if (value === null) cursors.delete(key);
      else cursors.set(key, value);
      snap.cursors = cursors;
    }
  }

  override async getMeta(): Promise<SyncMeta> {
    const m = (await this.current())?.meta;
    if (!m) return super.getMeta();
    return m === 'absent'
      ? { firstSyncDone: false, repairing: false }
      : { firstSyncDone: m.firstSyncDone === 1, repairing: m.repairing === 1 };
  }

  override async setMeta(meta: Partial<SyncMeta>): Promise<void> {
    const m = (await this.known())?.meta;
    const same =
      m &&
      m !== 'absent' &&
      (meta.firstSyncDone === undefined || (m.firstSyncDone === 1) === meta.firstSyncDone) &&
      (meta.repairing === undefined || (m.repairing === 1) === meta.repairing);
    if (same) return;
    await this.forget('meta');
    await super.setMeta(meta);
  }

  override async setPendingConfirmation(...args: Parameters<DbStatusStore['setPendingConfirmation']>): Promise<void> {
    // It may create the meta row.
    await this.forget('meta');
    await super.setPendingConfirmation(...args);
  }

  override async reset(): Promise<void> {
    this.bypass = true;
    await super.reset();
  }
}

const tombstoneKey = (side: Tombstone['side'], sourceId: string): string => `${side}\u0001${sourceId}`;

/** The (side, source) keys of a snapshot's tombstones, worked out once per snapshot. */
const keysOf = new WeakMap<string[], Set<string>>();
function tombstoneKeys(stored: string[]): Set<string> {
  let keys = keysOf.get(stored);
  if (!keys) {
    keys = new Set(
      stored.map((d) => {
        const t = JSON.parse(d) as Tombstone;
        return tombstoneKey(t.side, t.sourceId);
      }),
    );
    keysOf.set(stored, keys);
  }
  return keys;
}
