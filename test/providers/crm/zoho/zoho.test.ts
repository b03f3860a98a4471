import type { Secrets } from '../../../../src/providers/connector';
import { createZohoConnector, zohoDescriptor, zohoSecretsFromRecord } from '../../../../src/providers/crm/zoho';
import type { ProviderError } from '../../../../src/sync/errors';
import type { CrmDraft, SyncedFields } from '../../../../src/sync/model';
import type { CrmProvider } from '../../../../src/sync/ports';
import { startZohoDouble, type ZohoDouble } from '../../../support/crm-doubles/zoho/double';
import { connectZoho, redirectUri, zohoConnectorFor, zohoEnv } from '../../../support/crm-doubles/zoho/connect';
import { meetingDraft, meetingFields } from '../../../support/crm-drafts';

const window = { from: '2030-01-01T00:00:00.000Z', to: null };
const fields = (over: Partial<SyncedFields> = {}): SyncedFields => meetingFields({ subject: 'Review', ...over });
const draft = (over: Partial<CrmDraft> = {}, f: Partial<SyncedFields> = {}): CrmDraft => meetingDraft(fields(f), over);

describe('Zoho CRM connector (v8 double, checked against Zoho’s OpenAPI slice and standard field names)', () => {
  let zd: ZohoDouble;
  let crm: CrmProvider;
  let saved: Secrets[];
  let clientSecret: string;
  let acme: string;
  let ann: string;
  const me = () => ({ id: zd.users[0]!.id, name: 'Sally' });
  beforeEach(async () => {
    zd = await startZohoDouble();
    zd.addField('CrmSync_Sync');
    acme = zd.insert('Accounts', { Account_Name: 'Acme' });
    ann = zd.insert('Contacts', {
      First_Name: 'Ann',
      Last_Name: 'Smith',
      Email: 'ann@acme.example',
      Account_Name: { id: acme },
    });
    const { connector, connection, env } = await connectZoho(zd, { syncFlagField: 'CrmSync_Sync' });
    clientSecret = zohoSecretsFromRecord(connection.secrets).clientSecret;
    saved = [];
    crm = connector.open(connection, env, { saveSecrets: async (s) => void saved.push(s) });
  });
  afterEach(async () => {
    const violations = [...zd.violations];
    const invitations = zd.invitationsSent;
    await zd.close();
    expect(violations).toEqual([]);
    // No write of the connector made Zoho e-mail a participant.
    expect(invitations).toBe(0);
  });

  test('the contract is checked (../shared present), or the run says it was not', () => {
    if (!zd.contractChecked) console.warn('Zoho CONTRACT NOT CHECKED: ../shared/schemas/zoho is absent');
    expect(typeof zd.contractChecked).toBe('boolean');
  });

  test('authorization URL at the chosen data centre’s accounts server; the data centres are listed in the form', async () => {
    const connector = zohoConnectorFor(zd);
    const url = new URL(
      await connector.oauth!.authorizationUrl({
        state: 'st',
        codeChallenge: 'ch',
        redirectUri,
        input: { method: 'oauth', url: null, fields: { dataCentre: 'test', clientId: 'cid', clientSecret: 's' } },
        env: zohoEnv(zd),
      }),
    );
    expect(url.origin + url.pathname).toBe(`${zd.url}/oauth/v2/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: 'cid',
      access_type: 'offline',
      response_type: 'code',
      redirect_uri: redirectUri,
      state: 'st',
      scope: 'ZohoCRM.modules.ALL,ZohoCRM.users.READ',
    });
    const dc = zohoDescriptor.authMethods[0]!.fields.find((f) => f.key === 'dataCentre')!;
    expect(dc.options!.map((o) => o.value)).toEqual(['com', 'eu', 'in', 'com.au', 'jp', 'ca', 'sa', 'com.cn']);
    await expect(
      connector.oauth!.authorizationUrl({
        state: 's',
        codeChallenge: 'c',
        redirectUri,
        input: { method: 'oauth', url: null, fields: { dataCentre: 'mars', clientId: 'x', clientSecret: 'y' } },
        env: zohoEnv(zd),
      }),
    ).rejects.toMatchObject({ field: 'fields.dataCentre' });
  });

  test('connect: the current user; a refused code and a missing tag field give their reasons; tokens refresh', async () => {
    const { connection } = await connectZoho(zd);
    expect(zohoSecretsFromRecord(connection.secrets)).toMatchObject({
      userId: zd.users[0]!.id,
      userEmail: 'sallysmith@corpx.com',
    });
    const connector = zohoConnectorFor(zd);
    const env = zohoEnv(zd);
    const refused = await connector
      .oauth!.exchangeCode({
        code: 'not-a-code',
        codeVerifier: 'x',
        redirectUri,
        input: {
          method: 'oauth',
          url: null,
          fields: { dataCentre: 'test', clientId: zd.clientId, clientSecret: zd.clientSecret },
        },
        env,
      })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ reason: 'unauthorized' });
    const bare = await startZohoDouble({ tagField: false });
    try {
      const err = (await connectZoho(bare).catch((e: unknown) => e)) as Error & { reason: string };
      expect(err.reason).toBe('missing-permission');
      expect(err.message).toContain('CrmSync_ICalUId');
    } finally {
      await bare.close();
    }
    zd.advance(59.5 * 60_000);
    await crm.listChanges(null, window);
    expect(saved).toHaveLength(1);
    zd.expireTokens();
    await crm.listChanges(null, window);
    expect(saved).toHaveLength(2);
  });

  test('data centre from the redirect: accounts-server (else location) wins over the form; an unknown accounts host is refused unasked', async () => {
    // The form names a far data centre; the user's account lives at the double (Zoho's multi-DC redirect says so).
    const connector = createZohoConnector({
      dataCentres: {
        test: { label: 'Test', accounts: zd.url, api: zd.url, location: 'us' },
        far: { label: 'Far', accounts: 'https://accounts.far.invalid', api: 'https://api.far.invalid', location: 'eu' },
      },
      apiDomainAllowed: (u) => u.host === zd.host,
    });
    const base = zohoEnv(zd);
    const asked: string[] = [];
    const env = {
      ...base,
      fetch: (url: string | URL, init?: RequestInit) => {
        asked.push(new URL(String(url)).origin);
        return base.fetch(url, init);
      },
    };
    const exchange = (callbackParams: Record<string, string>) =>
      connector.oauth!.exchangeCode({
        code: zd.authorize({ clientId: zd.clientId, redirectUri }),
        codeVerifier: 'x',
        redirectUri,
        input: {
          method: 'oauth',
          url: null,
          fields: { dataCentre: 'far', clientId: zd.clientId, clientSecret: zd.clientSecret },
        },
        env,
        callbackParams,
      });
    const viaServer = await exchange({ location: 'us', 'accounts-server': `${zd.url}/` });
    expect(zohoSecretsFromRecord(viaServer.secrets)).toMatchObject({ accountsBase: zd.url, apiBase: zd.url });
    const viaLocation = await exchange({ location: 'us' });
    expect(zohoSecretsFromRecord(viaLocation.secrets).accountsBase).toBe(zd.url);
    expect(asked.every((o) => o === zd.url)).toBe(true);
    asked.length = 0;
    for (const server of [
      'https://accounts.zoho.com.evil.example',
      'http://169.254.169.254',
      `${zd.url}/oauth/v2/token?x=`,
      `https://accounts.zoho.com@127.0.0.1`,
      'not a url',
    ]) {
      const err = await exchange({ 'accounts-server': server }).catch((e: unknown) => e);
      expect(err).toMatchObject({ reason: 'blocked-url' });
      expect((err as Error).message).not.toContain(server);
    }
    // A location of another data centre than the accounts server: refused.
    await expect(exchange({ location: 'eu', 'accounts-server': zd.url })).rejects.toMatchObject({
      reason: 'blocked-url',
    });
    expect(asked).toEqual([]);
  });

  test('listing: Events, Calls and Tasks of the user, participants, company, tag and flag; then changes and deletions', async () => {
    const e = zd.insert('Events', {
      Event_Title: 'Kick-off',
      Start_DateTime: '2030-01-15T09:00:00+00:00',
      End_DateTime: '2030-01-15T10:00:00+00:00',
      All_day: false,
      Venue: 'HQ',
      Description: 'Notes',
      Owner: me(),
      Participants: [
        { type: 'contact', participant: ann },
        { type: 'email', participant: 'guest@else.example' },
      ],
      What_Id: { id: acme },
      $se_module: 'Accounts',
      CrmSync_Sync: true,
    });
    const c = zd.insert('Calls', {
      Subject: 'Call',
      Call_Start_Time: '2030-01-16T14:00:00+00:00',
      Call_Duration: '15:00',
      Owner: me(),
      Who_Id: { id: ann },
    });
    const t = zd.insert('Tasks', {
      Subject: 'Offer',
      Due_Date: '2030-01-17',
      Status: 'Completed',
      Priority: 'High',
      Owner: me(),
      CrmSync_ICalUId: 'crm-born:u@x',
    });
    zd.insert('Events', {
      Event_Title: 'Max’s',
      Start_DateTime: '2030-01-15T09:00:00+00:00',
      End_DateTime: '2030-01-15T10:00:00+00:00',
      Owner: { id: zd.users[1]!.id },
    });
    const first = await crm.listChanges(null, window);
    const byId = new Map(first.upserts.map((i) => [i.id, i]));
    expect([...byId.keys()].sort()).toEqual([`Calls:${c}`, `Events:${e}`, `Tasks:${t}`].sort());
    expect(byId.get(`Events:${e}`)).toMatchObject({
      type: 'meeting',
      syncToCalendar: true,
      fields: {
        subject: 'Kick-off',
        location: 'HQ',
        body: 'Notes',
        timing: { start: '2030-01-15T09:00:00.000Z', end: '2030-01-15T10:00:00.000Z' },
        attendees: [{ email: 'ann@acme.example' }, { email: 'guest@else.example' }],
      },
      links: { contactIds: [`contact:${ann}`], companyIds: [`account:${acme}`] },
    });
    expect(byId.get(`Calls:${c}`)).toMatchObject({
      type: 'call',
      fields: { timing: { end: '2030-01-16T14:15:00.000Z' } },
      links: { contactIds: [`contact:${ann}`] },
    });
    expect(byId.get(`Tasks:${t}`)).toMatchObject({ completed: true, priority: 'high', iCalUId: 'u@x', origin: 'crm' });

    zd.advance(60 * 60_000);
    const overlap = await crm.listChanges(first.nextCursor, window);
    const quiet = await crm.listChanges(overlap.nextCursor, window);
    expect(quiet).toMatchObject({ full: false, upserts: [], removedIds: [] });
    zd.advance(60 * 60_000);
    zd.update('Events', e, { Event_Title: 'Moved' });
    zd.remove('Calls', c);
    const next = await crm.listChanges(quiet.nextCursor, window);
    expect(next.upserts.map((i) => [i.id, i.fields.subject])).toEqual([[`Events:${e}`, 'Moved']]);
    expect(next.removedIds).toEqual([`Calls:${c}`]);
  });

  test('a listing past 2,000 records switches to page_token', async () => {
    for (let i = 0; i < 2_100; i++)
      zd.insert('Events', {
        Event_Title: `E${i}`,
        Start_DateTime: '2030-01-15T09:00:00+00:00',
        End_DateTime: '2030-01-15T10:00:00+00:00',
        Owner: me(),
      });
    expect((await crm.listChanges(null, window)).upserts).toHaveLength(2_100);
  }, 30_000);

  test('writes: batch create with participants (no invitation), lost creates by tag, updates, flag, write-back, add-owner', async () => {
    const d = draft(
      { links: { contactIds: [], companyIds: [`account:${acme}`] } },
      { attendees: [{ email: 'ANN@acme.example' }, { email: 'guest@else.example' }] },
    );
    const res = await crm.writeItems([
      { op: 'create', idempotencyKey: 'a', draft: d },
      {
        op: 'create',
        idempotencyKey: 'b',
        draft: draft({ type: 'call', links: { contactIds: [`contact:${ann}`], companyIds: [] } }, { location: '' }),
      },
      {
        op: 'create',
        idempotencyKey: 'c',
        draft: draft(
          { type: 'task' },
          {
            location: '',
            timing: {
              kind: 'timed',
              start: '2030-01-13T00:00:00.000Z',
              end: '2030-01-13T00:00:00.000Z',
              timeZone: 'UTC',
            },
          },
        ),
      },
      { op: 'create', idempotencyKey: 'd', draft: draft({ type: 'note' }) },
    ]);
    expect(res.map((r) => r.ok)).toEqual([true, true, true, false]);
    const ev = res[0]!.ok ? res[0]!.value! : null;
    expect(ev).toMatchObject({
      type: 'meeting',
      iCalUId: d.iCalUId,
      origin: 'calendar',
      fields: { attendees: [{ email: 'ann@acme.example' }, { email: 'guest@else.example' }], location: 'Room 4' },
      links: { contactIds: [`contact:${ann}`], companyIds: [`account:${acme}`] },
    });
    expect(res[1]).toMatchObject({
      ok: true,
      value: { type: 'call', fields: { timing: { end: '2030-01-12T10:00:00.000Z' } } },
    });
    expect(res[2]).toMatchObject({
      ok: true,
      value: { type: 'task', completed: false, fields: { timing: { start: '2030-01-13T00:00:00.000Z' } } },
    });
    const before = zd.all('Events').length;
    const again = await crm.writeItems([{ op: 'create', idempotencyKey: 'a', draft: d }]);
    expect(again[0]).toMatchObject({ ok: true, value: { id: ev!.id } });
    expect(zd.all('Events')).toHaveLength(before);

    const upd = await crm.writeItems([
      {
        op: 'update',
        id: ev!.id,
        ifMatch: null,
        fields: { subject: 'Moved', attendees: [{ email: 'guest@else.example' }] },
      },
      { op: 'set-sync-flag', id: ev!.id, value: false },
    ]);
    expect(upd[0]).toMatchObject({ ok: true, value: { fields: { subject: 'Moved' } } });
    expect(upd[1]).toMatchObject({
      ok: true,
      value: { syncToCalendar: false, fields: { attendees: [{ email: 'guest@else.example' }] } },
    });
    await crm.writeItems([{ op: 'set-ical-uid', id: res[2]!.ok ? res[2]!.value!.id : '', iCalUId: 'ev@x' }]);
    expect((await crm.findByICalUId(['ev@x'])).map((i) => i.origin)).toEqual(['crm']);
    expect((await crm.writeItems([{ op: 'add-owner', id: ev!.id, email: 'MaxMuster@corpx.com' }]))[0]).toMatchObject({
      ok: true,
    });
    expect(zd.get('Events', ev!.id.split(':')[1]!)!['Participants']).toContainEqual({
      type: 'user',
      participant: zd.users[1]!.id,
    });
    expect((await crm.writeItems([{ op: 'archive', id: ev!.id }]))[0]).toMatchObject({
      ok: false,
      error: { kind: 'invalid' },
    });
  });

  test('people: contacts by e-mail with their account; new contacts; an unknown field is Zoho’s INVALID_DATA', async () => {
    expect(await crm.lookupPeople(['Ann@Acme.example', 'nobody@x.example'])).toEqual([
      {
        email: 'ann@acme.example',
        contactId: `contact:${ann}`,
        kind: 'contact',
        name: 'Ann Smith',
        companyId: `account:${acme}`,
        companyName: 'Acme',
      },
    ]);
    const created = await crm.createContact!({ email: 'New@Person.example', name: 'New Person' });
    expect(zd.get('Contacts', created.contactId.split(':')[1]!)).toMatchObject({
      Email: 'new@person.example',
      First_Name: 'New',
      Last_Name: 'Person',
    });
    // A field the org does not have (here a Sync-to-calendar field nobody created) is refused per record.
    const { connector, connection, env } = await connectZoho(zd, { syncFlagField: 'Nope_Field' });
    const p = connector.open(connection, env, { saveSecrets: async () => undefined });
    const [made] = await crm.writeItems([{ op: 'create', idempotencyKey: 'x', draft: draft() }]);
    const flag = await p.writeItems([{ op: 'set-sync-flag', id: made!.ok ? made!.value!.id : '', value: true }]);
    expect(flag[0]).toMatchObject({ ok: false, error: { kind: 'invalid' } });
  });

  test('API credits: 429 (concurrency) is transient; credits used up stop the run with one clear error', async () => {
    zd.failNext({
      status: 429,
      headers: { 'retry-after': '30' },
      body: { code: 'TOO_MANY_REQUESTS', message: 'slow down', status: 'error' },
    });
    await expect(crm.listChanges(null, window)).rejects.toMatchObject({ kind: 'transient', retryAfterMs: 30_000 });
    zd.failNext({ status: 400, body: { code: 'LIMIT_EXCEEDED', message: 'API credits exhausted', status: 'error' } });
    const err = (await crm.listChanges(null, window).catch((e: unknown) => e)) as ProviderError;
    expect(err).toMatchObject({ kind: 'permanent', status: 400 });
    expect(err.message).toBe(
      'Zoho CRM: the organisation’s API credits for the last 24 hours are used up; syncing stops until credits free up.',
    );
    const asked = zd.requests.length;
    await expect(crm.listChanges(null, window)).rejects.toMatchObject({ kind: 'permanent' });
    expect(zd.requests.length).toBe(asked);
  });

  test('errors name the call and Zoho’s code (and field) only, never Zoho’s message (which can carry a secret)', async () => {
    const secret = clientSecret;
    zd.failNext({
      status: 400,
      body: { code: 'INVALID_DATA', message: `bad ${secret}`, details: { api_name: 'Event_Title' }, status: 'error' },
    });
    const err = (await crm.listChanges(null, window).catch((e: unknown) => e)) as ProviderError;
    expect(err.message).toBe('HTTP 400: Zoho GET /crm/v8/Events: INVALID_DATA (Event_Title)');
    expect(err.message).not.toContain(secret);
    // A per-record refusal in a batch answer (an id Zoho does not know): Zoho's code and field only.
    const [res] = await crm.writeItems([
      { op: 'update', id: 'Events:999999999', ifMatch: null, fields: { subject: 'Moved' } },
    ]);
    expect(res).toMatchObject({ ok: false });
    const message = res!.ok ? '' : res!.error.message;
    expect(message).toBe('Zoho refused the record (INVALID_DATA, field id)');
  });

  test('a deliberately wrong field name in the double’s answers is caught by the contract check', async () => {
    if (!zd.contractChecked) return;
    zd.insert('Events', {
      Event_Title: 'x',
      Start_DateTime: '2030-01-15T09:00:00+00:00',
      End_DateTime: '2030-01-15T10:00:00+00:00',
      Owner: me(),
    });
    zd.mutateAnswer = (path, body) => {
      const b = body as { info?: Record<string, unknown> };
      if (path !== '/crm/v8/Events' || !b.info) return body;
      const { more_records, ...info } = b.info;
      return { ...b, info: { ...info, more_record: more_records } };
    };
    await crm.listChanges(null, window).catch(() => undefined);
    zd.mutateAnswer = null;
    expect(zd.violations.length).toBeGreaterThan(0);
    zd.violations.length = 0;
  });
  test('recurrence: a series is one Event with Recurring_Activity; updates keep DTSTART; what Zoho cannot hold is refused by name', async () => {
    const weekly = { rrule: 'FREQ=WEEKLY;BYDAY=SA;COUNT=4', exdates: ['2030-01-19T09:00:00.000Z'] };
    const [made] = await crm.writeItems([
      { op: 'create', idempotencyKey: 'r', draft: draft({}, { recurrence: weekly }) },
    ]);
    expect(made).toMatchObject({ ok: true, value: { fields: { recurrence: weekly } } });
    const id = made!.ok ? made!.value!.id : '';
    expect(zd.get('Events', id.split(':')[1]!)?.['Recurring_Activity']).toEqual({
      RRULE: 'FREQ=WEEKLY;BYDAY=SA;COUNT=4;DTSTART=2030-01-12',
      EXDATE: '2030-01-19',
    });
    // A new rule without a new time: the series' own start gives Zoho's DTSTART.
    const until = { rrule: 'FREQ=WEEKLY;BYDAY=SA;UNTIL=20300209T090000Z', exdates: [] };
    const [upd] = await crm.writeItems([{ op: 'update', id, ifMatch: null, fields: { recurrence: until } }]);
    expect(upd).toMatchObject({ ok: true, value: { fields: { recurrence: until } } });
    expect(zd.get('Events', id.split(':')[1]!)?.['Recurring_Activity']).toEqual({
      RRULE: 'FREQ=WEEKLY;BYDAY=SA;UNTIL=2030-02-09;DTSTART=2030-01-12',
    });
    const refused = await crm.writeItems([
      {
        op: 'create',
        idempotencyKey: 'h',
        draft: draft({}, { recurrence: { rrule: 'FREQ=DAILY;BYHOUR=9', exdates: [] } }),
      },
      {
        op: 'create',
        idempotencyKey: 'o',
        draft: draft({ occurrence: { seriesId: id, originalStart: '2030-01-26T09:00:00.000Z' } }),
      },
      { op: 'update', id, ifMatch: null, fields: { recurrence: null } },
    ]);
    expect(refused.map((r) => (r.ok ? 'ok' : (r.error as ProviderError).message))).toEqual([
      'recurrence: Zoho CRM cannot repeat by BYHOUR',
      expect.stringContaining('changed occurrence'),
      expect.stringContaining('does not turn a Zoho series into one meeting'),
    ]);
    expect(zd.all('Events')).toHaveLength(1);
  });

  test('the double refuses a Recurring_Activity Zoho would not take (UNTIL as an instant, no DTSTART)', async () => {
    const p = crm as unknown as { client: { call: (m: string, path: string, body: unknown) => Promise<unknown> } };
    const answer = (await p.client.call('POST', '/crm/v8/Events', {
      data: [
        {
          Event_Title: 'x',
          Start_DateTime: '2030-01-12T09:00:00+00:00',
          End_DateTime: '2030-01-12T10:00:00+00:00',
          Recurring_Activity: { RRULE: 'FREQ=WEEKLY;UNTIL=20300209T090000Z' },
        },
      ],
    })) as { data: { code: string; details: { api_name: string } }[] };
    expect(answer.data[0]).toMatchObject({ code: 'INVALID_DATA', details: { api_name: 'Recurring_Activity' } });
  });
});
