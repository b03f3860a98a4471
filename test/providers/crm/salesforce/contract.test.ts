/**
 * Contract: every request the Salesforce connector sends and every answer the Salesforce double gives, held to
 * Salesforce's own description (../shared/schemas/salesforce: describe() of a real org and the REST envelopes;
 * the rules the description is silent on cite the vendor's pages in test/support/contract/salesforce-contract.ts).
 */
import crypto from 'node:crypto';
import { salesforceConnector } from '../../../../src/providers/crm/salesforce';
import type { CrmDraft } from '../../../../src/sync/model';
import { ProviderError } from '../../../../src/sync/errors';
import { ConnectError } from '../../../../src/providers/http/connect-error';
import { connectSalesforce } from '../../../support/crm-doubles/connect';
import { startSalesforceDouble, type SalesforceDouble } from '../../../support/crm-doubles/salesforce';
import { loadSalesforceContract, type SalesforceContract } from '../../../support/contract/salesforce-contract';
import { report, sharedSchemaPath } from '../../../support/contract/shared-schemas';

const contract = loadSalesforceContract();
const window = { from: '2030-01-01T00:00:00.000Z', to: null };

function draft(type: CrmDraft['type'], n: number, contactIds: string[], companyIds: string[]): CrmDraft {
  return {
    type,
    fields: {
      subject: `${type} ${n}`,
      timing:
        n % 3 === 0
          ? { kind: 'all-day', startDate: '2030-04-03', endDate: '2030-04-04' }
          : {
              kind: 'timed',
              start: `2030-04-0${n}T13:00:00.000Z`,
              end: `2030-04-0${n}T14:00:00.000Z`,
              timeZone: 'UTC',
            },
      body: 'From Outlook',
      location: 'Teams',
      visibility: n % 2 ? 'private' : 'normal',
      showAs: n % 2 ? 'free' : 'busy',
      attendees: [{ email: 'ann@acme.example' }],
      recurrence: null,
      reminderMinutes: n % 2 ? null : 10,
    },
    iCalUId: `ical-${crypto.randomUUID()}`,
    syncToCalendar: true,
    links: { contactIds, companyIds },
  };
}

