import crypto from 'node:crypto';
import type { Secrets } from '../../../../src/providers/connector';
import { HubSpotClient, hubspotSecretsFromRecord } from '../../../../src/providers/crm/hubspot';
import type { CrmDraft, SyncedFields } from '../../../../src/sync/model';
import type { CrmProvider } from '../../../../src/sync/ports';
import { ProviderError } from '../../../../src/sync/errors';
import { startHubSpotDouble, type HubSpotDouble } from '../../../support/crm-doubles/hubspot/double';
import {
  connectHubSpot,
  hubspotConnectorFor,
  hubspotEnv,
  redirectUri,
} from '../../../support/crm-doubles/hubspot/connect';
import { meetingDraft, meetingFields } from '../../../support/crm-drafts';

const window = { from: '2030-01-01T00:00:00.000Z', to: null };

const fields = meetingFields;
const draft = (over: Partial<CrmDraft> = {}, f: Partial<SyncedFields> = {}): CrmDraft => meetingDraft(fields(f), over);

describe('HubSpot connector (CRM v3 + associations v4 double, checked against HubSpot’s OpenAPI files)', () => {
  let hs: HubSpotDouble;
  let saved: Secrets[];
  let crm: CrmProvider;
  let acme: string;
  let alice: string;
  beforeEach(async () => {
    hs = await startHubSpotDouble();
    hs.defineProperty('meetings', 'crm_sync_to_calendar');
    hs.defineProperty('calls', 'crm_sync_to_calendar');
    hs.defineProperty('tasks', 'crm_sync_to_calendar');
    acme = hs.insert('companies', { name: 'Acme', domain: 'acme.example' });
    alice = hs.insert('contacts', {
      email: 'alice@acme.example',
      firstname: 'Alice',
      lastname: 'Archer',
      associatedcompanyid: acme,
    });
    const { connector, connection, env } = await connectHubSpot(hs, { syncFlagProperty: 'crm_sync_to_calendar' });
    saved = [];
    crm = connector.open(connection, env, { saveSecrets: async (s) => void saved.push(s) });
  });
  afterEach(async () => {
    const violations = [...hs.violations];
    await hs.close();
    // Every request the connector sent and every answer the double gave matched HubSpot's OpenAPI files.
    expect(violations).toEqual([]);
  });

  test('the contract is checked (../shared present), or the run says it was not', () => {
    if (!hs.contractChecked) console.warn('HubSpot CONTRACT NOT CHECKED: ../shared/schemas/hubspot is absent');
    expect(typeof hs.contractChecked).toBe('boolean');
  });

  test('authorization URL: HubSpot’s authorize page, the connector’s scopes, PKCE S256; form fields checked', async () => {
    const connector = hubspotConnectorFor(hs);
    const env = hubspotEnv(hs);
    const input = { method: 'oauth', url: null, fields: { clientId: 'cid', clientSecret: 'sec' } };
    const url = new URL(
      await connector.oauth!.authorizationUrl({ state: 'st', codeChallenge: 'ch', redirectUri, input, env }),
    );
    expect(url.origin + url.pathname).toBe('https://app.hubspot.example/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: 'cid',
      redirect_uri: redirectUri,
      state: 'st',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('scope')!.split(' ')).toEqual(
      expect.arrayContaining(['crm.objects.contacts.read', 'crm.objects.contacts.write', 'crm.objects.owners.read']),
    );
    await expect(
      connector.oauth!.authorizationUrl({
        state: 's',
        codeChallenge: 'c',
        redirectUri,
        input: { ...input, fields: { clientId: 'x' } },
        env,
      }),
    ).rejects.toMatchObject({ reason: 'invalid-input', field: 'fields.clientSecret' });
    await expect(
      connector.oauth!.authorizationUrl({
        state: 's',
        codeChallenge: 'c',
        redirectUri,
        input: { ...input, fields: { ...input.fields, syncFlagProperty: 'Bad Name' } },
        env,
      }),
    ).rejects.toMatchObject({ field: 'fields.syncFlagProperty' });
  });

  test('OAuth connect: the user, portal and owner id from HubSpot; a wrong PKCE verifier is unauthorized', async () => {
    const { connection } = await connectHubSpot(hs);
    expect(connection.account).toBe('sally@corp.example @ HubSpot 4242');
    const s = hubspotSecretsFromRecord(connection.secrets);
    expect(s).toMatchObject({ method: 'oauth', ownerId: '501', userEmail: 'sally@corp.example', portalId: '4242' });
    expect(Date.parse(s.accessTokenExpiresAt!) - hs.now().getTime()).toBe(30 * 60_000);

    const connector = hubspotConnectorFor(hs);
    const code = hs.authorize({ clientId: hs.clientId, redirectUri, codeChallenge: 'not-the-challenge' });
    const err = await connector
      .oauth!.exchangeCode({
        code,
        codeVerifier: 'verifier',
        redirectUri,
        input: { method: 'oauth', url: null, fields: { clientId: hs.clientId, clientSecret: hs.clientSecret } },
        env: hubspotEnv(hs),
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'unauthorized' });
  });

  test('private-app token: connects for the named user; a bad token, missing scopes, an unknown user and a missing tag property each give their reason', async () => {
    const connector = hubspotConnectorFor(hs);
    const env = hubspotEnv(hs);
    const input = (accessToken: string, ownerEmail = 'Max@Corp.example') => ({
      method: 'private-app',
      url: null,
      fields: { accessToken, ownerEmail },
    });
    const ok = await connector.connect!(input(hs.privateAppToken()), env);
    expect(ok.account).toBe('max@corp.example');
    expect(hubspotSecretsFromRecord(ok.secrets)).toMatchObject({ method: 'private-app', ownerId: '502' });

    await expect(connector.connect!(input('pat-na1-wrong'), env)).rejects.toMatchObject({ reason: 'unauthorized' });
    await expect(connector.connect!(input(hs.privateAppToken(['crm.objects.owners.read'])), env)).rejects.toMatchObject(
      { reason: 'missing-permission' },
    );
    await expect(connector.connect!(input(hs.privateAppToken(), 'nobody@corp.example'), env)).rejects.toMatchObject({
      reason: 'missing-permission',
      field: 'fields.ownerEmail',
    });
    await expect(connector.connect!({ ...input(''), fields: { ownerEmail: 'a@b.c' } }, env)).rejects.toMatchObject({
      reason: 'invalid-input',
      field: 'fields.accessToken',
    });

    const bare = await startHubSpotDouble({ tagProperty: false });
    try {
      const err = (await hubspotConnectorFor(bare).connect!(
        {
          method: 'private-app',
          url: null,
          fields: { accessToken: bare.privateAppToken(), ownerEmail: 'sally@corp.example' },
        },
        hubspotEnv(bare),
      ).catch((e: unknown) => e)) as Error & { reason: string };
      expect(err.reason).toBe('missing-permission');
      expect(err.message).toContain('crm_sync_ical_uid');
    } finally {
      await bare.close();
    }
  });

  test('disconnect deletes the OAuth refresh token at HubSpot: the connection can no longer refresh', async () => {
    const { connector, connection, env } = await connectHubSpot(hs);
    await connector.revoke!(connection, env);
    const p = connector.open(connection, env, { saveSecrets: async () => undefined });
    hs.expireTokens();
    await expect(p.listChanges(null, window)).rejects.toMatchObject({ kind: 'auth' });
  });

  test('30-minute tokens: refreshed shortly before expiry, and once after a 401; the new tokens are saved', async () => {
    await crm.listChanges(null, window);
    hs.advance(29.5 * 60_000);
    await crm.listChanges(null, window);
    expect(saved).toHaveLength(1);
    expect(saved[0]!['accessToken']).toBeTruthy();
    hs.expireTokens();
    await crm.listChanges(null, window);
    expect(saved).toHaveLength(2);
  });

  test('listing: the user’s meetings, calls and tasks with times, people, company, tag, flag and status', async () => {
    const m = hs.insert('meetings', {
      hs_meeting_title: 'Kick-off',
      hs_meeting_body: 'Notes',
      hs_meeting_location: 'HQ',
      hs_meeting_start_time: '2030-01-15T09:00:00Z',
      hs_meeting_end_time: '2030-01-15T10:00:00Z',
      hs_timestamp: '2030-01-15T09:00:00Z',
      hs_meeting_outcome: 'SCHEDULED',
      hubspot_owner_id: '501',
      crm_sync_to_calendar: 'true',
    });
    hs.associate('meetings', m, 'contacts', [alice]);
    hs.associate('meetings', m, 'companies', [acme]);
    const c = hs.insert('calls', {
      hs_call_title: 'Follow-up call',
      hs_timestamp: '2030-01-16T14:00:00Z',
      hs_call_duration: String(15 * 60_000),
      hubspot_owner_id: '501',
    });
    const t = hs.insert('tasks', {
      hs_task_subject: 'Send offer',
      hs_timestamp: '2030-01-17T12:00:00Z',
      hs_task_status: 'COMPLETED',
      hs_task_priority: 'HIGH',
      hubspot_owner_id: '501',
      crm_sync_ical_uid: 'crm-born:uid-1@x',
    });
    const allDay = hs.insert('meetings', {
      hs_meeting_title: 'Offsite',
      hs_meeting_start_time: '2030-01-20T00:00:00Z',
      hs_meeting_end_time: '2030-01-22T00:00:00Z',
      hubspot_owner_id: '501',
      hs_meeting_outcome: 'CANCELED',
    });
    hs.insert('meetings', {
      hs_meeting_title: 'Not mine',
      hubspot_owner_id: '502',
      hs_timestamp: '2030-01-15T09:00:00Z',
    });
    hs.insert('meetings', {
      hs_meeting_title: 'Long ago',
      hubspot_owner_id: '501',
      hs_timestamp: '2029-06-01T09:00:00Z',
    });

    const { upserts, full, removedIds } = await crm.listChanges(null, window);
    expect(full).toBe(true);
    expect(removedIds).toEqual([]);
    const byId = new Map(upserts.map((i) => [i.id, i]));
    expect([...byId.keys()].sort()).toEqual([`call:${c}`, `meeting:${allDay}`, `meeting:${m}`, `task:${t}`].sort());
    expect(byId.get(`meeting:${m}`)).toMatchObject({
      type: 'meeting',
      fields: {
        subject: 'Kick-off',
        body: 'Notes',
        location: 'HQ',
        timing: { kind: 'timed', start: '2030-01-15T09:00:00.000Z', end: '2030-01-15T10:00:00.000Z' },
        attendees: [{ email: 'alice@acme.example' }],
      },
      syncToCalendar: true,
      archived: false,
      origin: 'crm',
      iCalUId: null,
      links: { contactIds: [`contact:${alice}`], companyIds: [`company:${acme}`] },
      url: `https://app.hubspot.example/contacts/4242/record/0-47/${m}`,
      ownerEmails: ['sally@corp.example'],
    });
    expect(byId.get(`call:${c}`)!.fields.timing).toMatchObject({
      start: '2030-01-16T14:00:00.000Z',
      end: '2030-01-16T14:15:00.000Z',
    });
    expect(byId.get(`task:${t}`)).toMatchObject({
      completed: true,
      priority: 'high',
      iCalUId: 'uid-1@x',
      origin: 'crm',
      fields: { showAs: 'free', timing: { start: '2030-01-17T12:00:00.000Z', end: '2030-01-17T12:00:00.000Z' } },
    });
    expect(byId.get(`meeting:${allDay}`)).toMatchObject({
      archived: true,
      fields: { timing: { kind: 'all-day', startDate: '2030-01-20', endDate: '2030-01-22' } },
    });
  });

  test('incremental listing: changes since the cursor, and HubSpot deletions (recycle bin) as removals', async () => {
    const a = hs.insert('meetings', {
      hs_meeting_title: 'A',
      hubspot_owner_id: '501',
      hs_timestamp: '2030-01-15T09:00:00Z',
    });
    const b = hs.insert('meetings', {
      hs_meeting_title: 'B',
      hubspot_owner_id: '501',
      hs_timestamp: '2030-01-15T11:00:00Z',
    });
    const first = await crm.listChanges(null, window);
    expect(first.upserts).toHaveLength(2);
    hs.advance(60 * 60_000);
    // The cursor keeps five minutes of overlap (HubSpot's search index trails writes): what changed at the first
    // listing's start comes once more, then no more.
    const overlap = await crm.listChanges(first.nextCursor, window);
    expect(overlap.upserts).toHaveLength(2);
    const quiet = await crm.listChanges(overlap.nextCursor, window);
    expect(quiet).toMatchObject({ full: false, upserts: [], removedIds: [] });
    hs.advance(60 * 60_000);
    hs.update('meetings', a, { hs_meeting_title: 'A2' });
    hs.archive('meetings', b);
    const next = await crm.listChanges(quiet.nextCursor, window);
    expect(next.full).toBe(false);
    expect(next.upserts.map((i) => [i.id, i.fields.subject])).toEqual([[`meeting:${a}`, 'A2']]);
    expect(next.removedIds).toEqual([`meeting:${b}`]);
    const garbage = await crm.listChanges('something-else', window);
    expect(garbage.full).toBe(true);
  });

  test('a listing of 10,100 meetings: key-set pages of 100, every search at offset 0 (under the 10,000 cap)', async () => {
    for (let i = 0; i < 10_100; i++)
      hs.insert('meetings', {
        hs_meeting_title: `M${i}`,
        hubspot_owner_id: '501',
        hs_timestamp: '2030-01-15T09:00:00Z',
      });
    let kept = 0;
    const { upserts } = await crm.listChanges(null, window, () => kept++ % 2 === 0);
    expect(kept).toBe(10_100);
    expect(upserts).toHaveLength(5_050);
    expect(new Set(upserts.map((u) => u.id)).size).toBe(5_050);
  }, 60_000);

  test('creates: one batch per object, associations with HubSpot’s type ids, lost creates found by the tag', async () => {
    const beta = hs.insert('companies', { name: 'Beta' });
    const bob = hs.insert('contacts', { email: 'bob@beta.example', associatedcompanyid: beta });
    const meeting = draft(
      { links: { contactIds: [], companyIds: [`company:${acme}`] } },
      {
        attendees: [{ email: 'Alice@Acme.example' }, { email: 'unknown@nowhere.example' }],
      },
    );
    const call = draft(
      { type: 'call', links: { contactIds: [`contact:${bob}`], companyIds: [`company:${beta}`] } },
      { subject: 'Call Bob', location: '' },
    );
    const task = draft(
      { type: 'task', syncToCalendar: false },
      {
        subject: 'Prepare',
        location: '',
        attendees: [{ email: 'bob@beta.example' }],
        timing: { kind: 'timed', start: '2030-01-13T08:00:00.000Z', end: '2030-01-13T08:00:00.000Z', timeZone: 'UTC' },
      },
    );
    const res = await crm.writeItems([
      { op: 'create', idempotencyKey: 'k1', draft: meeting },
      { op: 'create', idempotencyKey: 'k2', draft: call },
      { op: 'create', idempotencyKey: 'k3', draft: task },
      { op: 'create', idempotencyKey: 'k4', draft: draft({ type: 'note' }) },
    ]);
    expect(res.map((r) => r.ok)).toEqual([true, true, true, false]);
    const [m, c, t] = res.map((r) => (r.ok ? r.value! : null));
    expect(m).toMatchObject({
      type: 'meeting',
      iCalUId: meeting.iCalUId,
      origin: 'calendar',
      syncToCalendar: true,
      fields: { subject: 'Quarterly review', location: 'Room 4', attendees: [{ email: 'alice@acme.example' }] },
      links: { contactIds: [`contact:${alice}`], companyIds: [`company:${acme}`] },
    });
    expect(c).toMatchObject({
      type: 'call',
      links: { contactIds: [`contact:${bob}`], companyIds: [`company:${beta}`] },
    });
    expect(c!.fields.timing).toMatchObject({ start: '2030-01-12T09:00:00.000Z', end: '2030-01-12T10:00:00.000Z' });
    expect(t).toMatchObject({
      type: 'task',
      syncToCalendar: false,
      completed: false,
      links: { contactIds: [`contact:${bob}`] },
    });
    const mId = m!.id.split(':')[1]!;
    expect(hs.get('meetings', mId)!.properties).toMatchObject({
      hubspot_owner_id: '501',
      crm_sync_ical_uid: meeting.iCalUId,
    });

    // The answer to a create was lost: the retry finds the activity by its tag and writes nothing.
    const before = hs.all('meetings').length;
    const again = await crm.writeItems([{ op: 'create', idempotencyKey: 'k1', draft: meeting }]);
    expect(again[0]).toMatchObject({ ok: true, value: { id: m!.id } });
    expect(hs.all('meetings')).toHaveLength(before);
    expect((await crm.findByICalUId([meeting.iCalUId])).map((i) => i.id)).toEqual([m!.id]);
  });

  test('a batch HubSpot refuses as a whole is retried one by one: only the bad item fails', async () => {
    const res = await crm.writeItems([
      { op: 'create', idempotencyKey: 'a', draft: draft() },
      {
        op: 'create',
        idempotencyKey: 'b',
        draft: draft({ links: { contactIds: [], companyIds: ['company:999999'] } }),
      },
      { op: 'create', idempotencyKey: 'c', draft: draft() },
    ]);
    expect(res.map((r) => r.ok)).toEqual([true, false, true]);
    expect(res[1]).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    expect(hs.all('meetings')).toHaveLength(2);
  });

  test('updates: fields, attendees replace contact associations, archive/unarchive, flag, tag write-back, add-owner', async () => {
    const bob = hs.insert('contacts', { email: 'bob@beta.example' });
    const [created] = await crm.writeItems([
      { op: 'create', idempotencyKey: 'k', draft: draft({}, { attendees: [{ email: 'alice@acme.example' }] }) },
    ]);
    const id = created!.ok ? created!.value!.id : '';
    const hsId = id.split(':')[1]!;
    const res = await crm.writeItems([
      {
        op: 'update',
        id,
        ifMatch: null,
        fields: {
          subject: 'Moved',
          timing: {
            kind: 'timed',
            start: '2030-01-12T11:00:00.000Z',
            end: '2030-01-12T12:30:00.000Z',
            timeZone: 'UTC',
          },
          attendees: [{ email: 'bob@beta.example' }],
        },
      },
    ]);
    expect(res[0]).toMatchObject({
      ok: true,
      value: {
        fields: {
          subject: 'Moved',
          attendees: [{ email: 'bob@beta.example' }],
          timing: { end: '2030-01-12T12:30:00.000Z' },
        },
      },
    });
    expect(hs.associated('meetings', hsId, 'contacts')).toEqual([bob]);

    expect((await crm.writeItems([{ op: 'archive', id }]))[0]).toMatchObject({ ok: true, value: { archived: true } });
    expect(hs.get('meetings', hsId)!.properties['hs_meeting_outcome']).toBe('CANCELED');
    expect((await crm.writeItems([{ op: 'unarchive', id }]))[0]).toMatchObject({
      ok: true,
      value: { archived: false },
    });
    expect((await crm.writeItems([{ op: 'set-sync-flag', id, value: false }]))[0]).toMatchObject({
      ok: true,
      value: { syncToCalendar: false },
    });
    await crm.writeItems([{ op: 'set-ical-uid', id, iCalUId: 'other@x' }]);
    expect(hs.get('meetings', hsId)!.properties['crm_sync_ical_uid']).toBe('crm-born:other@x');
    expect((await crm.writeItems([{ op: 'add-owner', id, email: 'MAX@corp.example' }]))[0]).toMatchObject({ ok: true });
    expect(hs.get('meetings', hsId)!.properties['hs_attendee_owner_ids']).toBe('502');

    // Max's connector now lists the meeting (a further HubSpot attendee).
    const max = await connectHubSpot(hs, {}, 1);
    const maxCrm = max.connector.open(max.connection, max.env, { saveSecrets: async () => undefined });
    expect((await maxCrm.listChanges(null, window)).upserts.map((i) => i.id)).toEqual([id]);

    const unknown = await crm.writeItems([{ op: 'add-owner', id, email: 'nobody@corp.example' }]);
    expect(unknown[0]).toMatchObject({ ok: false, error: { kind: 'not-found' } });
    const gone = await crm.writeItems([{ op: 'update', id: 'meeting:1', ifMatch: null, fields: { subject: 'x' } }]);
    expect(gone[0]).toMatchObject({ ok: false });
  });

  test('people: contacts by e-mail (any case) with their company; unknown contacts can be created', async () => {
    const matches = await crm.lookupPeople(['ALICE@acme.example', 'nobody@x.example']);
    expect(matches).toEqual([
      {
        email: 'alice@acme.example',
        contactId: `contact:${alice}`,
        kind: 'contact',
        name: 'Alice Archer',
        companyId: `company:${acme}`,
        companyName: 'Acme',
      },
    ]);
    const created = await crm.createContact!({ email: 'New@Person.example', name: 'New Person' });
    expect(created).toMatchObject({ email: 'new@person.example', kind: 'contact', name: 'New Person' });
    expect(hs.get('contacts', created.contactId.slice(8))!.properties).toMatchObject({
      email: 'new@person.example',
      firstname: 'New',
      lastname: 'Person',
    });
  });

  test('rate limits: Retry-After, else HubSpot’s interval header, else the daily budget (an hour)', async () => {
    hs.failNext({
      status: 429,
      headers: { 'retry-after': '7' },
      body: { category: 'RATE_LIMITS', message: 'secondly limit', correlationId: crypto.randomUUID() },
    });
    await expect(crm.listChanges(null, window)).rejects.toMatchObject({ kind: 'transient', retryAfterMs: 7000 });
    hs.failNext({
      status: 429,
      headers: { 'x-hubspot-ratelimit-interval-milliseconds': '10000', 'x-hubspot-ratelimit-remaining': '0' },
      body: { category: 'RATE_LIMITS', message: 'ten-secondly limit', correlationId: crypto.randomUUID() },
    });
    await expect(crm.listChanges(null, window)).rejects.toMatchObject({ kind: 'transient', retryAfterMs: 10_000 });
    hs.failNext({ status: 503, body: { category: 'INTERNAL', message: 'down', correlationId: crypto.randomUUID() } });
    await expect(crm.listChanges(null, window)).rejects.toMatchObject({ kind: 'transient' });
    // The daily limit: the run stops with one clear error, and asks HubSpot nothing more.
    hs.failNext({
      status: 429,
      headers: { 'x-hubspot-ratelimit-daily-remaining': '0' },
      body: { category: 'RATE_LIMITS', message: 'daily limit', correlationId: crypto.randomUUID() },
    });
    const daily = (await crm.listChanges(null, window).catch((e: unknown) => e)) as ProviderError;
    expect(daily).toMatchObject({ kind: 'permanent', status: 429 });
    expect(daily.message).toBe(
      'HubSpot: the account’s daily API limit is used up; syncing stops until it resets at midnight (account time zone).',
    );
    const asked = hs.requests.length;
    await expect(crm.listChanges(null, window)).rejects.toMatchObject({ kind: 'permanent' });
    expect(hs.requests.length).toBe(asked);
  });

  test('rate-limit headers on successful answers: a used-up window waits its interval; a used-up day stops', async () => {
    let t = 0;
    let n = 0;
    const sleeps: number[] = [];
    const token = hs.privateAppToken();
    const client = new HubSpotClient(
      { method: 'private-app', accessToken: token, ownerId: '501', userEmail: 'sally@corp.example' },
      {
        apiBase: hs.url,
        fetch: async (url, init) => {
          const res = await hubspotEnv(hs).fetch(url, init);
          // HubSpot's documented headers, as a private app's answers carry them.
          const headers = new Headers(res.headers);
          n++;
          headers.set('x-hubspot-ratelimit-interval-milliseconds', '10000');
          headers.set('x-hubspot-ratelimit-remaining', n === 1 ? '0' : '90');
          headers.set('x-hubspot-ratelimit-daily-remaining', n === 3 ? '0' : '1000');
          return new Response(await res.text(), { status: res.status, headers });
        },
        now: () => hs.now(),
        onTokens: async () => undefined,
        searchIntervalMs: 0,
        monotonic: () => t,
        sleep: async (ms) => {
          sleeps.push(ms);
          t += ms;
        },
      },
    );
    const path = '/crm/v3/owners?email=sally%40corp.example';
    for (let i = 0; i < 3; i++) await client.call('GET', path);
    expect(sleeps).toEqual([10_000]);
    await expect(client.call('GET', path)).rejects.toMatchObject({ kind: 'permanent' });
    expect(n).toBe(3);
  });

  test('searches are spaced to four a second (injected monotonic clock and sleep)', async () => {
    let t = 0;
    const sleeps: number[] = [];
    const token = hs.privateAppToken();
    const client = new HubSpotClient(
      { method: 'private-app', accessToken: token, ownerId: '501', userEmail: 'sally@corp.example' },
      {
        apiBase: hs.url,
        fetch: hubspotEnv(hs).fetch,
        now: () => hs.now(),
        onTokens: async () => undefined,
        monotonic: () => t,
        sleep: async (ms) => {
          sleeps.push(ms);
          t += ms;
        },
      },
    );
    const body = { filterGroups: [], properties: [], sorts: ['hs_object_id'], limit: 1, after: '0' };
    for (let i = 0; i < 3; i++) await client.call('POST', '/crm/v3/objects/meetings/search', body);
    t += 100;
    await client.call('POST', '/crm/v3/objects/meetings/search', body);
    await client.call('GET', '/crm/v3/owners?email=sally%40corp.example');
    expect(sleeps).toEqual([250, 250, 150]);
  });

  test('errors name the call and HubSpot’s category only, never its message (which can quote a secret)', async () => {
    const s = await connectHubSpot(hs);
    const secrets = hubspotSecretsFromRecord(s.connection.secrets);
    const p = s.connector.open(s.connection, s.env, { saveSecrets: async () => undefined });
    hs.failNext({
      status: 400,
      body: {
        category: 'VALIDATION_ERROR',
        message: `bad request for token ${secrets.accessToken} / ${secrets.clientSecret}; see evil.example`,
        correlationId: crypto.randomUUID(),
      },
    });
    const err = (await p.listChanges(null, window).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe('HTTP 400: HubSpot POST /crm/v3/objects/meetings/search: VALIDATION_ERROR');
    expect(err.message).not.toContain(secrets.accessToken);
    // A category that is not a code (free text) is dropped too.
    hs.failNext({ status: 500, body: { category: `oops ${secrets.accessToken}`, message: 'x', correlationId: 'c' } });
    const e2 = (await p.listChanges(null, window).catch((e: unknown) => e)) as ProviderError;
    expect(e2.message).toBe('HTTP 500: HubSpot POST /crm/v3/objects/meetings/search');
  });

  test('a deliberately wrong field name in an answer is caught by the contract check', async () => {
    if (!hs.contractChecked) return;
    hs.mutateAnswer = (path, body) =>
      path.endsWith('/search') && body && typeof body === 'object' && 'results' in body
        ? { ...(body as object), results: undefined, result: (body as { results: unknown }).results }
        : body;
    await crm.listChanges(null, window).catch(() => undefined);
    hs.mutateAnswer = null;
    expect(hs.violations.some((v) => v.includes("must have required property 'results'"))).toBe(true);
    hs.violations.length = 0;
  });
});
