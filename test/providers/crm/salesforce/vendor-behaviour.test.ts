/**
 * Salesforce behaviour the vendor documents and the connector once got wrong (issue 20, points 1, 2, 4 and 6, and
 * the stock org without the connector's custom field). Each test failed before its fix.
 */
import crypto from 'node:crypto';
import { salesforceConnector } from '../../../../src/providers/crm/salesforce';
import type { CrmDraft } from '../../../../src/sync/model';
import type { CrmProvider } from '../../../../src/sync/ports';
import { connectSalesforce } from '../../../support/crm-doubles/connect';
import { startSalesforceDouble, type SalesforceDouble } from '../../../support/crm-doubles/salesforce';

const window = { from: '2030-01-01T00:00:00.000Z', to: null };
const day = 86_400_000;

describe('Salesforce as documented', () => {
  let sf: SalesforceDouble;
  beforeEach(async () => {
    sf = await startSalesforceDouble();
  });
  afterEach(() => sf.close());

  async function open(fields: Record<string, string> = {}): Promise<CrmProvider> {
    const { connection, env } = await connectSalesforce(sf, fields);
    return salesforceConnector.open(connection, env, { saveSecrets: async () => undefined });
  }
  const event = (subject: string, extra: Record<string, unknown> = {}) =>
    sf.insert('Event', {
      Subject: subject,
      StartDateTime: '2030-03-04T09:00:00.000+0000',
      EndDateTime: '2030-03-04T10:00:00.000+0000',
      IsAllDayEvent: false,
      OwnerId: sf.users[0]!.id,
      ...extra,
    });
  const draft = (type: CrmDraft['type'], n: number): CrmDraft => ({
    type,
    fields: {
      subject: `${type} ${n}`,
      timing: { kind: 'timed', start: '2030-04-01T13:00:00.000Z', end: '2030-04-01T14:00:00.000Z', timeZone: 'UTC' },
      body: '',
      location: '',
      visibility: 'normal',
      showAs: 'busy',
      attendees: [],
      recurrence: null,
      reminderMinutes: null,
    },
    iCalUId: `ical-${crypto.randomUUID()}`,
    syncToCalendar: true,
    links: { contactIds: [], companyIds: [] },
  });

  describe('getDeleted (REST "sObject Get Deleted": 15 days, range over one minute, seconds ignored)', () => {
    test('a user back after 16 days gets a full listing: deletions beyond getDeleted’s reach are not missed', async () => {
      const p = await open();
      const gone = event('Gone');
      event('Stays');
      const first = await p.listChanges(null, window);
      sf.advance(16 * day);
      sf.remove('Event', gone);
      const back = await p.listChanges(first.nextCursor, window);
      expect(back.full).toBe(true);
      expect(back.upserts.map((i) => i.fields.subject)).toEqual(['Stays']);
    });

    test('14 days away: getDeleted still reaches, the deletion is reported', async () => {
      const p = await open();
      const gone = event('Gone');
      const first = await p.listChanges(null, window);
      sf.advance(14 * day);
      sf.remove('Event', gone);
      sf.advance(5 * 60_000);
      const back = await p.listChanges(first.nextCursor, window);
      expect(back).toMatchObject({ full: false, removedIds: [gone] });
    });

    test('an emptied Recycle Bin (earliestDateAvailable after the cursor) means a full listing', async () => {
      const p = await open();
      const gone = event('Gone');
      const first = await p.listChanges(null, window);
      sf.advance(60 * 60_000);
      sf.remove('Event', gone);
      sf.advance(60 * 60_000);
      sf.purgeDeleteLog();
      sf.advance(10 * 60_000);
      const back = await p.listChanges(first.nextCursor, window);
      expect(back.full).toBe(true);
      expect(back.upserts).toEqual([]);
    });

    test('INVALID_REPLICATION_DATE from Salesforce means a full listing, not a failed run', async () => {
      const p = await open();
      event('One');
      const first = await p.listChanges(null, window);
      sf.advance(10 * 60_000);
      sf.failNext({
        status: 400,
        body: [{ errorCode: 'INVALID_REPLICATION_DATE', message: 'startDate before org replication enabled date' }],
        pathIncludes: '/deleted',
      });
      await expect(p.listChanges(first.nextCursor, window)).resolves.toMatchObject({ full: true });
    });

    test('EXCEEDED_ID_LIMIT (over 600,000 deletions in the range) means a full listing too', async () => {
      const p = await open();
      event('One');
      const first = await p.listChanges(null, window);
      sf.advance(10 * 60_000);
      sf.failNext({
        status: 400,
        body: [{ errorCode: 'EXCEEDED_ID_LIMIT', message: 'record limit reached' }],
        pathIncludes: '/deleted',
      });
      await expect(p.listChanges(first.nextCursor, window)).resolves.toMatchObject({ full: true });
    });

    test('70 seconds that span only one minute boundary are not asked (the range must exceed a minute)', async () => {
      const p = await open();
      sf.advance(30_000); // 08:00:30
      const first = await p.listChanges(null, window);
      sf.advance(70_000); // 08:01:40: 08:00..08:01 once seconds are dropped
      const next = await p.listChanges(first.nextCursor, window);
      expect(next.full).toBe(false);
      expect(sf.requests.filter((r) => r.path.includes('/deleted'))).toEqual([]);
      sf.advance(60_000);
      const later = await p.listChanges(next.nextCursor, window);
      expect(later.full).toBe(false);
      expect(sf.requests.filter((r) => r.path.includes('/deleted')).length).toBe(2);
    });
  });

  test('sObject Collections: a mixed batch is sent in runs of one type, at most 10 chunks a request', async () => {
    const p = await open();
    const writes = Array.from({ length: 24 }, (_, n) => ({
      op: 'create' as const,
      idempotencyKey: `k${n}`,
      draft: draft(n % 2 ? 'task' : 'meeting', n),
    }));
    const res = await p.writeItems(writes);
    expect(res.filter((r) => !r.ok)).toEqual([]);
    expect(res.map((r) => (r.ok ? r.value!.fields.subject : null))).toEqual(writes.map((w) => w.draft.fields.subject));
  });

  test('Event.Type hidden by field-level security: connect and sync work; calls are not offered', async () => {
    sf.hideFields('Event', ['Type']);
    const p = await open();
    event('Plain');
    const res = await p.listChanges(null, window);
    expect(res.upserts.map((i) => [i.fields.subject, i.type])).toEqual([['Plain', 'meeting']]);
    expect(p.capabilities.types).toEqual(['meeting', 'task']);
    const [m] = await p.writeItems([{ op: 'create', idempotencyKey: 'm', draft: draft('meeting', 1) }]);
    expect(m).toMatchObject({ ok: true, value: { type: 'meeting' } });
  });

  describe('recurring series and Shared Activities (Object Reference: Event, EventRelation)', () => {
    test('series masters (IsRecurrence, GroupEventType 3) are not mirrored; their occurrences are', async () => {
      const p = await open();
      const master = event('Weekly (legacy master)', { IsRecurrence: true });
      event('Weekly occurrence', { RecurrenceActivityId: master });
      sf.insert('Event', {
        Subject: 'Lightning series pattern',
        StartDateTime: '2030-03-04T09:00:00.000+0000',
        EndDateTime: '2030-03-04T10:00:00.000+0000',
        IsAllDayEvent: false,
        OwnerId: sf.users[0]!.id,
        IsRecurrence2: true,
        GroupEventType: '3',
      } as Record<string, unknown>);
      const res = await p.listChanges(null, window);
      expect(res.upserts.map((i) => i.fields.subject)).toEqual(['Weekly occurrence']);
    });

    test('related contacts (IsParent) are all kept as links; invitees are the attendees', async () => {
      const p = await open();
      const ann = sf.insert('Contact', { FirstName: 'Ann', LastName: 'A', Email: 'ann@acme.example' });
      const bob = sf.insert('Contact', { FirstName: 'Bob', LastName: 'B', Email: 'bob@acme.example' });
      const cy = sf.insert('Contact', { FirstName: 'Cy', LastName: 'C', Email: 'cy@acme.example' });
      const ev = event('Related', { WhoId: ann });
      sf.insert('EventRelation', { EventId: ev, RelationId: ann, IsParent: true, IsInvitee: false });
      sf.insert('EventRelation', { EventId: ev, RelationId: bob, IsParent: true, IsInvitee: false });
      sf.insert('EventRelation', { EventId: ev, RelationId: cy, IsParent: false, IsInvitee: true });
      const [item] = (await p.listChanges(null, window)).upserts;
      expect(item!.links.contactIds.sort()).toEqual([ann, bob, cy].sort());
      expect(item!.fields.attendees.map((a) => a.email).sort()).toEqual(['ann@acme.example', 'cy@acme.example']);
    });

    test('an invited colleague’s child copy is not listed as their own activity', async () => {
      const sally = await open();
      const ev = event('Group');
      await sally.writeItems([{ op: 'add-owner', id: ev, email: 'max@corp.example' }]);
      expect(sf.all('Event').filter((e) => e['IsChild'] === true)).toHaveLength(1);
      const { connection, env } = await connectSalesforce(sf, {}, 1);
      const max = salesforceConnector.open(connection, env, { saveSecrets: async () => undefined });
      expect((await max.listChanges(null, window)).upserts).toEqual([]);
    });

    test('without Shared Activities EventRelation has no IsInvitee: every relation is an invitee', async () => {
      sf.sharedActivities = false;
      const p = await open();
      const ann = sf.insert('Contact', { FirstName: 'Ann', LastName: 'A', Email: 'ann@acme.example' });
      const ev = event('Plain org');
      sf.insert('EventRelation', { EventId: ev, RelationId: ann });
      const [item] = (await p.listChanges(null, window)).upserts;
      expect(item!.fields.attendees).toEqual([{ email: 'ann@acme.example', name: 'Ann A' }]);
      const d = { ...draft('meeting', 2), links: { contactIds: [ann], companyIds: [] } };
      const [created] = await p.writeItems([{ op: 'create', idempotencyKey: 'x', draft: d }]);
      expect(created).toMatchObject({ ok: true, value: { links: { contactIds: [ann] } } });
    });
  });
});
