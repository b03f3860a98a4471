/**
 * The StatusStore contract (src/sync/status-store.ts). Every implementation — the in-memory one, the server's
 * SQLite and PostgreSQL stores — must pass it:
 *
 *   describeStatusStoreContract('SQLite', async () => ({ store, cleanup }));
 *
 * `make` is called before every test and must return an empty store scoped to one tenant + user;
 * `cleanup` is called after the test.
 */
import { PERMANENT_TOMBSTONE } from '../../src/sync/status-store';
import type { RunReport } from '../../src/shared/run-report';
import type { SyncedFields } from '../../src/sync/model';
import type {
  CleanupRecord,
  ConflictRecord,
  LinkRecord,
  StatusStore,
  TrailEntry,
  WriteIntent,
} from '../../src/sync/status-store';

const fieldsA: SyncedFields = {
  subject: 'Review ✓ – Überblick',
  timing: {
    kind: 'timed',
    start: '2026-11-22T09:00:00.000Z',
    end: '2026-11-22T10:00:00.000Z',
    timeZone: 'Europe/Berlin',
  },
  body: 'Line 1\nLine 2',
  location: 'Room 1',
  visibility: 'private',
  showAs: 'busy',
  attendees: [{ email: 'a@x.test', name: 'A' }, { email: 'b@x.test' }],
  recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=MO', exdates: ['2026-11-30T09:00:00.000Z'] },
  reminderMinutes: null,
};

const fieldsB: SyncedFields = {
  ...fieldsA,
  timing: { kind: 'all-day', startDate: '2026-11-23', endDate: '2026-11-24' },
  attendees: [],
  recurrence: null,
  reminderMinutes: 1440,
};

export function makeLink(over: Partial<LinkRecord> = {}): LinkRecord {
  return {
    id: 'crm-1\u0001evt-1',
    crmId: 'crm-1',
    eventId: 'evt-1',
    calendarId: 'primary',
    iCalUId: 'uid-1@x',
    origin: 'crm',
    crmVersion: 'v1',
    eventVersion: 'etag-1',
    crmFields: fieldsA,
    eventFields: fieldsB,
    crmHash: 'h1',
    eventHash: 'h2',
    syncedAt: '2026-11-21T09:00:00.000Z',
    ...over,
  };
}

export function makeReport(over: Partial<RunReport> = {}): RunReport {
  return {
    runId: 'run-1',
    status: 'succeeded',
    trigger: 'manual',
    startedAt: '2026-11-21T09:00:00.000Z',
    finishedAt: '2026-11-21T09:00:05.000Z',
    crm: { created: 1, updated: 2, deleted: 0, archived: 3 },
    calendar: { created: 4, updated: 0, deleted: 5, archived: 0 },
    conflicts: 1,
    skipped: 2,
    invitationsSent: 0,
    errors: [{ message: 'Boom.', kind: 'transient', side: 'calendar', itemId: 'evt-9', retryable: true }],
    pendingDeletions: null,
    ...over,
  };
}

