import type { Connection, Secrets } from '../../../../src/providers/connector';
import {
  createPipedriveConnector,
  PipedriveClient,
  pipedriveSecretsFromRecord,
} from '../../../../src/providers/crm/pipedrive';
import type { CrmDraft, SyncedFields } from '../../../../src/sync/model';
import type { CrmProvider } from '../../../../src/sync/ports';
import type { ProviderError } from '../../../../src/sync/errors';
import { startPipedriveDouble, type PipedriveDouble } from '../../../support/crm-doubles/pipedrive/double';
import {
  connectPipedrive,
  pipedriveConnectorFor,
  pipedriveEnv,
  redirectUri,
} from '../../../support/crm-doubles/pipedrive/connect';
import { meetingDraft, meetingFields } from '../../../support/crm-drafts';

const window = { from: '2030-01-01T00:00:00.000Z', to: null };

const fields = (over: Partial<SyncedFields> = {}): SyncedFields =>
  meetingFields({
    subject: 'Demo',
    timing: { kind: 'timed', start: '2030-01-12T09:00:00.000Z', end: '2030-01-12T10:30:00.000Z', timeZone: 'UTC' },
    ...over,
  });
const draft = (over: Partial<CrmDraft> = {}, f: Partial<SyncedFields> = {}): CrmDraft => meetingDraft(fields(f), over);

