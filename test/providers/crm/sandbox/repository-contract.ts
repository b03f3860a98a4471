/**
 * Contract of the Kysely SandboxRepository, run on SQLite (repository.test.ts) and PostgreSQL
 * (repository.postgres.test.ts).
 */
import type { SandboxItemData, SandboxRepositoryFactory } from '../../../../src/providers/crm/sandbox';
import { SandboxError } from '../../../../src/providers/crm/sandbox/repository';

export function meeting(overrides: Partial<SandboxItemData> = {}): SandboxItemData {
  return {
    type: 'meeting',
    subject: 'Quarterly review',
    timing: {
      kind: 'timed',
      start: '2030-03-04T09:00:00.000Z',
      end: '2030-03-04T10:00:00.000Z',
      timeZone: 'Europe/Berlin',
    },
    body: 'Agenda',
    location: 'Room 1',
    visibility: 'normal',
    showAs: 'busy',
    attendees: [{ email: 'ann@acme.example', name: 'Ann' }],
    recurrence: null,
    reminderMinutes: 15,
    completed: false,
    priority: 'normal',
    syncToCalendar: null,
    archived: false,
    iCalUId: null,
    origin: 'crm',
    occurrence: null,
    links: { contactIds: [], companyIds: [] },
    ...overrides,
  };
}

