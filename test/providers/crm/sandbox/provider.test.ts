import { createSandboxConnector, SandboxCrmProvider } from '../../../../src/providers/crm/sandbox';
import type { ProviderEnv } from '../../../../src/providers/connector';
import type { CrmDraft } from '../../../../src/sync/model';
import { meeting } from './repository-contract';
import { openSandboxDb, type SandboxDb } from './sandbox-support';

const window = { from: '2030-01-01T00:00:00.000Z', to: null };

function draft(overrides: Partial<CrmDraft> = {}): CrmDraft {
  const {
    type: _type,
    syncToCalendar: _s,
    iCalUId: _i,
    origin: _o,
    occurrence: _oc,
    links: _l,
    completed: _c,
    priority: _p,
    archived: _a,
    ...fields
  } = meeting();
  return {
    type: 'meeting',
    fields: { ...fields, timing: fields.timing! },
    iCalUId: 'evt-uid-1',
    syncToCalendar: true,
    links: { contactIds: [], companyIds: [] },
    ...overrides,
  };
}

describe('Sandbox CRM provider', () => {
  let sdb: SandboxDb;
  let n = 0;
  beforeAll(async () => {
    sdb = await openSandboxDb();
  });
  afterAll(() => sdb.db.close());
  const open = (email = 'alice@corp.example') => {
    n += 1;
    const tenantId = `p${n}`;
    return {
      tenantId,
      repo: sdb.repoFor({ tenantId, userEmail: email }),
      provider: new SandboxCrmProvider(sdb.repoFor({ tenantId, userEmail: email }), 'https://connector.example/'),
    };
  };

  test('full listing is the window; the cursor then yields only changes and explicit deletions', async () => {
    const { repo, provider } = open();
    const [old, current, undated] = await repo.createItems([
      {
        data: meeting({
          subject: 'old',
          timing: {
            kind: 'timed',
            start: '2029-01-01T09:00:00.000Z',
            end: '2029-01-01T10:00:00.000Z',
            timeZone: 'UTC',
          },
        }),
      },
      { data: meeting({ subject: 'current', syncToCalendar: false }) },
      { data: meeting({ type: 'task', subject: 'undated task', timing: null, priority: 'high', completed: true }) },
    ]);
    const full = await provider.listChanges(null, window);
    expect(full.full).toBe(true);
    expect(full.upserts.map((i) => i.fields.subject).sort()).toEqual(['current', 'undated task']);
    const item = full.upserts.find((i) => i.id === current!.id)!;
    expect(item).toMatchObject({
      type: 'meeting',
      version: '1',
      syncToCalendar: false,
      archived: false,
      origin: 'crm',
      url: `https://connector.example/sandbox/items/${current!.id}`,
      ownerEmails: ['alice@corp.example'],
      fields: { subject: 'current', timing: { kind: 'timed', timeZone: 'Europe/Berlin' }, reminderMinutes: 15 },
    });
    expect(full.upserts.find((i) => i.id === undated!.id)).toMatchObject({
      completed: true,
      priority: 'high',
      fields: { timing: null },
    });

    await repo.updateItem(current!.id, { subject: 'moved' });
    await repo.deleteItem(old!.id);
    const inc = await provider.listChanges(full.nextCursor, window);
    expect(inc.full).toBe(false);
    expect(inc.upserts.map((i) => i.fields.subject)).toEqual(['moved']);
    expect(inc.removedIds).toEqual([old!.id]);
    const idle = await provider.listChanges(inc.nextCursor, window);
    expect(idle).toMatchObject({ upserts: [], removedIds: [], full: false, nextCursor: inc.nextCursor });
    // A cursor from another provider is not ours: full listing.
    expect((await provider.listChanges('graph:xyz', window)).full).toBe(true);
  });

  test('a listing filter sees each item once, as it is at the end of the feed, even when it changes mid-listing', async () => {
    const { repo } = open();
    // 201 items: two pages of the change feed.
    const made = await repo.createItems(
      Array.from({ length: 201 }, (_, k) => ({ data: meeting({ subject: `visit ${k}` }) })),
    );
    const [changed, deleted] = [made[1]!, made[2]!];
    let reads = 0;
    // Between the first and the second page someone edits one listed item and deletes another.
    const racing = Object.create(repo) as typeof repo;
    racing.changes = async (position, limit) => {
      reads += 1;
      if (reads === 2) {
        await repo.updateItem(changed.id, { subject: 'edited' });
        await repo.deleteItem(deleted.id);
      }
      return repo.changes(position, limit);
    };
    const provider = new SandboxCrmProvider(racing, 'https://connector.example/');
    const rejected = new Set(made.filter((_, k) => k % 2 === 1).map((i) => i.id));
    const asked: { id: string; subject: string }[] = [];
    const res = await provider.listChanges(null, window, (item) => {
      asked.push({ id: item.id, subject: item.fields.subject });
      return !rejected.has(item.id);
    });
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(asked.map((a) => a.id).sort()).toEqual(
      made
        .filter((i) => i !== deleted)
        .map((i) => i.id)
        .sort(),
    );
    expect(asked.find((a) => a.id === changed.id)?.subject).toBe('edited');
    expect(res.upserts.map((i) => i.id).sort()).toEqual(
      made
        .filter((i, k) => k % 2 === 0 && i !== deleted)
        .map((i) => i.id)
        .sort(),
    );
  });

  test('writes: idempotent create with iCalUId and links, If-Match update, archive, sync flag, add-owner', async () => {
    const { tenantId, provider } = open();
    const [created, again] = await provider.writeItems([
      { op: 'create', idempotencyKey: 'intent-1', draft: draft({ links: { contactIds: ['c1'], companyIds: ['k1'] } }) },
      { op: 'create', idempotencyKey: 'intent-1', draft: draft() },
    ]);
    expect(created).toMatchObject({
      ok: true,
      value: {
        origin: 'calendar',
        iCalUId: 'evt-uid-1',
        syncToCalendar: true,
        links: { contactIds: ['c1'], companyIds: ['k1'] },
      },
    });
    const id = created!.ok ? created!.value!.id : '';
    expect(again!.ok && again!.value!.id).toBe(id);

    const [upd, stale] = await provider.writeItems([
      {
        op: 'update',
        id,
        ifMatch: '1',
        fields: { subject: 'renamed', location: '' },
        links: { contactIds: ['c2'], companyIds: ['k1'] },
      },
      { op: 'update', id, ifMatch: '1', fields: { subject: 'lost update' } },
    ]);
    expect(upd).toMatchObject({
      ok: true,
      // Links are added to the existing ones.
      value: {
        version: '2',
        fields: { subject: 'renamed', location: '' },
        links: { contactIds: ['c1', 'c2'], companyIds: ['k1'] },
      },
    });
    expect(stale).toMatchObject({ ok: false, error: { kind: 'conflict' } });

    const [archived, flag, missing] = await provider.writeItems([
      { op: 'archive', id },
      { op: 'set-sync-flag', id, value: false },
      { op: 'archive', id: 'does-not-exist' },
    ]);
    expect(archived).toMatchObject({ ok: true, value: { archived: true } });
    expect(flag).toMatchObject({ ok: true, value: { syncToCalendar: false, archived: true } });
    const [unarchived] = await provider.writeItems([{ op: 'unarchive', id }]);
    expect(unarchived).toMatchObject({ ok: true, value: { archived: false } });
    expect(missing).toMatchObject({ ok: false, error: { kind: 'not-found' } });

    const bob = new SandboxCrmProvider(sdb.repoFor({ tenantId, userEmail: 'bob@corp.example' }), 'https://c.example');
    const [shared] = await bob.findByICalUId(['evt-uid-1']);
    expect(shared!.id).toBe(id);
    const before = await bob.listChanges(null, window);
    expect(before.upserts).toEqual([]);
    const [owner] = await bob.writeItems([{ op: 'add-owner', id, email: 'Bob@corp.example' }]);
    expect(owner).toMatchObject({ ok: true, value: { ownerEmails: ['alice@corp.example', 'bob@corp.example'] } });
    expect((await bob.listChanges(before.nextCursor, window)).upserts.map((i) => i.id)).toEqual([id]);
  });

  test('set-ical-uid stores the event iCalUId on a CRM-born item (origin kept), found by colleagues', async () => {
    const { tenantId, repo, provider } = open();
    const [item] = await repo.createItems([{ data: meeting({ subject: 'CRM-born', iCalUId: null, origin: 'crm' }) }]);
    const [r, missing] = await provider.writeItems([
      { op: 'set-ical-uid', id: item!.id, iCalUId: 'mirror-uid@graph' },
      { op: 'set-ical-uid', id: 'nope', iCalUId: 'x' },
    ]);
    expect(r).toMatchObject({
      ok: true,
      value: { id: item!.id, iCalUId: 'mirror-uid@graph', origin: 'crm', version: String(item!.version + 1) },
    });
    expect(missing).toMatchObject({ ok: false, error: { kind: 'not-found' } });
    const bob = new SandboxCrmProvider(sdb.repoFor({ tenantId, userEmail: 'bob@corp.example' }), 'https://c.example');
    expect((await bob.findByICalUId(['mirror-uid@graph'])).map((i) => i.id)).toEqual([item!.id]);
  });

  test('people: batch lookup, and creating a contact links the company of its domain', async () => {
    const { repo, provider } = open();
    const acme = await repo.createCompany({ name: 'Acme', domain: 'acme.example' });
    await repo.createContact({ email: 'ann@acme.example', name: 'Ann', kind: 'contact', companyId: acme.id });
    expect(await provider.lookupPeople([])).toEqual([]);
    expect(await provider.lookupPeople(['ANN@ACME.EXAMPLE', 'x@y.example'])).toEqual([
      {
        email: 'ann@acme.example',
        contactId: expect.any(String),
        kind: 'contact',
        name: 'Ann',
        companyId: acme.id,
        companyName: 'Acme',
      },
    ]);
    const created = await provider.createContact!({ email: 'Ben@acme.example', name: 'Ben' });
    expect(created).toMatchObject({ email: 'ben@acme.example', kind: 'contact', companyId: acme.id });
    expect(await provider.lookupPeople(['ben@acme.example'])).toHaveLength(1);
  });

  test('connector: no URL, the server-supplied user, a real call; open scopes to that user', async () => {
    const connector = createSandboxConnector(sdb.repoFor);
    const env = { publicUrl: 'https://c.example' } as ProviderEnv;
    await expect(
      connector.connect!({ method: 'none', url: 'https://x.example', fields: {} }, env),
    ).rejects.toMatchObject({ reason: 'invalid-input', field: 'url' });
    await expect(
      connector.connect!({ method: 'none', url: null, fields: { tenantId: 't' } }, env),
    ).rejects.toMatchObject({ field: 'fields.userEmail' });
    const connection = await connector.connect!(
      { method: 'none', url: null, fields: { tenantId: 'conn', userEmail: 'Dana@corp.example' } },
      env,
    );
    expect(connection).toEqual({
      secrets: { tenantId: 'conn', userEmail: 'dana@corp.example' },
      account: 'dana@corp.example',
      url: null,
      expiresAt: null,
    });
    const provider = connector.open(connection, env, { saveSecrets: () => Promise.resolve() });
    const [w] = await provider.writeItems([{ op: 'create', idempotencyKey: 'k', draft: draft() }]);
    expect(w).toMatchObject({ ok: true, value: { ownerEmails: ['dana@corp.example'] } });
    expect(connector.descriptor).toMatchObject({ id: 'sandbox', customUrl: 'none', authMethods: [{ kind: 'none' }] });
  });
});