describe('Pipedrive connector (API v2 double, checked against Pipedrive’s OpenAPI descriptions, strict objects)', () => {
  let pd: PipedriveDouble;
  let crm: CrmProvider;
  let saved: Secrets[];
  let acme: number;
  let ann: number;
  let connection: Connection;
  beforeEach(async () => {
    pd = await startPipedriveDouble();
    acme = pd.addOrganization('Acme');
    ann = pd.addPerson({ name: 'Ann Smith', email: 'ann@acme.example', orgId: acme });
    const connected = await connectPipedrive(pd);
    const { connector, env } = connected;
    connection = connected.connection;
    saved = [];
    crm = connector.open(connection, env, { saveSecrets: async (s) => void saved.push(s) });
  });
  afterEach(async () => {
    const violations = [...pd.violations];
    await pd.close();
    expect(violations).toEqual([]);
  });

  test('the contract is checked (../shared present), or the run says it was not', () => {
    if (!pd.contractChecked) console.warn('Pipedrive CONTRACT NOT CHECKED: ../shared/schemas/pipedrive is absent');
    expect(typeof pd.contractChecked).toBe('boolean');
  });

  test('API token: connects at the company domain as the token’s user; a bad token or URL gives its reason', async () => {
    const connector = pipedriveConnectorFor(pd);
    const env = pipedriveEnv(pd);
    const ok = await connector.connect!(
      { method: 'api-token', url: `${pd.url}/some/page`, fields: { apiToken: pd.users[1]!.token } },
      env,
    );
    expect(ok.account).toBe('max@corp.example @ corp.pipedrive.com');
    expect(pipedriveSecretsFromRecord(ok.secrets)).toMatchObject({
      method: 'api-token',
      apiBase: pd.url,
      userId: '12',
    });
    await expect(
      connector.connect!({ method: 'api-token', url: pd.url, fields: { apiToken: 'nope' } }, env),
    ).rejects.toMatchObject({ reason: 'unauthorized' });
    await expect(connector.connect!({ method: 'api-token', url: pd.url, fields: {} }, env)).rejects.toMatchObject({
      reason: 'invalid-input',
      field: 'fields.apiToken',
    });
    await expect(
      connector.connect!({ method: 'api-token', url: 'https://10.0.0.1', fields: { apiToken: 'x' } }, env),
    ).rejects.toMatchObject({ reason: 'blocked-url', field: 'url' });
    // Connecting probes each permission it needs with a cheap read; a refusal names what is missing.
    const token = pd.users[0]!.token;
    for (const [path, what] of [
      ['/api/v2/activities', 'activities (scope activities:full)'],
      ['/api/v2/persons', 'persons and organizations (scope contacts:full)'],
    ] as const) {
      pd.failNext({ status: 403, pathIncludes: path, body: { success: false, error: `no ${token}`, errorCode: 403 } });
      const err = (await connector.connect!(
        { method: 'api-token', url: pd.url, fields: { apiToken: token } },
        env,
      ).catch((e: unknown) => e)) as Error & { reason: string };
      expect(err).toMatchObject({ reason: 'missing-permission' });
      expect(err.message).toBe(`Signed in, but this Pipedrive user or app may not read ${what}.`);
    }
  });

  test('OAuth: authorize URL, code exchange with Basic client auth, api_domain checked, tokens refreshed', async () => {
    const connector = pipedriveConnectorFor(pd);
    const env = pipedriveEnv(pd);
    const url = new URL(
      await connector.oauth!.authorizationUrl({
        state: 'st',
        codeChallenge: 'ch',
        redirectUri,
        input: { method: 'oauth', url: null, fields: { clientId: 'cid', clientSecret: 's' } },
        env,
      }),
    );
    expect(url.pathname).toBe('/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: 'cid',
      redirect_uri: redirectUri,
      state: 'st',
    });

    const { connection } = await connectPipedrive(pd, 'oauth');
    expect(pipedriveSecretsFromRecord(connection.secrets)).toMatchObject({
      method: 'oauth',
      apiBase: pd.url,
      userId: '11',
    });
    const p = connector.open(connection, env, { saveSecrets: async (s) => void saved.push(s) });
    pd.advance(59.5 * 60_000);
    await p.listChanges(null, window);
    expect(saved).toHaveLength(1);
    pd.expireTokens();
    await p.listChanges(null, window);
    expect(saved).toHaveLength(2);

    const elsewhere = createPipedriveConnector({
      apiBase: pd.url,
      oauthBase: pd.url,
    });
    const err = await elsewhere
      .oauth!.exchangeCode({
        code: pd.authorize({ clientId: pd.clientId, redirectUri }),
        codeVerifier: 'x',
        redirectUri,
        input: { method: 'oauth', url: null, fields: { clientId: pd.clientId, clientSecret: pd.clientSecret } },
        env,
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'provider-error' });
    expect((err as Error).message).toContain('api_domain');
  });

  test('listing: types mapped, times from due_date/due_time/duration, attendees and participants, busy and done', async () => {
    const m = pd.addActivity({
      subject: 'Kick-off',
      type: 'meeting',
      owner_id: 11,
      due_date: '2030-01-15',
      due_time: '09:00',
      duration: '01:30',
      location: { value: 'HQ' },
      note: 'Bring slides',
      participants: [{ person_id: ann, primary: true }],
      person_id: ann,
      org_id: acme,
      attendees: [
        { email: 'Ann@Acme.example', name: 'Ann', person_id: ann },
        { email: 'sally@corp.example', user_id: 11 },
      ],
    });
    const c = pd.addActivity({
      subject: 'Call',
      type: 'call',
      owner_id: 11,
      due_date: '2030-01-16',
      due_time: '14:00',
      duration: '00:15',
      busy: false,
    });
    const t = pd.addActivity({
      subject: 'Offer',
      type: 'deadline',
      owner_id: 11,
      due_date: '2030-01-17',
      due_time: '12:00',
      done: true,
      note: 'x\n\ncrm-sync-uid: crm-born:uid-7@x',
    });
    const f = pd.addActivity({ subject: 'Nudge', type: 'follow_up', owner_id: 11, due_date: '2030-01-18' });
    pd.addActivity({ subject: 'Max’s', owner_id: 12, due_date: '2030-01-15', due_time: '09:00' });
    const { upserts, full } = await crm.listChanges(null, window);
    expect(full).toBe(true);
    const byId = new Map(upserts.map((i) => [i.id, i]));
    expect([...byId.keys()].sort()).toEqual(
      [`activity:${c}`, `activity:${f}`, `activity:${m}`, `activity:${t}`].sort(),
    );
    expect(byId.get(`activity:${m}`)).toMatchObject({
      type: 'meeting',
      fields: {
        subject: 'Kick-off',
        body: 'Bring slides',
        location: 'HQ',
        showAs: 'busy',
        timing: { kind: 'timed', start: '2030-01-15T09:00:00.000Z', end: '2030-01-15T10:30:00.000Z' },
        attendees: [{ email: 'ann@acme.example', name: 'Ann' }],
      },
      links: { contactIds: [`person:${ann}`], companyIds: [`organization:${acme}`] },
      iCalUId: null,
      origin: 'crm',
      syncToCalendar: null,
    });
    expect(byId.get(`activity:${c}`)).toMatchObject({
      type: 'call',
      fields: { showAs: 'free', timing: { end: '2030-01-16T14:15:00.000Z' } },
    });
    expect(byId.get(`activity:${t}`)).toMatchObject({
      type: 'task',
      completed: true,
      iCalUId: 'uid-7@x',
      origin: 'crm',
      fields: { body: 'x', timing: { start: '2030-01-17T12:00:00.000Z', end: '2030-01-17T12:00:00.000Z' } },
    });
    expect(byId.get(`activity:${f}`)).toMatchObject({
      type: 'follow-up',
      fields: { timing: { kind: 'all-day', startDate: '2030-01-18', endDate: '2030-01-19' } },
    });
  });

  test('incremental: updated_since with overlap, cursor pages of 500, deletions (is_deleted) as removals', async () => {
    for (let i = 0; i < 1_200; i++)
      pd.addActivity({ subject: `A${i}`, owner_id: 11, due_date: '2030-01-15', due_time: '09:00', duration: '01:00' });
    const first = await crm.listChanges(null, window);
    expect(first.upserts).toHaveLength(1_200);
    pd.advance(60 * 60_000);
    const overlap = await crm.listChanges(first.nextCursor, window);
    expect(overlap.full).toBe(false);
    const quiet = await crm.listChanges(overlap.nextCursor, window);
    expect(quiet).toMatchObject({ full: false, upserts: [], removedIds: [] });
    pd.advance(60 * 60_000);
    pd.updateActivity(5, { subject: 'changed' });
    pd.deleteActivity(6);
    const next = await crm.listChanges(quiet.nextCursor, window);
    expect(next.upserts.map((i) => [i.id, i.fields.subject])).toEqual([['activity:5', 'changed']]);
    expect(next.removedIds).toEqual(['activity:6']);
    // A cursor older than Pipedrive keeps deleted activities (30 days): a full listing.
    pd.advance(31 * 86_400_000);
    expect((await crm.listChanges(next.nextCursor, window)).full).toBe(true);
  }, 30_000);

  test('writes: create with attendees, participants and organization; lost creates found by the tag; updates; write-back', async () => {
    const d = draft(
      { links: { contactIds: [], companyIds: [`organization:${acme}`] } },
      { attendees: [{ email: 'ANN@acme.example', name: 'Ann' }, { email: 'guest@else.example' }] },
    );
    const [created] = await crm.writeItems([{ op: 'create', idempotencyKey: 'k', draft: d }]);
    expect(created).toMatchObject({
      ok: true,
      value: {
        type: 'meeting',
        iCalUId: d.iCalUId,
        origin: 'calendar',
        fields: {
          subject: 'Demo',
          body: 'Agenda',
          location: 'Room 4',
          timing: { start: '2030-01-12T09:00:00.000Z', end: '2030-01-12T10:30:00.000Z' },
          attendees: [{ email: 'ann@acme.example', name: 'Ann' }, { email: 'guest@else.example' }],
        },
        links: { contactIds: [`person:${ann}`], companyIds: [`organization:${acme}`] },
      },
    });
    const id = created!.ok ? created!.value!.id : '';
    const row = pd.activity(Number(id.split(':')[1]))!;
    expect(row).toMatchObject({
      owner_id: 11,
      due_date: '2030-01-12',
      due_time: '09:00',
      duration: '01:30',
      busy: true,
    });
    expect(row.note).toBe(`Agenda\n\ncrm-sync-uid: ${d.iCalUId}`);

    const before = pd.activities().length;
    const again = await crm.writeItems([{ op: 'create', idempotencyKey: 'k', draft: d }]);
    expect(again[0]).toMatchObject({ ok: true, value: { id } });
    expect(pd.activities()).toHaveLength(before);

    const upd = await crm.writeItems([
      {
        op: 'update',
        id,
        ifMatch: null,
        fields: { body: 'New agenda', attendees: [{ email: 'guest@else.example' }], showAs: 'free' },
      },
    ]);
    expect(upd[0]).toMatchObject({
      ok: true,
      value: {
        fields: { body: 'New agenda', showAs: 'free', attendees: [{ email: 'guest@else.example' }] },
        iCalUId: d.iCalUId,
      },
    });
    const task = await crm.writeItems([
      {
        op: 'create',
        idempotencyKey: 't',
        draft: draft({ type: 'task' }, { timing: { kind: 'all-day', startDate: '2030-01-20', endDate: '2030-01-21' } }),
      },
      { op: 'create', idempotencyKey: 'f', draft: draft({ type: 'follow-up' }) },
      { op: 'create', idempotencyKey: 'n', draft: draft({ type: 'note' }) },
    ]);
    expect(task.map((r) => r.ok)).toEqual([true, true, false]);
    expect(pd.activity(Number((task[1]!.ok ? task[1]!.value!.id : '').split(':')[1]))!.type).toBe('follow_up');

    const born = pd.addActivity({
      subject: 'CRM-born',
      owner_id: 11,
      due_date: '2030-01-22',
      due_time: '10:00',
      note: 'hello',
    });
    await crm.writeItems([{ op: 'set-ical-uid', id: `activity:${born}`, iCalUId: 'ev@x' }]);
    expect(pd.activity(born)!.note).toBe('hello\n\ncrm-sync-uid: crm-born:ev@x');
    expect((await crm.findByICalUId(['ev@x'])).map((i) => [i.id, i.origin])).toEqual([[`activity:${born}`, 'crm']]);
    const arch = await crm.writeItems([{ op: 'archive', id }]);
    expect(arch[0]).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    const owner = await crm.writeItems([{ op: 'add-owner', id, email: 'MAX@corp.example' }]);
    expect(owner[0]).toMatchObject({ ok: true });
    expect(pd.activity(Number(id.split(':')[1]))!.attendees).toContainEqual({ email: 'max@corp.example', user_id: 12 });
  });

  test('people: persons by exact e-mail with their organization; new persons can be created', async () => {
    expect(await crm.lookupPeople(['Ann@Acme.example', 'nobody@x.example'])).toEqual([
      {
        email: 'ann@acme.example',
        contactId: `person:${ann}`,
        kind: 'contact',
        name: 'Ann Smith',
        companyId: `organization:${acme}`,
        companyName: 'Acme',
      },
    ]);
    const created = await crm.createContact!({ email: 'New@Person.example', name: 'New Person' });
    expect(pd.person(Number(created.contactId.split(':')[1]))).toMatchObject({
      name: 'New Person',
      emails: [{ value: 'new@person.example', primary: true }],
    });
    // One search per address per run (each costs tokens): asked again, nothing is sent; the new person is known.
    const searches = () => pd.requests.filter((r) => r.path === '/api/v2/persons/search').length;
    const before = searches();
    const again = await crm.lookupPeople(['ann@acme.example', 'nobody@x.example', 'new@person.example']);
    expect(again.map((m) => m.contactId)).toEqual([`person:${ann}`, created.contactId]);
    expect(searches()).toBe(before);
  });

  test('rate limits: a 429 is transient with Retry-After, else x-ratelimit-reset', async () => {
    pd.failNext({ status: 429, headers: { 'retry-after': '3' }, body: { success: false, error: 'Too many requests' } });
    await expect(crm.listChanges(null, window)).rejects.toMatchObject({ kind: 'transient', retryAfterMs: 3000 });
    pd.failNext({
      status: 429,
      headers: { 'x-ratelimit-reset': '2' },
      body: { success: false, error: 'Too many requests' },
    });
    await expect(crm.listChanges(null, window)).rejects.toMatchObject({ kind: 'transient', retryAfterMs: 2000 });
  });

  test('the daily token budget: spent per operation’s x-token-cost; used up, the run stops with one clear error and asks no more', async () => {
    for (let i = 0; i < 3; i++)
      pd.addActivity({ subject: `A${i}`, owner_id: 11, type: 'meeting', due_date: '2030-01-20', due_time: '09:00' });
    await crm.listChanges(null, window);
    const spent = pd.limits.dailyTokens - pd.limits.tokensLeft;
    expect(spent).toBeGreaterThanOrEqual(pd.tokenCost('GET', '/api/v2/activities'));
    // Used up: Pipedrive answers 429 with x-daily-ratelimit-token-remaining 0.
    pd.limits.tokensLeft = 0;
    const err = (await crm.listChanges(null, window).catch((e: unknown) => e)) as ProviderError;
    expect(err).toMatchObject({ kind: 'permanent', status: 429 });
    expect(err.message).toBe(
      'Pipedrive: the company’s daily API token budget is used up; syncing stops until it resets at midnight UTC.',
    );
    expect(err.retryAfterMs).toBe(Date.parse('2030-01-11T00:00:00Z') - pd.now().getTime());
    const asked = pd.requests.length;
    await expect(crm.writeItems([{ op: 'create', idempotencyKey: 'k1', draft: draft() }])).rejects.toMatchObject({
      kind: 'permanent',
    });
    await expect(crm.listChanges(null, window)).rejects.toMatchObject({ kind: 'permanent' });
    expect(pd.requests.length).toBe(asked);
    // A new run (a new client): the last tokens are spent by a request that succeeds; the next one is not sent.
    const client = new PipedriveClient(pipedriveSecretsFromRecord(connection.secrets), {
      fetch: pipedriveEnv(pd).fetch,
      tokenFetch: pipedriveEnv(pd).fetch,
      now: () => pd.now(),
      onTokens: async () => undefined,
    });
    pd.limits.tokensLeft = 1;
    await expect(client.call('GET', '/v1/users/me')).resolves.toBeTruthy();
    const before = pd.requests.length;
    await expect(client.call('GET', '/v1/users/me')).rejects.toMatchObject({ kind: 'permanent' });
    expect(pd.requests.length).toBe(before);
  });

  test('the burst window: x-ratelimit-remaining 0 waits x-ratelimit-reset before the next request (no 429)', async () => {
    const sleeps: number[] = [];
    const s = pipedriveSecretsFromRecord((await connectPipedrive(pd)).connection.secrets);
    const client = new PipedriveClient(s, {
      fetch: pipedriveEnv(pd).fetch,
      tokenFetch: pipedriveEnv(pd).fetch,
      now: () => pd.now(),
      onTokens: async () => undefined,
      sleep: async (ms) => {
        sleeps.push(ms);
        pd.advance(ms);
      },
    });
    pd.limits.burst = 3;
    pd.advance(2_000);
    for (let i = 0; i < 7; i++) await client.call('GET', '/v1/users/me');
    expect(sleeps).toEqual([2000, 2000]);
  });

  test('errors name the call and Pipedrive’s code only, never its error text (which can carry a secret)', async () => {
    const token = pd.users[0]!.token;
    pd.failNext({
      status: 400,
      body: { success: false, error: `bad token ${token}`, error_info: 'Visit evil.example', errorCode: 400 },
    });
    const err = (await crm.listChanges(null, window).catch((e: unknown) => e)) as ProviderError;
    expect(err.message).toBe('HTTP 400: Pipedrive GET /api/v2/activities: 400');
    expect(err.message).not.toContain(token);
    expect(err.message).not.toContain('evil');
    pd.failNext({ status: 403, body: { success: false, error: `forbidden for ${token}`, error_info: token } });
    const forbidden = (await crm.listChanges(null, window).catch((e: unknown) => e)) as ProviderError;
    expect(forbidden).toMatchObject({ kind: 'forbidden', message: 'HTTP 403: Pipedrive GET /api/v2/activities' });
  });

  test('a deliberately wrong field name in an answer is caught by the strict contract check', async () => {
    if (!pd.contractChecked) return;
    pd.addActivity({ subject: 'x', owner_id: 11, due_date: '2030-01-15' });
    pd.mutateAnswer = (path, body) => {
      const b = body as { data?: Record<string, unknown>[] };
      return path === '/api/v2/activities' && Array.isArray(b.data)
        ? { ...b, data: b.data.map(({ due_date, ...rest }) => ({ ...rest, due_day: due_date })) }
        : body;
    };
    await crm.listChanges(null, window);
    pd.mutateAnswer = null;
    expect(pd.violations.some((v) => v.includes('must NOT have additional properties ("due_day")'))).toBe(true);
    pd.violations.length = 0;
  });
});