if (!contract) {
  test('CONTRACT NOT CHECKED: ../shared/schemas/salesforce is absent', () => {
    console.warn(`Salesforce contract test skipped: no description at ${sharedSchemaPath('salesforce')}`);
    expect(contract).toBeNull();
  });
} else {
  const c: SalesforceContract = contract;

  describe('Salesforce connector and double against Salesforce’s description', () => {
    let sf: SalesforceDouble;
    beforeEach(async () => {
      sf = await startSalesforceDouble();
    });
    afterEach(() => sf.close());

    const findings = () => report(sf.exchanges.flatMap((ex) => c.check(ex, sf.now())));

    test('connect, listings with paging and deletions, every kind of write, refresh, limits', async () => {
      const me = sf.users[0]!.id;
      const acme = sf.insert('Account', { Name: 'Acme' });
      const ann = sf.insert('Contact', {
        FirstName: 'Ann',
        LastName: 'Smith',
        Email: 'ann@acme.example',
        AccountId: acme,
      });
      const lee = sf.insert('Lead', {
        FirstName: 'Lee',
        LastName: 'Jones',
        Email: 'lee@lead.example',
        IsConverted: false,
      });
      const ev = sf.insert('Event', {
        Subject: 'Review',
        StartDateTime: '2030-03-04T09:00:00.000+0000',
        EndDateTime: '2030-03-04T10:00:00.000+0000',
        IsAllDayEvent: false,
        ShowAs: 'Busy',
        IsPrivate: false,
        IsReminderSet: true,
        ReminderDateTime: '2030-03-04T08:45:00.000+0000',
        WhoId: ann,
        WhatId: acme,
        OwnerId: me,
        Type: 'Meeting',
      });
      sf.insert('EventRelation', { EventId: ev, RelationId: lee, IsInvitee: true });
      const task = sf.insert('Task', {
        Subject: 'Send offer',
        ActivityDate: '2030-03-06',
        Status: 'Not Started',
        Priority: 'High',
        OwnerId: me,
      });
      for (const n of [1, 2, 3])
        sf.insert('Event', {
          Subject: `Visit ${n}`,
          StartDateTime: `2030-05-0${n}T09:00:00.000+0000`,
          EndDateTime: `2030-05-0${n}T10:00:00.000+0000`,
          IsAllDayEvent: false,
          OwnerId: me,
        });

      const { connection, env } = await connectSalesforce(sf, { syncFlagField: 'CrmSync_Sync__c' });
      const p = salesforceConnector.open(connection, env, { saveSecrets: async () => undefined });
      sf.pageSize = 2;
      const first = await p.listChanges(null, window);
      sf.pageSize = 2000;
      sf.advance(10 * 60_000);
      sf.update('Event', ev, { Subject: 'Review (moved)' });
      sf.remove('Task', task);
      sf.advance(3 * 60_000);
      const inc = await p.listChanges(first.nextCursor, window);
      expect(inc.removedIds).toContain(task);

      // Creates of every type, mixed (Events and Tasks interleaved), updates, the one-by-one operations.
      const created = await p.writeItems(
        [1, 2, 3, 4, 5, 6].map((n) => ({
          op: 'create' as const,
          idempotencyKey: `k${n}`,
          draft: draft(n % 2 ? 'task' : n % 3 ? 'meeting' : 'call', n, [ann, lee], [acme]),
        })),
      );
      expect(created.every((r) => r.ok)).toBe(true);
      const meeting = created.find((r) => r.ok && r.value?.type === 'meeting');
      const id = meeting?.ok ? meeting.value!.id : '';
      await p.writeItems([
        { op: 'update', id, ifMatch: null, fields: { subject: 'Renamed', attendees: [{ email: 'lee@lead.example' }] } },
        {
          op: 'update',
          id: ev,
          ifMatch: null,
          fields: { timing: { kind: 'all-day', startDate: '2030-03-05', endDate: '2030-03-06' } },
          links: { contactIds: [ann], companyIds: [acme] },
        },
        { op: 'set-sync-flag', id, value: false },
        { op: 'set-ical-uid', id: ev, iCalUId: 'uid@graph' },
        { op: 'add-owner', id, email: 'max@corp.example' },
      ]);
      await p.lookupPeople(['ann@acme.example', 'lee@lead.example', 'nobody@x.example']);
      await p.createContact!({ email: 'new.person@startup.example', name: 'New Person' });
      await p.findByICalUId(['uid@graph']);

      // An expired session (refreshed), an API limit and a missing record: error bodies too.
      sf.expireTokens();
      await p.lookupPeople(['ann@acme.example']);
      await p.writeItems([{ op: 'update', id: '00U000000000999AAA', ifMatch: null, fields: { subject: 'x' } }]);
      // The concurrency limit (transient), then the org's daily limit: the run stops (permanent, DailyBudget).
      sf.failNext({
        status: 403,
        body: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'ConcurrentPerOrgLongTxn Limit exceeded.' }],
        pathIncludes: '/query',
      });
      await expect(p.lookupPeople(['x@y.example'])).rejects.toMatchObject({ kind: 'transient' });
      sf.setApiUsage(15_000, 15_000);
      await expect(p.lookupPeople(['x@y.example'])).rejects.toMatchObject({ kind: 'permanent', status: 403 });
      sf.setApiUsage(0, 15_000);

      expect(sf.exchanges.length).toBeGreaterThan(30);
      expect(findings()).toEqual([]);
    });

    // Missing permission as Salesforce answers it (REST API Developer Guide, Status Codes and Error Responses;
    // sObject Collections; sObject Describe): the error bodies are held to the ErrorResponse/SaveResult description
    // by findings(), and the connector says which object in its own words.
    test('a user who may not edit Events: a write fails forbidden naming Event, connect names Event', async () => {
      const { connection, env } = await connectSalesforce(sf);
      sf.denyWrite('Event');
      const p = salesforceConnector.open(connection, env, { saveSecrets: async () => undefined });
      const [r] = await p.writeItems([{ op: 'create', idempotencyKey: 'k', draft: draft('meeting', 1, [], []) }]);
      const err = r && !r.ok ? r.error : null;
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).kind).toBe('forbidden');
      expect((err as ProviderError).message).toMatch(/write access to Event\b/);
      expect((err as ProviderError).message).not.toMatch(/insufficient access rights/);
      const refused = await connectSalesforce(sf).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ConnectError);
      expect((refused as ConnectError).reason).toBe('missing-permission');
      expect((refused as ConnectError).message).toMatch(/\bEvent\b/);
      expect(findings()).toEqual([]);
    });

    test('a user who cannot read Events: connect names Event; a run fails forbidden naming Event', async () => {
      const { connection, env } = await connectSalesforce(sf);
      sf.denyRead('Event');
      const p = salesforceConnector.open(connection, env, { saveSecrets: async () => undefined });
      const run = await p.listChanges(null, window).catch((e: unknown) => e);
      expect(run).toBeInstanceOf(ProviderError);
      expect((run as ProviderError).kind).toBe('forbidden');
      expect((run as ProviderError).message).toMatch(/read access to Event\b/);
      expect((run as ProviderError).message).not.toMatch(/not supported/);
      const refused = await connectSalesforce(sf).catch((e: unknown) => e);
      expect((refused as ConnectError).reason).toBe('missing-permission');
      expect((refused as ConnectError).message).toMatch(/read access to Event\b/);
      expect(findings()).toEqual([]);
    });

    test('no Salesforce message text reaches an error: a secret echoed in the message is not repeated', async () => {
      const { connection, env } = await connectSalesforce(sf);
      const token = connection.secrets['accessToken']!;
      const echo = (errorCode: string) => ({
        status: 400,
        body: [{ errorCode, message: `bad value '${token}' password=Hunter2-secret` }],
        pathIncludes: '/query',
      });
      const p = salesforceConnector.open(connection, env, { saveSecrets: async () => undefined });
      for (const code of ['MALFORMED_QUERY', 'INVALID_FIELD', 'INSUFFICIENT_ACCESS']) {
        // INVALID_FIELD is asked twice (describe() is re-read once in between).
        sf.failNext(...(code === 'INVALID_FIELD' ? [echo(code), echo(code)] : [echo(code)]));
        const e = (await p.listChanges(null, window).catch((x: unknown) => x)) as ProviderError;
        expect(e).toBeInstanceOf(ProviderError);
        expect(e.message).toContain(code);
        expect(e.message).not.toContain(token);
        expect(e.message).not.toContain('Hunter2');
      }
      // The connect test: the reason a user sees.
      sf.failNext({
        status: 500,
        body: [{ errorCode: 'UNKNOWN_EXCEPTION', message: `An unexpected error occurred: ${token}` }],
        pathIncludes: '/describe',
      });
      const refused = (await connectSalesforce(sf).catch((x: unknown) => x)) as ConnectError;
      expect(refused).toBeInstanceOf(ConnectError);
      expect(refused.message).not.toContain('unexpected error');
      expect(refused.message).not.toContain(token);
    });
  });

  describe('the contract can fail (negative controls on its own rules)', () => {
    test('a wrong field name, a wrong type, a wrong picklist value, a read-only field', () => {
      expect(c.checkRecord('Event', { Subjct: 'x' }, 'request').join()).toMatch(/Subjct/);
      expect(c.checkRecord('Event', { IsAllDayEvent: 'yes' }, 'request').join()).toMatch(
        /IsAllDayEvent must be boolean/,
      );
      expect(c.checkRecord('Event', { ShowAs: 'Busy ' }, 'request').join()).toMatch(/picklist/);
      expect(c.checkRecord('Task', { IsClosed: true }, 'request').join()).toMatch(/read-only/);
      expect(c.checkRecord('Event', { StartDateTime: '2030-01-01T10:00:00.000Z' }, 'response').join()).toMatch(
        /format/,
      );
      expect(c.checkRecord('Event', { StartDateTime: '2030-01-01T10:00:00.000+0000' }, 'response')).toEqual([]);
    });

    test('a wrong envelope', () => {
      expect(c.checkEnvelope('QueryResult', { size: 0, records: [] }).join()).toMatch(/totalSize|size/);
      expect(c.checkEnvelope('ErrorResponse', { error: { code: 'X', message: 'y' } })).not.toEqual([]);
      expect(c.checkEnvelope('GetDeletedResult', { deletedRecords: [] }).join()).toMatch(/earliestDateAvailable/);
    });
  });
}