export function repositoryContract(
  setup: () => Promise<{ repoFor: SandboxRepositoryFactory; close(): Promise<void> }>,
) {
  let repoFor: SandboxRepositoryFactory;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ repoFor, close } = await setup());
  });
  afterAll(() => close?.());

  let n = 0;
  const fresh = () => {
    n += 1;
    const tenantId = `t${n}`;
    return {
      tenantId,
      alice: repoFor({ tenantId, userEmail: 'Alice@Corp.example' }),
      bob: repoFor({ tenantId, userEmail: 'bob@corp.example' }),
    };
  };

  test('stores every field and gives it back as written', async () => {
    const { alice } = fresh();
    const data = meeting({
      recurrence: { rrule: 'FREQ=WEEKLY;COUNT=3', exdates: ['2030-03-11T09:00:00.000Z'] },
      syncToCalendar: true,
      iCalUId: 'uid-1',
      occurrence: null,
      links: { contactIds: ['c1'], companyIds: ['k1'] },
    });
    const [created] = await alice.createItems([{ data }]);
    expect(created).toMatchObject({ ...data, version: 1, ownerEmails: ['alice@corp.example'] });
    expect(await alice.getItem(created!.id)).toEqual(created);
  });

  test('the change feed lists creates, updates (once, at their latest change) and deletions in order', async () => {
    const { alice } = fresh();
    const [a, b, c] = await alice.createItems([
      { data: meeting() },
      { data: meeting({ subject: 'B' }) },
      { data: meeting({ subject: 'C' }) },
    ]);
    const first = await alice.changes(0, 2);
    expect(first.items.map((i) => i.id)).toEqual([a!.id, b!.id]);
    expect(first.more).toBe(true);
    const second = await alice.changes(first.position, 2);
    expect(second.items.map((i) => i.id)).toEqual([c!.id]);
    expect(second.more).toBe(false);

    await alice.updateItem(a!.id, { subject: 'A2' });
    await alice.updateItem(a!.id, { location: 'Room 2' });
    await alice.deleteItem(b!.id);
    const third = await alice.changes(second.position, 100);
    expect(third.items.map((i) => [i.id, i.subject, i.location, i.version])).toEqual([[a!.id, 'A2', 'Room 2', 3]]);
    expect(third.removedIds).toEqual([b!.id]);
    expect(await alice.changes(third.position, 100)).toEqual({
      items: [],
      removedIds: [],
      position: third.position,
      more: false,
    });
    // From the beginning: every current item, no removals.
    const all = await alice.changes(0, 100);
    expect(all.items.map((i) => i.id).sort()).toEqual([a!.id, c!.id].sort());
    expect(all.removedIds).toEqual([]);
  });

  test('If-Match versions: a stale version is a conflict, a missing item not-found', async () => {
    const { alice } = fresh();
    const [a] = await alice.createItems([{ data: meeting() }]);
    await alice.updateItem(a!.id, { subject: 'x' }, 1);
    await expect(alice.updateItem(a!.id, { subject: 'y' }, 1)).rejects.toMatchObject({ kind: 'conflict' });
    await expect(alice.updateItem('nope', { subject: 'y' })).rejects.toMatchObject({ kind: 'not-found' });
    await expect(alice.deleteItem('nope')).rejects.toMatchObject({ kind: 'not-found' });
    expect((await alice.getItem(a!.id))?.subject).toBe('x');
  });

  test('updateItems: several updates in one go, each failing on its own in its place', async () => {
    const { alice } = fresh();
    const [a, b] = await alice.createItems([{ data: meeting() }, { data: meeting({ subject: 'B' }) }]);
    const answers = await alice.updateItems([
      { id: a!.id, patch: { iCalUId: 'uid-a' } },
      { id: 'nope', patch: { iCalUId: 'uid-x' } },
      { id: b!.id, patch: { subject: 'B2' }, ifVersion: 7 },
      { id: b!.id, patch: { archived: true }, ifVersion: 1 },
    ]);
    expect(answers.map((x) => (x instanceof SandboxError ? x.kind : [x.id, x.version]))).toEqual([
      [a!.id, 2],
      'not-found',
      'conflict',
      [b!.id, 2],
    ]);
    expect((await alice.getItem(a!.id))?.iCalUId).toBe('uid-a');
    expect(await alice.getItem(b!.id)).toMatchObject({ subject: 'B', archived: true });
    expect(await alice.updateItems([])).toEqual([]);
  });

  test('an idempotency key makes a repeated create return the first item', async () => {
    const { alice } = fresh();
    const [a] = await alice.createItems([{ data: meeting(), idempotencyKey: 'k1' }]);
    const [again] = await alice.createItems([{ data: meeting({ subject: 'other' }), idempotencyKey: 'k1' }]);
    expect(again!.id).toBe(a!.id);
    expect(await alice.listItems()).toHaveLength(1);
  });

  test('users see their own activities; sharing by iCalUId and add-owner crosses users, never tenants', async () => {
    const { tenantId, alice, bob } = fresh();
    const other = repoFor({ tenantId: `${tenantId}-other`, userEmail: 'alice@corp.example' });
    const [a] = await alice.createItems([{ data: meeting({ iCalUId: 'shared-uid' }) }]);
    expect(await bob.listItems()).toEqual([]);
    expect(await bob.getItem(a!.id)).toBeNull();
    await expect(bob.updateItem(a!.id, { subject: 'hijack' })).rejects.toMatchObject({ kind: 'not-found' });
    expect((await bob.findByICalUId(['shared-uid'])).map((i) => i.id)).toEqual([a!.id]);
    expect(await other.findByICalUId(['shared-uid'])).toEqual([]);
    expect(await other.listItems()).toEqual([]);
    await expect(other.addOwner(a!.id, 'x@corp.example')).rejects.toMatchObject({ kind: 'not-found' });

    const bobFeed = await bob.changes(0, 100);
    const shared = await bob.addOwner(a!.id, 'bob@corp.example');
    expect(shared.ownerEmails).toEqual(['alice@corp.example', 'bob@corp.example']);
    expect((await bob.changes(bobFeed.position, 100)).items.map((i) => i.id)).toEqual([a!.id]);

    // A deletion reaches the users who owned the item, not others.
    const carol = repoFor({ tenantId, userEmail: 'carol@corp.example' });
    const carolFeed = await carol.changes(0, 100);
    const bobAfter = await bob.changes(0, 100);
    await alice.deleteItem(a!.id);
    expect((await bob.changes(bobAfter.position, 100)).removedIds).toEqual([a!.id]);
    expect((await carol.changes(carolFeed.position, 100)).removedIds).toEqual([]);
  });

  test('people lookup is case-insensitive, tenant-scoped and returns the company', async () => {
    const { tenantId, alice } = fresh();
    const acme = await alice.createCompany({ name: 'Acme', domain: 'acme.example' });
    const ann = await alice.createContact({
      email: 'Ann@Acme.example',
      name: 'Ann',
      kind: 'contact',
      companyId: acme.id,
    });
    await alice.createContact({ email: 'lee@lead.example', name: null, kind: 'lead', companyId: null });
    const found = await alice.findPeople(['ANN@acme.EXAMPLE', 'LEE@lead.example', 'nobody@x.example']);
    expect(found.map((p) => [p.email, p.kind, p.companyId])).toEqual([
      ['ann@acme.example', 'contact', acme.id],
      ['lee@lead.example', 'lead', null],
    ]);
    expect(found[0]!.id).toBe(ann.id);
    expect(
      await repoFor({ tenantId: `${tenantId}-x`, userEmail: 'a@b.example' }).findPeople(['ann@acme.example']),
    ).toEqual([]);
    await expect(
      alice.createContact({ email: 'z@z.example', name: null, kind: 'contact', companyId: 'missing' }),
    ).rejects.toMatchObject({
      kind: 'invalid',
    });
  });

  test('concurrent writers never lose a change from the feed', async () => {
    const { alice } = fresh();
    const start = await alice.changes(0, 1000);
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, i) => alice.createItems([{ data: meeting({ subject: `m${i}` }) }])),
    );
    const seen = new Set<string>();
    let pos = start.position;
    for (;;) {
      const page = await alice.changes(pos, 3);
      page.items.forEach((i) => seen.add(i.id));
      pos = page.position;
      if (!page.more) break;
    }
    expect([...seen].sort()).toEqual(created.map(([c]) => c!.id).sort());
  });
}
