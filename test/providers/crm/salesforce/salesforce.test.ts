import crypto from 'node:crypto';
import { createSafeFetch } from '../../../../src/providers/http';
import type { Connection, ProviderEnv, Secrets } from '../../../../src/providers/connector';
import { salesforceConnector } from '../../../../src/providers/crm/salesforce';
import type { CrmDraft } from '../../../../src/sync/model';
import type { CrmProvider } from '../../../../src/sync/ports';
import { startSalesforceDouble, type SalesforceDouble } from '../../../support/crm-doubles/salesforce';

const window = { from: '2030-01-01T00:00:00.000Z', to: null };
const redirectUri = 'https://connector.example/api/v1/oauth/callback';

describe('Salesforce connector', () => {
  let sf: SalesforceDouble;
  let env: ProviderEnv;
  beforeAll(async () => {
    sf = await startSalesforceDouble();
    const safeFetch = createSafeFetch({ allowedPrivateHosts: [sf.host] });
    env = {
      safeFetch,
      fetch: safeFetch,
      publicUrl: 'https://connector.example',
      graphBaseUrl: 'https://graph.invalid',
      now: () => sf.now(),
    };
  });
  afterAll(() => sf.close());

  const input = (fields: Record<string, string> = {}) => ({
    method: 'oauth',
    url: sf.url,
    fields: { clientId: sf.clientId, ...fields },
  });
  async function connect(fields: Record<string, string> = {}, verifierOk = true): Promise<Connection> {
    const verifier = crypto.randomBytes(32).toString('base64url');
    const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
    const code = sf.authorize({ clientId: sf.clientId, redirectUri, codeChallenge: challenge });
    return salesforceConnector.oauth!.exchangeCode({
      code,
      codeVerifier: verifierOk ? verifier : 'wrong',
      redirectUri,
      input: input(fields),
      env,
    });
  }
  let saved: Secrets[] = [];
  async function open(fields: Record<string, string> = {}): Promise<CrmProvider> {
    const c = await connect(fields);
    saved = [];
    return salesforceConnector.open(c, env, { saveSecrets: async (s) => void saved.push(s) });
  }

  describe('OAuth web-server flow with PKCE', () => {
    test('authorization URL: My Domain, sandbox or production login host, S256 challenge, state', async () => {
      const mk = (url: string | null, environment?: string) =>
        salesforceConnector.oauth!.authorizationUrl({
          state: 'st',
          codeChallenge: 'ch',
          redirectUri,
          input: { method: 'oauth', url, fields: { clientId: 'key', ...(environment ? { environment } : {}) } },
          env,
        });
      const custom = new URL(await mk('https://acme.my.salesforce.com/some/path'));
      expect(custom.origin + custom.pathname).toBe('https://acme.my.salesforce.com/services/oauth2/authorize');
      expect(Object.fromEntries(custom.searchParams)).toMatchObject({
        response_type: 'code',
        client_id: 'key',
        redirect_uri: redirectUri,
        state: 'st',
        code_challenge: 'ch',
        code_challenge_method: 'S256',
      });
      expect(new URL(await mk(null, 'sandbox')).host).toBe('test.salesforce.com');
      expect(new URL(await mk(null)).host).toBe('login.salesforce.com');
      await expect(
        salesforceConnector.oauth!.authorizationUrl({
          state: 's',
          codeChallenge: 'c',
          redirectUri,
          input: { method: 'oauth', url: null, fields: {} },
          env,
        }),
      ).rejects.toMatchObject({ field: 'fields.clientId' });
    });

    test('the code exchange checks the verifier, reads the user and makes a cheap real call', async () => {
      const c = await connect();
      expect(c).toMatchObject({ account: 'sally@corp.example.org', url: sf.url });
      expect(c.secrets).toMatchObject({
        clientId: sf.clientId,
        instanceUrl: sf.url,
        userId: sf.users[0]!.id,
        userEmail: 'sally@corp.example',
        refreshToken: expect.any(String),
      });
      await expect(connect({}, false)).rejects.toMatchObject({ reason: 'unauthorized' });
      await expect(connect({ syncFlagField: 'Not a field' })).rejects.toMatchObject({ field: 'fields.syncFlagField' });
    });

    test('a stock org (no custom fields) connects; a Sync-to-calendar field it lacks is a missing permission', async () => {
      const bare = await startSalesforceDouble();
      try {
        bare.dropCustomFields();
        const e2 = { ...env, safeFetch: createSafeFetch({ allowedPrivateHosts: [bare.host] }) };
        const exchange = (fields: Record<string, string>) => {
          const verifier = 'v'.repeat(43);
          const code = bare.authorize({
            clientId: bare.clientId,
            redirectUri,
            codeChallenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
          });
          return salesforceConnector.oauth!.exchangeCode({
            code,
            codeVerifier: verifier,
            redirectUri,
            input: { method: 'oauth', url: bare.url, fields: { clientId: bare.clientId, ...fields } },
            env: e2,
          });
        };
        const c = await exchange({});
        // What describe() said is kept with the connection: standard fields only.
        expect(c.secrets['orgFields']).not.toMatch(/__c/);
        expect(c.secrets['orgFields']).toMatch(/Event\.Type/);
        await expect(exchange({ syncFlagField: 'CrmSync_Sync__c' })).rejects.toMatchObject({
          reason: 'missing-permission',
          field: 'fields.syncFlagField',
        });
      } finally {
        await bare.close();
      }
    });

    test('disconnect revokes the refresh token', async () => {
      const c = await connect();
      await salesforceConnector.revoke!(c, env);
      expect(sf.revoked).toContain(c.secrets['refreshToken']);
    });
  });

  describe('provider', () => {
    let acme: string;
    let ann: string;
    let lee: string;
    beforeAll(() => {
      acme = sf.insert('Account', { Name: 'Acme' });
      ann = sf.insert('Contact', { FirstName: 'Ann', LastName: 'Smith', Email: 'Ann@Acme.example', AccountId: acme });
      lee = sf.insert('Lead', { FirstName: 'Lee', LastName: 'Jones', Email: 'lee@lead.example', IsConverted: false });
    });

    test('people lookup by a batch of e-mails, case-insensitive, contacts before leads', async () => {
      const p = await open();
      expect(await p.lookupPeople(['ann@ACME.example', 'LEE@lead.example', "o'brien@x.example"])).toEqual([
        { email: 'ann@acme.example', contactId: ann, kind: 'contact', name: 'Ann Smith', companyId: acme },
        { email: 'lee@lead.example', contactId: lee, kind: 'lead', name: 'Lee Jones', companyId: null },
      ]);
    });

    test('full listing with paging, invitees via EventRelation, Who/What; incremental via SystemModstamp and getDeleted', async () => {
      const me = sf.users[0]!.id;
      const ev = sf.insert('Event', {
        Subject: 'Review',
        StartDateTime: '2030-03-04T09:00:00.000+0000',
        EndDateTime: '2030-03-04T10:00:00.000+0000',
        IsAllDayEvent: false,
        Description: 'Agenda',
        Location: 'Room 1',
        ShowAs: 'Busy',
        IsPrivate: false,
        IsReminderSet: true,
        ReminderDateTime: '2030-03-04T08:45:00.000+0000',
        WhoId: ann,
        WhatId: acme,
        AccountId: acme,
        OwnerId: me,
        Type: 'Meeting',
      });
      sf.insert('EventRelation', { EventId: ev, RelationId: lee, IsInvitee: true });
      sf.insert('Event', {
        Subject: 'Offsite',
        IsAllDayEvent: true,
        ActivityDate: '2030-03-10',
        DurationInMinutes: 2880,
        StartDateTime: '2030-03-10T00:00:00.000+0000',
        EndDateTime: '2030-03-12T00:00:00.000+0000',
        OwnerId: me,
        Type: 'Meeting',
        IsPrivate: true,
        ShowAs: 'Free',
        IsReminderSet: false,
      });
      sf.insert('Event', {
        Subject: 'Call',
        StartDateTime: '2030-03-05T09:00:00.000+0000',
        EndDateTime: '2030-03-05T09:15:00.000+0000',
        OwnerId: me,
        Type: 'Call',
        IsAllDayEvent: false,
        IsReminderSet: false,
      });
      sf.insert('Event', {
        Subject: 'Old',
        StartDateTime: '2029-03-05T09:00:00.000+0000',
        EndDateTime: '2029-03-05T09:15:00.000+0000',
        OwnerId: me,
        IsAllDayEvent: false,
      });
      sf.insert('Event', {
        Subject: 'Not mine',
        StartDateTime: '2030-03-05T09:00:00.000+0000',
        EndDateTime: '2030-03-05T09:15:00.000+0000',
        OwnerId: sf.users[1]!.id,
        IsAllDayEvent: false,
      });
      const task = sf.insert('Task', {
        Subject: 'Send offer',
        ActivityDate: '2030-03-06',
        Status: 'Completed',
        Priority: 'High',
        WhoId: ann,
        OwnerId: me,
      });
      sf.pageSize = 2;
      const p = await open();
      const res = await p.listChanges(null, window);
      sf.pageSize = 2000;
      expect(res.full).toBe(true);
      expect(res.upserts.map((i) => i.fields.subject).sort()).toEqual(['Call', 'Offsite', 'Review', 'Send offer']);
      expect(res.upserts.find((i) => i.id === ev)).toMatchObject({
        type: 'meeting',
        fields: {
          timing: { kind: 'timed', start: '2030-03-04T09:00:00.000Z', end: '2030-03-04T10:00:00.000Z' },
          reminderMinutes: 15,
          attendees: [
            { email: 'ann@acme.example', name: 'Ann Smith' },
            { email: 'lee@lead.example', name: 'Lee Jones' },
          ],
        },
        links: { contactIds: [ann, lee], companyIds: [acme] },
        ownerEmails: ['sally@corp.example'],
        url: `${sf.url}/${ev}`,
      });
      expect(res.upserts.find((i) => i.fields.subject === 'Offsite')).toMatchObject({
        fields: {
          timing: { kind: 'all-day', startDate: '2030-03-10', endDate: '2030-03-12' },
          visibility: 'private',
          showAs: 'free',
        },
      });
      expect(res.upserts.find((i) => i.fields.subject === 'Call')?.type).toBe('call');
      expect(res.upserts.find((i) => i.id === task)).toMatchObject({
        type: 'task',
        completed: true,
        priority: 'high',
        fields: { timing: { start: '2030-03-06T00:00:00.000Z' } },
      });

      sf.advance(10 * 60_000);
      sf.update('Event', ev, { Subject: 'Review (moved)' });
      sf.remove('Task', task);
      sf.advance(2 * 60_000);
      const inc = await p.listChanges(res.nextCursor, window);
      expect(inc.full).toBe(false);
      // Records from the five-minute overlap come again (the engine's content hashes absorb them).
      expect(inc.upserts.map((i) => i.fields.subject)).toContain('Review (moved)');
      expect(inc.upserts.map((i) => i.fields.subject)).not.toContain('Send offer');
      expect(inc.removedIds).toEqual([task]);
      sf.advance(10 * 60_000);
      const idle = await p.listChanges(inc.nextCursor, window);
      expect(idle.upserts.filter((i) => i.fields.subject !== 'Review (moved)')).toEqual([]);
      expect(idle.removedIds).toEqual([]);
      // A cursor older than getDeleted's reach means a full listing.
      sf.advance(31 * 86_400_000);
      expect((await p.listChanges(idle.nextCursor, window)).full).toBe(true);
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
        attendees: [{ email: 'ann@acme.example' }, { email: 'lee@lead.example' }],
        recurrence: null,
        reminderMinutes: 10,
      },
      iCalUId: `ical-${crypto.randomUUID()}`,
      syncToCalendar: true,
      links: { contactIds: [ann, lee], companyIds: [acme] },
      ...over,
    });

    test('a listing filter: each page is hydrated and filtered before the next, each listed item asked once', async () => {
      const me = sf.users[0]!.id;
      for (const n of [1, 2, 3]) {
        sf.insert('Event', {
          Subject: `Visit ${n}`,
          StartDateTime: `2030-05-0${n}T09:00:00.000+0000`,
          EndDateTime: `2030-05-0${n}T10:00:00.000+0000`,
          IsAllDayEvent: false,
          OwnerId: me,
        });
        sf.insert('Task', { Subject: `Chore ${n}`, Status: 'Not Started', OwnerId: me });
      }
      sf.pageSize = 2;
      const p = await open();
      const all = await p.listChanges(null, window);
      expect(all.upserts.length).toBeGreaterThanOrEqual(6);
      const rejected = new Set(all.upserts.filter((_, n) => n % 2 === 0).map((i) => i.id));
      const asked: string[] = [];
      let firstAskAt = -1;
      const kept = await p.listChanges(null, window, (item) => {
        if (firstAskAt < 0) firstAskAt = sf.requests.length;
        asked.push(item.id);
        return !rejected.has(item.id);
      });
      sf.pageSize = 2000;
      expect(asked.sort()).toEqual(all.upserts.map((i) => i.id).sort());
      expect(kept.upserts).toEqual(all.upserts.filter((i) => !rejected.has(i.id)));
      // The cursor's SystemModstamp part still follows everything listed.
      expect(kept.nextCursor.split('|')[0]).toBe(all.nextCursor.split('|')[0]);
      expect(firstAskAt).toBeGreaterThan(0);
      expect(firstAskAt).toBeLessThan(sf.requests.length);
    });

    test('composite writes: creates with invitees in one request, no duplicate for a lost create, If-Match updates', async () => {
      const p = await open({ syncFlagField: 'CrmSync_Sync__c' });
      const d1 = draft();
      const d2 = draft({
        type: 'task',
        fields: {
          ...draft().fields,
          timing: {
            kind: 'timed',
            start: '2030-04-02T00:00:00.000Z',
            end: '2030-04-02T00:00:00.000Z',
            timeZone: 'UTC',
          },
        },
      });
      const before = sf.requests.length;
      const [c1, c2] = await p.writeItems([
        { op: 'create', idempotencyKey: 'a', draft: d1 },
        { op: 'create', idempotencyKey: 'b', draft: d2 },
      ]);
      expect(
        sf.requests.slice(before).filter((r) => r.path.endsWith('/composite/sobjects') && r.method === 'POST'),
      ).toHaveLength(2); // records, then invitees
      expect(c1).toMatchObject({
        ok: true,
        value: {
          type: 'meeting',
          iCalUId: d1.iCalUId,
          origin: 'calendar',
          syncToCalendar: true,
          fields: { subject: 'Imported', location: 'Teams', reminderMinutes: 10 },
          links: { contactIds: [ann, lee], companyIds: [acme] },
        },
      });
      expect(c2).toMatchObject({
        ok: true,
        value: { type: 'task', fields: { timing: { start: '2030-04-02T00:00:00.000Z' } } },
      });
      const id = c1!.ok ? c1!.value!.id : '';
      expect(sf.get('Event', id)).toMatchObject({
        OwnerId: sf.users[0]!.id,
        WhoId: ann,
        WhatId: acme,
        Type: 'Meeting',
        CrmSync_ICalUId__c: d1.iCalUId,
      });

      const [again] = await p.writeItems([{ op: 'create', idempotencyKey: 'a', draft: d1 }]);
      expect(again!.ok && again!.value!.id).toBe(id);
      expect(sf.all('Event').filter((e) => e['CrmSync_ICalUId__c'] === d1.iCalUId)).toHaveLength(1);
      expect((await p.findByICalUId([d1.iCalUId])).map((i) => i.id)).toEqual([id]);

      const version = c1!.ok ? c1!.value!.version : '';
      sf.advance(1000);
      const [upd] = await p.writeItems([
        { op: 'update', id, ifMatch: version, fields: { subject: 'Renamed', location: 'Room 2' } },
      ]);
      expect(upd).toMatchObject({ ok: true, value: { fields: { subject: 'Renamed', location: 'Room 2' } } });
      const [stale, flag, arch, owner] = await p.writeItems([
        { op: 'update', id, ifMatch: version, fields: { subject: 'Lost' } },
        { op: 'set-sync-flag', id, value: false },
        { op: 'archive', id },
        { op: 'add-owner', id, email: 'MAX@corp.example' },
      ]);
      expect(stale).toMatchObject({ ok: false, error: { kind: 'conflict' } });
      expect(flag).toMatchObject({ ok: true, value: { syncToCalendar: false } });
      expect(arch).toMatchObject({ ok: false, error: { kind: 'invalid' } });
      expect(owner).toMatchObject({ ok: true });
      expect(
        sf
          .all('EventRelation')
          .filter((r) => r['EventId'] === id)
          .map((r) => r['RelationId']),
      ).toEqual([ann, lee, sf.users[1]!.id]);
      // Attendees follow the event: Lee leaves, an unknown address cannot be stored, Ann stays WhoId.
      const [moved] = await p.writeItems([
        {
          op: 'update',
          id,
          ifMatch: null,
          fields: { attendees: [{ email: 'ANN@acme.example' }, { email: 'stranger@x.example' }] },
        },
      ]);
      expect(moved).toMatchObject({
        ok: true,
        value: { fields: { attendees: [{ email: 'ann@acme.example' }] }, links: { contactIds: [ann] } },
      });
      expect(
        sf
          .all('EventRelation')
          .filter((r) => r['EventId'] === id)
          .map((r) => r['RelationId']),
      ).toEqual([ann, sf.users[1]!.id]);
      const [gone] = await p.writeItems([
        { op: 'update', id: '00U000000000999AAA', ifMatch: null, fields: { subject: 'x' } },
      ]);
      expect(gone).toMatchObject({ ok: false, error: { kind: 'not-found' } });
      const contact = await p.createContact!({ email: 'New.Person@Startup.example', name: 'New Person' });
      expect(sf.get('Contact', contact.contactId)).toMatchObject({
        FirstName: 'New',
        LastName: 'Person',
        Email: 'new.person@startup.example',
      });
    });

    test('set-ical-uid fills the connector’s iCalUId field (Event, Task); colleagues find the Event', async () => {
      const p = await open();
      const me = sf.users[0]!.id;
      const ev = sf.insert('Event', {
        Subject: 'CRM-born',
        StartDateTime: '2030-05-04T09:00:00.000+0000',
        EndDateTime: '2030-05-04T10:00:00.000+0000',
        OwnerId: me,
        Type: 'Meeting',
        IsAllDayEvent: false,
      });
      const task = sf.insert('Task', { Subject: 'Call back', ActivityDate: '2030-05-06', OwnerId: me });
      const stamp = sf.get('Event', ev)!['SystemModstamp'];
      sf.advance(1000);
      const [r1, r2, gone] = await p.writeItems([
        { op: 'set-ical-uid', id: ev, iCalUId: 'uid-event@graph' },
        { op: 'set-ical-uid', id: task, iCalUId: 'uid-task@graph' },
        { op: 'set-ical-uid', id: '00U000000000999AAA', iCalUId: 'x' },
      ]);
      expect(r1).toMatchObject({
        ok: true,
        value: { id: ev, iCalUId: 'uid-event@graph', type: 'meeting', origin: 'crm' },
      });
      expect(r2).toMatchObject({ ok: true, value: { id: task, iCalUId: 'uid-task@graph', type: 'task' } });
      expect(gone).toMatchObject({ ok: false });
      // Stored with the CRM-born prefix (an import's tag is the plain iCalUId): the listing still says CRM-born.
      expect(sf.get('Event', ev)).toMatchObject({
        CrmSync_ICalUId__c: 'crm-born:uid-event@graph',
        Subject: 'CRM-born',
      });
      expect(sf.get('Event', ev)!['SystemModstamp']).not.toBe(stamp);
      expect(sf.get('Task', task)).toMatchObject({ CrmSync_ICalUId__c: 'crm-born:uid-task@graph' });
      // Invitations are matched to Events: the engine writes it back for meetings and calls only.
      expect(p.capabilities.iCalUIdTypes).toEqual(['meeting', 'call']);
      expect(await p.findByICalUId(['uid-event@graph'])).toMatchObject([{ id: ev, origin: 'crm' }]);
    });

    test('API limits: near the daily limit, or past it (REQUEST_LIMIT_EXCEEDED), the run stops; the concurrency limit and 503 are transient', async () => {
      const p = await open();
      const q = await open();
      const r = await open();
      sf.setApiUsage(13_400, 15_000);
      await p.lookupPeople(['ann@acme.example']); // two queries: 13_402 used, under 90 %
      sf.setApiUsage(13_600, 15_000);
      // The Contact query reports 13_601 of 15_000: the Lead query is not made, and no later call either.
      const share = await p.lookupPeople(['ann@acme.example']).catch((e: unknown) => e);
      expect(share).toMatchObject({ kind: 'permanent', retryAfterMs: undefined });
      expect((share as Error).message).toMatch(/^Salesforce: the org has used 13601 of its 15000 daily API requests/);
      const usedBefore = sf.apiUsage().used;
      await expect(p.lookupPeople(['bob@acme.example'])).rejects.toBe(share);
      expect(sf.apiUsage().used).toBe(usedBefore);

      // The org's daily limit itself: Salesforce refuses with REQUEST_LIMIT_EXCEEDED "TotalRequests Limit exceeded".
      // Not transient (the engine would retry and wait inside the run): the run stops with one clear error.
      sf.setApiUsage(15_000, 15_000);
      const daily = await q.lookupPeople(['x@y.example']).catch((e: unknown) => e);
      expect(daily).toMatchObject({
        kind: 'permanent',
        status: 403,
        message:
          'Salesforce: the org’s daily API request limit is used up (REQUEST_LIMIT_EXCEEDED); syncing stops and ' +
          'resumes once the org’s requests over the last 24 hours are under its limit again.',
      });
      expect((daily as { retryAfterMs?: number }).retryAfterMs).toBeUndefined();
      // The rest of the run asks Salesforce nothing more.
      const refusedAt = sf.apiUsage().used;
      await expect(q.lookupPeople(['z@y.example'])).rejects.toBe(daily);
      expect(sf.apiUsage().used).toBe(refusedAt);

      // REQUEST_LIMIT_EXCEEDED for the concurrent long-running requests clears in seconds: transient.
      sf.setApiUsage(0, 15_000);
      sf.failNext({
        status: 403,
        body: [
          {
            errorCode: 'REQUEST_LIMIT_EXCEEDED',
            message: 'ConcurrentRequests (Concurrent API Requests) Limit exceeded.',
          },
        ],
        pathIncludes: '/query',
      });
      await expect(r.lookupPeople(['x@y.example'])).rejects.toMatchObject({ kind: 'transient', retryAfterMs: 20_000 });
      sf.failNext({
        status: 503,
        headers: { 'retry-after': '5' },
        body: [{ errorCode: 'SERVER_UNAVAILABLE', message: 'down' }],
        pathIncludes: '/query',
      });
      await expect(r.lookupPeople(['x@y.example'])).rejects.toMatchObject({ kind: 'transient', retryAfterMs: 5000 });
    });

    test('an expired session is refreshed once and the new token saved; a revoked refresh token is an auth error', async () => {
      const p = await open();
      sf.expireTokens();
      await p.lookupPeople(['ann@acme.example']);
      expect(saved.at(-1)).toMatchObject({ accessToken: expect.any(String) });
      const c = await connect();
      await salesforceConnector.revoke!(c, env);
      sf.expireTokens();
      const q = salesforceConnector.open(c, env, { saveSecrets: () => Promise.resolve() });
      await expect(q.lookupPeople(['ann@acme.example'])).rejects.toMatchObject({ kind: 'auth' });
    });
  });
});
