import crypto from 'node:crypto';
import { createSafeFetch } from '../../../../src/providers/http';
import type { Connection, ProviderEnv, Secrets } from '../../../../src/providers/connector';
import { createDynamicsConnector } from '../../../../src/providers/crm/dynamics';
import type { CrmDraft } from '../../../../src/sync/model';
import type { CrmProvider } from '../../../../src/sync/ports';
import { startDynamicsDouble, type DynamicsDouble } from '../../../support/crm-doubles/dynamics';
import { systemClock } from '../../../../src/shared/clock';

const window = { from: '2030-01-01T00:00:00.000Z', to: null };
const redirectUri = 'https://connector.example/callback';

describe('Dynamics 365 connector', () => {
  let dv: DynamicsDouble;
  let env: ProviderEnv;
  let connector: ReturnType<typeof createDynamicsConnector>;
  beforeAll(async () => {
    dv = await startDynamicsDouble();
    const safeFetch = createSafeFetch({ allowedPrivateHosts: [dv.host] });
    env = {
      safeFetch,
      fetch: safeFetch,
      publicUrl: 'https://connector.example',
      graphBaseUrl: 'https://graph.invalid',
      now: systemClock,
    };
    connector = createDynamicsConnector({ authorityUrl: dv.url });
  });
  afterAll(() => dv.close());

  const input = (fields: Record<string, string> = {}) => ({
    method: 'oauth',
    url: `${dv.url}/main.aspx`,
    fields: { clientId: dv.clientId, tenant: 'contoso.example', ...fields },
  });
  async function connect(verifierOk = true): Promise<Connection> {
    const verifier = crypto.randomBytes(32).toString('base64url');
    const code = dv.authorize({
      clientId: dv.clientId,
      redirectUri,
      codeChallenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
      scope: `${dv.url}/user_impersonation`,
    });
    return connector.oauth!.exchangeCode({
      code,
      codeVerifier: verifierOk ? verifier : 'nope',
      redirectUri,
      input: input(),
      env,
    });
  }
  let saved: Secrets[] = [];
  async function open(): Promise<CrmProvider> {
    const c = await connect();
    saved = [];
    return connector.open(c, env, { saveSecrets: async (s) => void saved.push(s) });
  }

  test('authorization URL: Entra v2 endpoint of the tenant, org-scoped scope, PKCE S256', async () => {
    const url = new URL(
      await connector.oauth!.authorizationUrl({ state: 'st', codeChallenge: 'ch', redirectUri, input: input(), env }),
    );
    expect(url.pathname).toBe('/contoso.example/oauth2/v2.0/authorize');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: dv.clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: `${dv.url}/user_impersonation offline_access`,
      state: 'st',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
    });
    await expect(
      connector.oauth!.authorizationUrl({
        state: 's',
        codeChallenge: 'c',
        redirectUri,
        input: { method: 'oauth', url: null, fields: { clientId: 'x' } },
        env,
      }),
    ).rejects.toMatchObject({ field: 'url' });
    await expect(
      connector.oauth!.authorizationUrl({
        state: 's',
        codeChallenge: 'c',
        redirectUri,
        input: { method: 'oauth', url: dv.url, fields: {} },
        env,
      }),
    ).rejects.toMatchObject({ field: 'fields.clientId' });
  });

  test('code exchange: token, WhoAmI, the user’s e-mail, a cheap real call; a bad verifier is unauthorized', async () => {
    const c = await connect();
    expect(c).toMatchObject({ account: `sally@corp.example @ ${dv.host}`, url: dv.url });
    expect(c.secrets).toMatchObject({
      userId: dv.users[0]!.id,
      userEmail: 'sally@corp.example',
      refreshToken: expect.any(String),
      orgUrl: dv.url,
    });
    await expect(connect(false)).rejects.toMatchObject({ reason: 'unauthorized' });
  });

  describe('provider', () => {
    let acme: string;
    let ann: string;
    let lee: string;
    beforeAll(() => {
      acme = dv.insert('accounts', { name: 'Acme' });
      ann = dv.insert('contacts', {
        firstname: 'Ann',
        lastname: 'Smith',
        emailaddress1: 'Ann@Acme.example',
        _parentcustomerid_value: acme,
      });
      lee = dv.insert('leads', { firstname: 'Lee', lastname: 'Jones', emailaddress1: 'lee@lead.example' });
    });

    test('people lookup by a batch of e-mails, case-insensitive, with the contact’s account', async () => {
      const p = await open();
      expect(await p.lookupPeople(['ann@ACME.example', 'LEE@lead.example', 'x@y.example'])).toEqual([
        {
          email: 'ann@acme.example',
          contactId: `contact:${ann}`,
          kind: 'contact',
          name: 'Ann Smith',
          companyId: `account:${acme}`,
        },
        { email: 'lee@lead.example', contactId: `lead:${lee}`, kind: 'lead', name: 'Lee Jones', companyId: null },
      ]);
    });

    test('change tracking: full listing with paging, then delta links with changes and deletions; expired token → full', async () => {
      const me = dv.users[0]!.id;
      const appt = dv.insert('appointments', {
        subject: 'Review',
        scheduledstart: '2030-03-04T09:00:00Z',
        scheduledend: '2030-03-04T10:00:00Z',
        isalldayevent: false,
        description: 'Agenda',
        location: 'Room 1',
        statecode: 3,
        _ownerid_value: me,
        _regardingobjectid_value: acme,
      });
      dv.addParty('appointments', appt, { type: 'contact', id: ann, email: 'ann@acme.example', mask: 5 });
      dv.addParty('appointments', appt, { type: null, id: null, email: 'guest@else.example', mask: 6 });
      dv.addParty('appointments', appt, { type: 'systemuser', id: me, email: 'sally@corp.example', mask: 7 });
      const call = dv.insert('phonecalls', {
        subject: 'Call',
        scheduledstart: '2030-03-05T09:00:00Z',
        scheduledend: '2030-03-05T09:15:00Z',
        statecode: 2,
        _ownerid_value: me,
      });
      const task = dv.insert('tasks', {
        subject: 'Offer',
        scheduledend: '2030-03-06T12:00:00Z',
        statecode: 1,
        prioritycode: 2,
        _ownerid_value: me,
      });
      dv.insert('appointments', {
        subject: 'Max’s',
        scheduledstart: '2030-03-04T09:00:00Z',
        scheduledend: '2030-03-04T10:00:00Z',
        statecode: 3,
        _ownerid_value: dv.users[1]!.id,
      });
      dv.pageSize = 1;
      const p = await open();
      const res = await p.listChanges(null, window);
      dv.pageSize = 5000;
      expect(res.full).toBe(true);
      expect(res.upserts.map((i) => i.fields.subject).sort()).toEqual(['Call', 'Offer', 'Review']);
      expect(res.upserts.find((i) => i.id === `appointment:${appt}`)).toMatchObject({
        type: 'meeting',
        version: expect.stringMatching(/^W\/"\d+"$/),
        fields: {
          timing: { kind: 'timed', start: '2030-03-04T09:00:00.000Z', end: '2030-03-04T10:00:00.000Z' },
          body: 'Agenda',
          location: 'Room 1',
          attendees: [{ email: 'ann@acme.example' }, { email: 'guest@else.example' }],
        },
        links: { contactIds: [`contact:${ann}`], companyIds: [`account:${acme}`] },
        archived: false,
      });
      expect(res.upserts.find((i) => i.id === `phonecall:${call}`)).toMatchObject({ type: 'call', archived: true });
      expect(res.upserts.find((i) => i.id === `task:${task}`)).toMatchObject({
        type: 'task',
        completed: true,
        priority: 'high',
      });

      dv.update('appointments', appt, { subject: 'Review (moved)' });
      dv.remove('tasks', task);
      const inc = await p.listChanges(res.nextCursor, window);
      expect(inc.full).toBe(false);
      expect(inc.upserts.map((i) => i.fields.subject)).toEqual(['Review (moved)']);
      expect(inc.removedIds).toEqual([`task:${task}`]);
      expect(await p.listChanges(inc.nextCursor, window)).toMatchObject({ upserts: [], removedIds: [], full: false });
      dv.expireDeltaTokens();
      expect((await p.listChanges(inc.nextCursor, window)).full).toBe(true);
    });

    test('a listing filter: full listings filtered page by page, an expired token’s fallback asks each item once', async () => {
      const me = dv.users[0]!.id;
      for (const n of [1, 2, 3]) {
        dv.insert('appointments', {
          subject: `Visit ${n}`,
          scheduledstart: `2030-05-0${n}T09:00:00Z`,
          scheduledend: `2030-05-0${n}T10:00:00Z`,
          statecode: 3,
          _ownerid_value: me,
        });
        dv.insert('tasks', { subject: `Chore ${n}`, statecode: 0, prioritycode: 1, _ownerid_value: me });
      }
      dv.pageSize = 1;
      const p = await open();
      const all = await p.listChanges(null, window);
      expect(all.upserts.length).toBeGreaterThanOrEqual(6);
      const rejected = new Set(all.upserts.filter((_, n) => n % 2 === 0).map((i) => i.id));
      const listWith = async (cursor: string | null) => {
        const asked: string[] = [];
        let firstAskAt = -1;
        const res = await p.listChanges(cursor, window, (item) => {
          if (firstAskAt < 0) firstAskAt = dv.requests.length;
          asked.push(item.id);
          return !rejected.has(item.id);
        });
        return { res, asked, firstAskAt };
      };
      const first = await listWith(null);
      expect(first.asked.sort()).toEqual(all.upserts.map((i) => i.id).sort());
      expect(first.res.upserts).toEqual(all.upserts.filter((i) => !rejected.has(i.id)));
      expect(first.firstAskAt).toBeGreaterThan(0);
      expect(first.firstAskAt).toBeLessThan(dv.requests.length);
      // Incremental: the changes are asked about once the delta links are read.
      const [no, yes] = [all.upserts.find((i) => rejected.has(i.id))!, all.upserts.find((i) => !rejected.has(i.id))!];
      for (const i of [no, yes]) {
        const [type, guid] = i.id.split(':');
        dv.update(type === 'appointment' ? 'appointments' : type === 'task' ? 'tasks' : 'phonecalls', guid!, {
          description: 'changed',
        });
      }
      const inc = await listWith(first.res.nextCursor);
      expect(inc.res.full).toBe(false);
      expect(inc.asked.sort()).toEqual([no.id, yes.id].sort());
      expect(inc.res.upserts.map((i) => i.id)).toEqual([yes.id]);
      // An incremental attempt that turns into a full listing: nothing is asked twice.
      dv.expireDeltaTokens();
      const again = await listWith(inc.res.nextCursor);
      dv.pageSize = 5000;
      expect(again.res.full).toBe(true);
      expect(again.asked.sort()).toEqual(all.upserts.map((i) => i.id).sort());
      expect(again.res.upserts.map((i) => i.id).sort()).toEqual(first.res.upserts.map((i) => i.id).sort());
    });

    const draft = (over: Partial<CrmDraft> = {}): CrmDraft => ({
      type: 'meeting',
      fields: {
        subject: 'Imported',
        timing: {
          kind: 'timed',
          start: '2030-04-01T13:00:00.000Z',
          end: '2030-04-01T14:30:00.000Z',
          timeZone: 'Europe/Berlin',
        },
        body: 'From Outlook',
        location: 'Teams',
        visibility: 'normal',
        showAs: 'busy',
        attendees: [{ email: 'ann@acme.example' }, { email: 'stranger@x.example' }],
        recurrence: null,
        reminderMinutes: null,
      },
      iCalUId: `ical-${crypto.randomUUID()}`,
      syncToCalendar: true,
      links: { contactIds: [`contact:${ann}`], companyIds: [`account:${acme}`] },
      ...over,
    });

    test('$batch writes: creates with activity parties, lost create found by globalobjectid, If-Match, archive, add-owner', async () => {
      const p = await open();
      const d1 = draft();
      const before = dv.requests.length;
      const [c1, c2, bad] = await p.writeItems([
        { op: 'create', idempotencyKey: 'a', draft: d1 },
        {
          op: 'create',
          idempotencyKey: 'b',
          draft: draft({ type: 'call', links: { contactIds: [], companyIds: [] } }),
        },
        { op: 'set-sync-flag', id: 'appointment:00000000-0000-0000-0000-000000000000', value: true },
      ]);
      expect(dv.requests.slice(before).filter((r) => r.path.endsWith('/$batch'))).toHaveLength(1);
      expect(c1).toMatchObject({
        ok: true,
        value: {
          type: 'meeting',
          iCalUId: d1.iCalUId,
          origin: 'calendar',
          fields: {
            subject: 'Imported',
            location: 'Teams',
            attendees: [{ email: 'ann@acme.example' }, { email: 'stranger@x.example' }],
          },
          links: { contactIds: [`contact:${ann}`], companyIds: [`account:${acme}`] },
        },
      });
      expect(c2).toMatchObject({ ok: true, value: { type: 'call' } });
      expect(bad).toMatchObject({ ok: false, error: { kind: 'invalid' } });
      const item = c1!.ok ? c1!.value! : null;
      const guid = item!.id.split(':')[1]!;
      expect(dv.get('appointments', guid)).toMatchObject({
        _ownerid_value: dv.users[0]!.id,
        _regardingobjectid_value: acme,
        globalobjectid: d1.iCalUId,
      });

      const [again] = await p.writeItems([{ op: 'create', idempotencyKey: 'a', draft: d1 }]);
      expect(again!.ok && again!.value!.id).toBe(item!.id);
      expect(dv.all('appointments').filter((a) => a['globalobjectid'] === d1.iCalUId)).toHaveLength(1);

      const [upd] = await p.writeItems([
        {
          op: 'update',
          id: item!.id,
          ifMatch: item!.version,
          fields: { subject: 'Renamed', attendees: [{ email: 'lee@lead.example' }] },
        },
      ]);
      expect(upd).toMatchObject({
        ok: true,
        value: {
          fields: { subject: 'Renamed', attendees: [{ email: 'lee@lead.example' }] },
          links: { contactIds: [`lead:${lee}`] },
        },
      });
      const [stale, arch, owner, missing] = await p.writeItems([
        { op: 'update', id: item!.id, ifMatch: item!.version, fields: { subject: 'Lost' } },
        { op: 'archive', id: item!.id },
        { op: 'add-owner', id: item!.id, email: 'MAX@corp.example' },
        { op: 'archive', id: 'appointment:00000000-0000-0000-0000-000000000000' },
      ]);
      expect(stale).toMatchObject({ ok: false, error: { kind: 'conflict' } });
      expect(arch).toMatchObject({ ok: true, value: { archived: true } });
      expect(owner).toMatchObject({ ok: true });
      expect(dv.parties(guid).map((x) => x['_partyid_value'])).toContain(dv.users[1]!.id);
      expect(missing).toMatchObject({ ok: false, error: { kind: 'not-found' } });
      const [un] = await p.writeItems([{ op: 'unarchive', id: item!.id }]);
      expect(un).toMatchObject({ ok: true, value: { archived: false } });
      expect((await p.findByICalUId([d1.iCalUId])).map((i) => i.id)).toEqual([item!.id]);
      const contact = await p.createContact!({ email: 'New.Person@Startup.example', name: 'New Person' });
      expect(dv.get('contacts', contact.contactId.split(':')[1]!)).toMatchObject({
        firstname: 'New',
        lastname: 'Person',
        emailaddress1: 'new.person@startup.example',
      });
    });

    test('set-ical-uid writes an appointment’s globalobjectid (phone calls have none); colleagues find it', async () => {
      const p = await open();
      const me = dv.users[0]!.id;
      const appt = dv.insert('appointments', {
        subject: 'CRM-born',
        scheduledstart: '2030-04-01T09:00:00Z',
        scheduledend: '2030-04-01T10:00:00Z',
        isalldayevent: false,
        statecode: 3,
        _ownerid_value: me,
      });
      const call = dv.insert('phonecalls', {
        subject: 'Call',
        scheduledstart: '2030-04-02T09:00:00Z',
        scheduledend: '2030-04-02T09:15:00Z',
        statecode: 0,
        _ownerid_value: me,
      });
      expect(p.capabilities.iCalUIdTypes).toEqual(['meeting']);
      const etag = dv.get('appointments', appt)!['@odata.etag'];
      const before = dv.requests.length;
      const [r, bad] = await p.writeItems([
        { op: 'set-ical-uid', id: `appointment:${appt}`, iCalUId: 'AAMkADmirror==' },
        { op: 'set-ical-uid', id: `phonecall:${call}`, iCalUId: 'AAMkADcall==' },
      ]);
      expect(dv.requests.slice(before).filter((x) => x.path.endsWith('/$batch'))).toHaveLength(1);
      // Stored with the CRM-born prefix: the listing still says CRM-born, and Dynamics' own Exchange sync, which
      // correlates by this column, does not take the appointment for an Outlook item.
      expect(r).toMatchObject({
        ok: true,
        value: { id: `appointment:${appt}`, iCalUId: 'AAMkADmirror==', origin: 'crm' },
      });
      expect(bad).toMatchObject({ ok: false, error: { kind: 'invalid' } });
      expect(dv.get('appointments', appt)).toMatchObject({
        globalobjectid: 'crm-born:AAMkADmirror==',
        subject: 'CRM-born',
      });
      expect(dv.get('appointments', appt)!['@odata.etag']).not.toBe(etag);
      expect(dv.get('phonecalls', call)!['globalobjectid']).toBeUndefined();
      expect(await p.findByICalUId(['AAMkADmirror=='])).toMatchObject([
        { id: `appointment:${appt}`, iCalUId: 'AAMkADmirror==', origin: 'crm' },
      ]);
    });

    test('service protection 429 is transient with Retry-After; an expired token is refreshed and saved', async () => {
      const p = await open();
      dv.failNext({
        status: 429,
        headers: { 'retry-after': '12' },
        body: {
          error: {
            code: '0x80072322',
            message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.',
          },
        },
        pathIncludes: '/api/data',
      });
      await expect(p.lookupPeople(['ann@acme.example'])).rejects.toMatchObject({
        kind: 'transient',
        retryAfterMs: 12_000,
      });
      dv.expireTokens();
      expect(await p.lookupPeople(['ann@acme.example'])).toHaveLength(1);
      expect(saved.at(-1)).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String) });
    });
  });
});
