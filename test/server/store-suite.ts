import type { Db } from '../../src/server/store/database';
import { AuditRepository } from '../../src/server/store/audit';
import { ConnectionRepository } from '../../src/server/store/connections';
import { DbStatusStore } from '../../src/server/store/db-status-store';
import { itemTagStore } from '../../src/server/store/item-tags';
import { SettingsRepository } from '../../src/server/store/settings';
import { SyncStateRepository } from '../../src/server/store/sync-state';
import { TenantScopeError } from '../../src/server/store/tenant-scope';
import { UserRepository } from '../../src/server/store/users';
import { emptySideCounts, type RunReport } from '../../src/shared/run-report';
import type { CleanupRecord, PendingConfirmation, Tombstone, WriteIntent } from '../../src/sync/status-store';
import { makeLink, makeReport } from '../support/status-store-contract';
import { testVault } from './support/keys';
import { fixedClock } from '../../src/shared/clock';

/** Every status table's rows of one user, as stored, in a stable order. */
async function statusRowsOf(db: Db, userId: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of [
    'status_links',
    'status_cursors',
    'status_intents',
    'status_tombstones',
    'status_cleanups',
    'status_runs',
    'status_meta',
  ] as const) {
    const rows = await db.kysely.selectFrom(table).selectAll().where('user_id', '=', userId).execute();
    out[table] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

/** Store behaviour both databases must show; called from the SQLite and the PostgreSQL test files. */
export function describeStore(name: string, open: () => Promise<Db>): void {
  describe(`store on ${name}`, () => {
    let db: Db;
    const vault = testVault();
    // The stores stamp rows with this clock, never the wall clock.
    const clock = fixedClock('2026-11-21T09:00:00.000Z', 1000);
    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => {
      await db.close();
    });
    const statusRows = (userId: string) => statusRowsOf(db, userId);

    it('keeps tenants apart and finds users by token or e-mail', async () => {
      const users = new UserRepository(db.kysely, clock);
      const a = await users.create({ tenantId: 'ta', email: 'Ann@Example.com' });
      await users.create({ tenantId: 'tb', email: 'ann@example.com' });
      expect((await users.findByEmail('ta', 'ANN@example.com'))?.id).toBe(a.id);
      expect(await users.get('tb', a.id)).toBeNull();
      const signedIn = await users.upsertFromToken({
        tenantId: 'ta',
        oid: 'oid-1',
        email: 'ann@example.com',
        displayName: 'Ann',
        isAdmin: true,
      });
      expect(signedIn.id).toBe(a.id);
      expect(signedIn.isAdmin).toBe(true);
      expect((await users.findByEmailAnyTenant('ann@example.com')).length).toBe(2);
    });

    it('stores connection secrets encrypted and scoped', async () => {
      const users = new UserRepository(db.kysely, clock);
      const u = await users.create({ tenantId: 'ta', email: 'sec@example.com' });
      const repo = new ConnectionRepository(db.kysely, vault, clock);
      await repo.save({
        tenantId: 'ta',
        userId: u.id,
        side: 'calendar',
        provider: 'caldav',
        account: 'sec',
        url: 'https://dav.example.com/',
        options: { targetCalendarId: null },
        tokenExpiresAt: null,
        secret: { password: 'hunter2-very-secret' },
      });
      const raw = await db.kysely.selectFrom('connections').select('secret').where('user_id', '=', u.id).execute();
      expect(raw[0]?.secret).not.toContain('hunter2');
      expect(await repo.secret('ta', u.id, 'calendar')).toEqual({ password: 'hunter2-very-secret' });
      expect(await repo.get('tb', u.id, 'calendar')).toBeNull();
      expect(await repo.delete('tb', u.id, 'calendar')).toBe(false);
      expect(await repo.delete('ta', u.id, 'calendar')).toBe(true);
    });

    it('resolves settings layers, profiles and the audit log', async () => {
      const users = new UserRepository(db.kysely, clock);
      const u = await users.create({ tenantId: 'ts', email: 'set@example.com' });
      const settings = new SettingsRepository(db.kysely, clock);
      await settings.setGlobal('ts', { pastWindowDays: 10 });
      const p = await settings.createProfile('ts', {
        name: 'Sales',
        values: { direction: 'crm-to-calendar' },
        locked: ['direction'],
      });
      await users.setProfile('ts', u.id, p.id);
      await settings.setUser('ts', u.id, { direction: 'two-way', syncInvitees: false });
      const layers = await settings.layersFor('ts', u.id, p.id);
      expect(layers.profile?.locked).toEqual(['direction']);
      expect(layers.global).toEqual({ pastWindowDays: 10 });
      expect(await settings.getProfile('other', p.id)).toBeNull();
      const dup = await settings.createProfile('ts', { name: 'Sales', values: {}, locked: [] }).then(
        () => 'created',
        (e: unknown) => String(e),
      );
      expect(dup).toMatch(/unique|duplicate/i);
      expect(await settings.deleteProfile('ts', p.id)).toBe(true);
      expect((await users.get('ts', u.id))?.profileId).toBeNull();

      const audit = new AuditRepository(db.kysely, clock);
      const first = await audit.record('ts', { actor: 'a@x', action: 'profile.create', target: 'Sales', details: {} });
      await audit.record('ts', { actor: 'a@x', action: 'profile.delete', target: 'Sales', details: {} });
      const all = await audit.list('ts', 10);
      expect(all.map((e) => e.action)).toEqual(['profile.delete', 'profile.create']);
      expect((await audit.list('ts', 10, all[0]?.id)).map((e) => e.id)).toEqual([first]);
      expect(await audit.list('other', 10)).toEqual([]);
    });

    it('grants one run lease per user at a time', async () => {
      const users = new UserRepository(db.kysely, clock);
      const u = await users.create({ tenantId: 'tl', email: 'lease@example.com' });
      const state = new SyncStateRepository(db.kysely);
      const now = new Date('2026-01-01T00:00:00Z');
      const results = await Promise.all(
        ['w1', 'w2', 'w3'].map((w) => state.acquire('tl', u.id, w, `r-${w}`, 60_000, now)),
      );
      expect(results.filter(Boolean).length).toBe(1);
      const later = new Date(now.getTime() + 120_000);
      expect(await state.acquire('tl', u.id, 'w4', 'r4', 60_000, later)).toBe(true);
      await state.release('tl', u.id, 'w4', { nextRunAt: later.toISOString(), failures: 0 });
      expect(await state.due(later, 10)).toEqual([{ tenantId: 'tl', userId: u.id }]);
      expect(await state.dueWithProfile(later, 10)).toEqual([{ tenantId: 'tl', userId: u.id, profileId: null }]);
    });

    it('takes the lease in one statement: row created, failures returned, queued count taken off, other tenant refused', async () => {
      const users = new UserRepository(db.kysely, clock);
      const u = await users.create({ tenantId: 'tq', email: 'take@example.com' });
      const state = new SyncStateRepository(db.kysely);
      const now = new Date('2026-01-01T00:00:00Z');
      // No sync_state row yet: the statement creates it with the lease.
      expect(await state.take('tq', u.id, 'w1', 'r1', 60_000, now, { dequeue: true })).toEqual({ failures: 0 });
      expect((await state.get('tq', u.id)).queued).toBe(0);
      await state.addQueued('tq', u.id, 1);
      await state.addQueued('tq', u.id, 1);
      // Held: refused, and the queued count stays (the run still waits).
      expect(await state.take('tq', u.id, 'w2', 'r2', 60_000, now, { dequeue: true })).toBeNull();
      expect((await state.get('tq', u.id)).queued).toBe(2);
      await state.release('tq', u.id, 'w1', { nextRunAt: null, failures: 3 });
      expect(await state.take('tq', u.id, 'w2', 'r2', 60_000, now, { dequeue: true })).toEqual({ failures: 3 });
      const s = await state.get('tq', u.id);
      expect([s.queued, s.leaseOwner, s.runningRunId]).toEqual([1, 'w2', 'r2']);
      // Never below zero.
      await state.addQueued('tq', u.id, -5);
      expect((await state.get('tq', u.id)).queued).toBe(0);
      // The same user id under another tenant is not this row.
      await state.release('tq', u.id, 'w2', { nextRunAt: null, failures: 0 });
      expect(await state.take('other', u.id, 'w3', 'r3', 60_000, now)).toBeNull();
      expect((await state.get('tq', u.id)).leaseOwner).toBeNull();
    });

    it('scopes a lease to its run: a later run of the same process ends the old one and keeps its own lease', async () => {
      // Found by the chaos test: a worker's old run (its lease expired while the database was away) kept renewing
      // the lease its own process's retry had taken, so two runs of one user ran at once.
      const users = new UserRepository(db.kysely, clock);
      const u = await users.create({ tenantId: 'tl', email: 'same-process@example.com' });
      const state = new SyncStateRepository(db.kysely);
      const t0 = new Date('2026-01-01T00:00:00Z');
      expect(await state.acquire('tl', u.id, 'w1', 'old-run', 4_000, t0)).toBe(true);
      const t1 = new Date(t0.getTime() + 10_000); // expired: the retry in the same process takes it
      expect(await state.acquire('tl', u.id, 'w1', 'retry-run', 4_000, t1)).toBe(true);
      expect(await state.renew('tl', u.id, 'w1', 4_000, t1, 'old-run')).toBe(false);
      expect(await state.renew('tl', u.id, 'w1', 4_000, t1, 'retry-run')).toBe(true);
      // The old run, ending, does not free the retry's lease.
      await state.release('tl', u.id, 'w1', { nextRunAt: null, failures: 0 }, 'old-run');
      expect(await state.acquire('tl', u.id, 'w2', 'third-run', 4_000, t1)).toBe(false);
      await state.release('tl', u.id, 'w1', { nextRunAt: null, failures: 0 }, 'retry-run');
      expect(await state.acquire('tl', u.id, 'w2', 'third-run', 4_000, t1)).toBe(true);
    });

    it('status store keeps one user apart from another', async () => {
      const users = new UserRepository(db.kysely, clock);
      const u1 = await users.create({ tenantId: 'tx', email: 'one@example.com' });
      const u2 = await users.create({ tenantId: 'tx', email: 'two@example.com' });
      const s1 = new DbStatusStore(db.kysely, 'tx', u1.id);
      const s2 = new DbStatusStore(db.kysely, 'tx', u2.id);
      const wrongTenant = new DbStatusStore(db.kysely, 'ty', u1.id);
      const report: RunReport = {
        runId: 'r1',
        status: 'succeeded',
        trigger: 'manual',
        startedAt: '2026-01-01T00:00:00.000Z',
        finishedAt: '2026-01-01T00:00:01.000Z',
        crm: emptySideCounts(),
        calendar: emptySideCounts(),
        conflicts: 0,
        skipped: 0,
        invitationsSent: 0,
        errors: [],
        pendingDeletions: null,
      };
      await s1.saveRun(report);
      await s1.setCursor('crm', 'c1');
      await s1.setMeta({ firstSyncDone: true });
      expect(await s1.getRun('r1')).toEqual(report);
      expect(await s2.getRun('r1')).toBeNull();
      expect(await wrongTenant.getRun('r1')).toBeNull();
      expect(await s2.getCursor('crm')).toBeNull();
      await s1.reset();
      expect(await s1.getCursor('crm')).toBeNull();
      expect(await s1.getMeta()).toEqual({ firstSyncDone: true, repairing: true });
      expect(await s1.listRuns(5)).toHaveLength(1);
    });

    // SPEC §9 (every query scoped to the tenant) and §10.8 (no request can change another tenant's data). The
    // per-user tables are keyed by user id alone, so a store or repository handed the wrong tenant for a user must
    // not overwrite that user's rows through an upsert.
    it('refuses every upsert made with the wrong tenant and leaves the other tenant’s rows as they were', async () => {
      const users = new UserRepository(db.kysely, clock);
      const u = await users.create({ tenantId: 'tw', email: 'owner@example.com' });
      const own = new DbStatusStore(db.kysely, 'tw', u.id);
      const wrong = new DbStatusStore(db.kysely, 'tz', u.id);
      const link = makeLink();
      const intent: WriteIntent = {
        key: 'k1',
        side: 'crm',
        sourceId: 'evt-1',
        calendarId: 'primary',
        createdAt: '2026-11-21T09:00:00.000Z',
      };
      const tombstone: Tombstone = {
        side: 'crm',
        sourceId: 's1',
        sourceHash: 'h1',
        createdAt: '2026-11-21T09:00:00.000Z',
      };
      const cleanup: CleanupRecord = {
        id: 'cl1',
        createdAt: '2026-11-21T09:00:00.000Z',
        appliedAt: null,
        undoneAt: null,
        undoUntil: '2026-11-28T09:00:00.000Z',
        removals: [],
        merges: [],
      };
      const run = makeReport({ runId: 'r1' });
      const pending: PendingConfirmation = {
        runId: 'r1',
        createdAt: '2026-11-21T09:00:00.000Z',
        crm: 0,
        calendar: 40,
        reason: 'Empty side.',
      };
      await own.upsertLink(link);
      await own.setCursor('crm', 'own-cursor');
      await own.putIntent(intent);
      await own.putTombstone(tombstone);
      await own.saveCleanup(cleanup);
      await own.saveRun(run);
      await own.setMeta({ firstSyncDone: true });
      await own.setPendingConfirmation(pending);
      const before = await statusRows(u.id);

      const refused = (what: Promise<unknown>) => expect(what).rejects.toThrow(/belongs to another tenant/);
      await refused(wrong.upsertLink({ ...link, crmId: 'theirs' }));
      await refused(wrong.setCursor('crm', 'their-cursor'));
      await refused(wrong.putIntent({ ...intent, calendarId: 'theirs' }));
      await refused(wrong.putTombstone({ ...tombstone, sourceHash: 'theirs' }));
      await refused(wrong.saveCleanup({ ...cleanup, appliedAt: '2026-11-21T09:00:01.000Z' }));
      await refused(wrong.saveRun({ ...run, status: 'failed' }));
      await refused(wrong.setMeta({ firstSyncDone: false }));
      await refused(wrong.setPendingConfirmation(null));
      await refused(wrong.reset());
      expect(await statusRows(u.id)).toEqual(before);
      expect(await own.getCursor('crm')).toBe('own-cursor');

      const settings = new SettingsRepository(db.kysely, clock);
      await settings.setUser('tw', u.id, { syncInvitees: false });
      await expect(settings.setUser('tz', u.id, { syncInvitees: true })).rejects.toThrow(/belongs to another tenant/);
      expect(await settings.getUser('tw', u.id)).toEqual({ syncInvitees: false });

      const connections = new ConnectionRepository(db.kysely, vault, clock);
      const connection = {
        userId: u.id,
        side: 'calendar' as const,
        provider: 'caldav',
        account: 'owner',
        url: 'https://dav.example.com/owner/',
        options: { targetCalendarId: null },
        tokenExpiresAt: null,
      };
      await connections.save({ ...connection, tenantId: 'tw', secret: { password: 'owners-secret' } });
      await expect(
        connections.save({
          ...connection,
          tenantId: 'tz',
          url: 'https://evil.example.com/',
          secret: { password: 'x' },
        }),
      ).rejects.toThrow(new TenantScopeError('a connection'));
      expect((await connections.get('tw', u.id, 'calendar'))?.url).toBe('https://dav.example.com/owner/');
      expect(await connections.secret('tw', u.id, 'calendar')).toEqual({ password: 'owners-secret' });
    });

    it('keeps the connectors’ own item tags per tenant and CRM org', async () => {
      const now = () => new Date('2030-01-01T00:00:00Z');
      const a = itemTagStore(db.kysely, 'ta', 'salesforce|https://acme.my.salesforce.com', now);
      const colleague = itemTagStore(db.kysely, 'ta', 'salesforce|https://acme.my.salesforce.com', now);
      const otherOrg = itemTagStore(db.kysely, 'ta', 'salesforce|https://other.my.salesforce.com', now);
      const otherTenant = itemTagStore(db.kysely, 'tb', 'salesforce|https://acme.my.salesforce.com', now);
      await a.put('00U1', 'uid-1');
      await a.put('00U2', 'crm-born:uid-2');
      await a.put('00U1', 'uid-1b');
      expect(await colleague.find(['uid-1b', 'crm-born:uid-2', 'uid-1'])).toEqual(
        expect.arrayContaining([
          { itemId: '00U1', tag: 'uid-1b' },
          { itemId: '00U2', tag: 'crm-born:uid-2' },
        ]),
      );
      expect(await colleague.find(['uid-1'])).toEqual([]);
      expect([...(await colleague.tagsOf(['00U1', '00U9']))]).toEqual([['00U1', 'uid-1b']]);
      expect(await otherOrg.find(['uid-1b'])).toEqual([]);
      expect(await otherTenant.find(['uid-1b'])).toEqual([]);
    });
  });
}