export function describeStatusStoreContract(
  name: string,
  make: () => Promise<{ store: StatusStore; cleanup: () => Promise<void> }>,
): void {
  describe(`StatusStore contract: ${name}`, () => {
    let store: StatusStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    test('starts empty', async () => {
      expect(await store.loadLinks()).toEqual([]);
      expect(await store.getCursor('crm')).toBeNull();
      expect(await store.listIntents()).toEqual([]);
      expect(await store.listTombstones()).toEqual([]);
      expect(await store.getMeta()).toEqual({ firstSyncDone: false, repairing: false });
      expect(await store.listRuns(10)).toEqual([]);
      expect(await store.getPendingConfirmation()).toBeNull();
      expect(await store.getCleanup('nope')).toBeNull();
      expect(await store.getRun('nope')).toBeNull();
    });

    test('settledLinkCount (where a store has it) never counts while a link is unsettled', async () => {
      if (!store.settledLinkCount) return;
      // A store that cannot tell may always say null; a count is the number of links, and only while all are settled.
      expect([0, null]).toContain(await store.settledLinkCount());
      const settledOnes = [
        makeLink({ id: 's1', crmId: 'c1', eventId: 'e1' }),
        makeLink({ id: 's2', crmId: 'c2', eventId: 'e2', heldDelete: false, iCalUIdOwed: false }),
      ];
      for (const l of settledOnes) await store.upsertLink(l);
      expect([2, null]).toContain(await store.settledLinkCount());
      const unsettled: Partial<LinkRecord>[] = [
        { crmHash: '' },
        { eventHash: '' },
        { heldPush: { shown: { subject: 'Shown' } } },
        { heldDelete: true },
        { iCalUIdOwed: true },
      ];
      for (const over of unsettled) {
        const odd = makeLink({ id: 'u1', crmId: 'cu', eventId: 'eu', ...over });
        await store.upsertLink(odd);
        expect({ over, count: await store.settledLinkCount() }).toEqual({ over, count: null });
        await store.deleteLink(odd.id);
      }
      expect([2, null]).toContain(await store.settledLinkCount());
    });

    test('a transaction (where the store has one) keeps all its writes, or none when it fails', async () => {
      if (!store.transaction) return;
      const intent: WriteIntent = { key: 'k1', side: 'calendar', sourceId: 'crm-1', calendarId: 'c', createdAt: 'x' };
      await store.transaction(async () => {
        await store.putIntent(intent);
        await store.upsertLink(makeLink());
        // Nested: joins the open one.
        await store.transaction!(() => store.deleteTombstone('calendar', 'crm-1'));
      });
      expect(await store.listIntents()).toEqual([intent]);
      expect((await store.loadLinks()).map((l) => l.id)).toEqual([makeLink().id]);
      await expect(
        store.transaction(async () => {
          await store.deleteIntent('k1');
          await store.deleteLink(makeLink().id);
          throw new Error('the run failed here');
        }),
      ).rejects.toThrow('the run failed here');
      expect(await store.listIntents()).toEqual([intent]);
      expect((await store.loadLinks()).map((l) => l.id)).toEqual([makeLink().id]);
    });

    test('links round-trip exactly, upsert replaces, delete removes', async () => {
      const a = makeLink({
        occurrence: { seriesId: 'crm-0', originalStart: '2026-11-23T09:00:00.000Z' },
        iCalUIdOwed: true,
      });
      const b = makeLink({
        id: 'crm-2\u0001evt-2',
        crmId: 'crm-2',
        eventId: 'evt-2',
        iCalUId: null,
        origin: 'calendar',
        crmInfo: { type: 'task', completed: true, priority: 'high', url: 'https://crm.test/2' },
        eventIsOrganizer: false,
        // A write held back while invitations are off (it would e-mail the attendees).
        eventWritesNotify: true,
        heldPush: { shown: { subject: 'Before the CRM edit', attendees: [{ email: 'a@client.test' }] } },
        heldDelete: true,
      });
      await store.upsertLink(a);
      await store.upsertLink(b);
      const sorted = (l: LinkRecord[]): LinkRecord[] => [...l].sort((x, y) => x.id.localeCompare(y.id));
      expect(sorted(await store.loadLinks())).toEqual(sorted([a, b]));
      // The replacement drops the "iCalUId owed" note: an upsert replaces the whole record.
      const { iCalUIdOwed: _owed, ...settled } = a;
      const a2: LinkRecord = { ...settled, crmVersion: 'v2', crmHash: '' };
      await store.upsertLink(a2);
      expect(sorted(await store.loadLinks())).toEqual(sorted([a2, b]));
      await store.deleteLink(a.id);
      expect(await store.loadLinks()).toEqual([b]);
      await store.deleteLink('missing');
      expect(await store.loadLinks()).toEqual([b]);
    });

    test('returned values are copies: mutating them does not change the store', async () => {
      await store.upsertLink(makeLink());
      const [l] = await store.loadLinks();
      l!.crmFields.subject = 'mutated';
      expect((await store.loadLinks())[0]!.crmFields.subject).toBe(fieldsA.subject);
    });

    test('cursors set, replace and clear', async () => {
      await store.setCursor('crm', 'c1');
      await store.setCursor('calendar:primary', 'https://graph/delta?token=x&y=1');
      await store.setCursor('crm', 'c2');
      expect(await store.getCursor('crm')).toBe('c2');
      expect(await store.getCursor('calendar:primary')).toBe('https://graph/delta?token=x&y=1');
      await store.setCursor('crm', null);
      expect(await store.getCursor('crm')).toBeNull();
    });

    test('write intents put, list, delete', async () => {
      const i1: WriteIntent = {
        key: 'k1',
        side: 'calendar',
        sourceId: 'crm-1',
        calendarId: 'primary',
        createdAt: '2026-11-21T09:00:00.000Z',
      };
      const i2: WriteIntent = {
        key: 'k2',
        side: 'crm',
        sourceId: 'evt-1',
        calendarId: 'primary',
        createdAt: '2026-11-21T09:00:01.000Z',
      };
      await store.putIntent(i1);
      await store.putIntent(i2);
      await store.putIntent(i1);
      expect([...(await store.listIntents())].sort((a, b) => a.key.localeCompare(b.key))).toEqual([i1, i2]);
      await store.deleteIntent('k1');
      expect(await store.listIntents()).toEqual([i2]);
    });

    test('tombstones are keyed by side + source id', async () => {
      await store.putTombstone({
        side: 'calendar',
        sourceId: 'x',
        sourceHash: 'h1',
        createdAt: '2026-11-21T09:00:00.000Z',
      });
      await store.putTombstone({ side: 'crm', sourceId: 'x', sourceHash: 'h2', createdAt: '2026-11-21T09:00:00.000Z' });
      await store.putTombstone({
        side: 'calendar',
        sourceId: 'x',
        sourceHash: 'h3',
        createdAt: '2026-11-21T09:00:00.000Z',
      });
      const all = await store.listTombstones();
      expect(all).toHaveLength(2);
      expect(all.find((t) => t.side === 'calendar')!.sourceHash).toBe('h3');
      await store.deleteTombstone('calendar', 'x');
      expect((await store.listTombstones()).map((t) => t.side)).toEqual(['crm']);
    });

    test('meta merges partial updates', async () => {
      await store.setMeta({ firstSyncDone: true });
      expect(await store.getMeta()).toEqual({ firstSyncDone: true, repairing: false });
      await store.setMeta({ repairing: true });
      expect(await store.getMeta()).toEqual({ firstSyncDone: true, repairing: true });
    });

    test('runs: save replaces by id, newest first, limit', async () => {
      await store.saveRun(
        makeReport({ runId: 'r1', startedAt: '2026-11-21T09:00:00.000Z', status: 'running', finishedAt: null }),
      );
      await store.saveRun(makeReport({ runId: 'r2', startedAt: '2026-11-21T10:00:00.000Z' }));
      const final = makeReport({
        runId: 'r1',
        startedAt: '2026-11-21T09:00:00.000Z',
        status: 'needs-confirmation',
        pendingDeletions: { crm: 2, calendar: 30, reason: 'Too many.' },
      });
      await store.saveRun(final);
      expect(await store.getRun('r1')).toEqual(final);
      expect((await store.listRuns(10)).map((r) => r.runId)).toEqual(['r2', 'r1']);
      expect((await store.listRuns(1)).map((r) => r.runId)).toEqual(['r2']);
      // A cleanup, undo or reset entry keeps its kind (History shows it in its own words).
      const reset = makeReport({ runId: 'reset-1', kind: 'reset', startedAt: '2026-11-21T11:00:00.000Z' });
      await store.saveRun(reset);
      expect((await store.listRuns(1))[0]).toEqual(reset);
    });

    test('trail: filter by crmId, eventId, runId; newest first; limit', async () => {
      const e = (n: number, over: Partial<TrailEntry>): TrailEntry => ({
        runId: 'r1',
        at: `2026-11-21T09:00:0${n}.000Z`,
        crmId: null,
        eventId: null,
        action: 'calendar:create',
        reason: `reason ${n}`,
        ...over,
      });
      await store.addTrail([e(1, { crmId: 'c1' }), e(2, { crmId: 'c1', eventId: 'e1' })]);
      await store.addTrail([e(3, { runId: 'r2', eventId: 'e1' })]);
      expect((await store.listTrail({ crmId: 'c1' }, 10)).map((t) => t.reason)).toEqual(['reason 2', 'reason 1']);
      expect((await store.listTrail({ eventId: 'e1' }, 10)).map((t) => t.reason)).toEqual(['reason 3', 'reason 2']);
      expect((await store.listTrail({ runId: 'r2' }, 10)).map((t) => t.reason)).toEqual(['reason 3']);
      expect(await store.listTrail({}, 2)).toHaveLength(2);
      // The subject a line names its item with comes back as written.
      await store.addTrail([e(4, { runId: 'r3', subject: 'Quarterly review' })]);
      expect((await store.listTrail({ runId: 'r3' }, 10))[0]?.subject).toBe('Quarterly review');
    });

    test('conflicts keep both values of any JSON shape', async () => {
      const c: ConflictRecord = {
        id: 'k1',
        runId: 'r1',
        at: '2026-11-21T09:00:00.000Z',
        crmId: 'c1',
        eventId: 'e1',
        field: 'timing',
        crmValue: { kind: 'timed', start: 'a', end: 'b', timeZone: 'UTC' },
        calendarValue: null,
        winner: 'crm',
        policy: 'crm-wins',
      };
      await store.addConflicts([
        c,
        { ...c, id: 'k2', crmId: 'c2', field: 'subject', crmValue: 'x', calendarValue: 'y' },
      ]);
      expect(await store.listConflicts({ crmId: 'c1' }, 10)).toEqual([c]);
      expect(await store.listConflicts({ runId: 'r1' }, 10)).toHaveLength(2);
      expect(await store.listConflicts({ eventId: 'nope' }, 10)).toEqual([]);
    });

    test('cleanup records keep snapshots and update in place', async () => {
      const rec: CleanupRecord = {
        id: 'cl1',
        createdAt: '2026-11-21T09:00:00.000Z',
        appliedAt: null,
        undoneAt: null,
        undoUntil: '2026-11-28T09:00:00.000Z',
        removals: [{ side: 'calendar', id: 'e2', snapshot: { id: 'e2', fields: fieldsA, nested: [1, { a: null }] } }],
        merges: [{ side: 'crm', id: 'c1', patch: { body: 'x' } }],
      };
      await store.saveCleanup(rec);
      expect(await store.getCleanup('cl1')).toEqual(rec);
      const applied = { ...rec, appliedAt: '2026-11-21T09:00:01.000Z' };
      await store.saveCleanup(applied);
      expect(await store.getCleanup('cl1')).toEqual(applied);
    });

    test('pending confirmation set and clear', async () => {
      const p = { runId: 'r1', createdAt: '2026-11-21T09:00:00.000Z', crm: 0, calendar: 40, reason: 'Empty side.' };
      await store.setPendingConfirmation(p);
      expect(await store.getPendingConfirmation()).toEqual(p);
      await store.setPendingConfirmation(null);
      expect(await store.getPendingConfirmation()).toBeNull();
    });

    test('reset forgets links, cursors, conflicts, intents, tombstones but the user’s deletions; keeps runs, trail, cleanups; sets repairing', async () => {
      await store.upsertLink(makeLink());
      await store.setCursor('crm', 'c1');
      await store.putIntent({ key: 'k', side: 'calendar', sourceId: 's', calendarId: 'primary', createdAt: 'x' });
      await store.putTombstone({ side: 'crm', sourceId: 'e', sourceHash: 'h', createdAt: 'x' });
      const kept = { side: 'calendar' as const, sourceId: 'c', sourceHash: PERMANENT_TOMBSTONE, createdAt: 'x' };
      await store.putTombstone(kept);
      await store.addConflicts([
        {
          id: 'k',
          runId: 'r1',
          at: 'x',
          crmId: 'c',
          eventId: 'e',
          field: 'subject',
          crmValue: 1,
          calendarValue: 2,
          winner: 'crm',
          policy: 'crm-wins',
        },
      ]);
      await store.saveRun(makeReport());
      await store.addTrail([{ runId: 'run-1', at: 'x', crmId: 'c', eventId: null, action: 'a', reason: 'r' }]);
      await store.saveCleanup({
        id: 'cl',
        createdAt: 'x',
        appliedAt: null,
        undoneAt: null,
        undoUntil: 'y',
        removals: [],
        merges: [],
      });
      await store.setMeta({ firstSyncDone: true });
      await store.reset();
      expect(await store.loadLinks()).toEqual([]);
      expect(await store.getCursor('crm')).toBeNull();
      expect(await store.listIntents()).toEqual([]);
      // A permanent note is the user's deletion the CRM could not record: forgetting it would bring the item back.
      expect(await store.listTombstones()).toEqual([kept]);
      expect(await store.listConflicts({}, 10)).toEqual([]);
      expect(await store.listRuns(10)).toHaveLength(1);
      expect(await store.listTrail({}, 10)).toHaveLength(1);
      expect(await store.getCleanup('cl')).not.toBeNull();
      expect(await store.getMeta()).toEqual({ firstSyncDone: true, repairing: true });
    });
  });
}
