/**
 * Contract: every request the Dynamics 365 connector sends (each operation of a $batch too) and every answer the
 * Dataverse double gives, held to the Dataverse entity slice in ../shared/schemas/dynamics; where the slice and
 * Microsoft's documentation disagree the documentation wins (rules and pages in
 * test/support/contract/dataverse-contract.ts).
 */
import crypto from 'node:crypto';
import type { CrmDraft } from '../../../../src/sync/model';
import { ProviderError } from '../../../../src/sync/errors';
import { ConnectError } from '../../../../src/providers/http/connect-error';
import { connectDynamics } from '../../../support/crm-doubles/connect';
import { startDynamicsDouble, type DynamicsDouble } from '../../../support/crm-doubles/dynamics';
import { loadDataverseContract, type DataverseContract } from '../../../support/contract/dataverse-contract';
import { report, sharedSchemaPath } from '../../../support/contract/shared-schemas';

const contract = loadDataverseContract();
const window = { from: '2030-01-01T00:00:00.000Z', to: null };

const draft = (type: CrmDraft['type'], n: number, contactIds: string[], companyIds: string[]): CrmDraft => ({
  type,
  fields: {
    subject: `${type} ${n}`,
    timing:
      n === 3
        ? { kind: 'all-day', startDate: '2030-04-03', endDate: '2030-04-04' }
        : { kind: 'timed', start: `2030-04-0${n}T13:00:00.000Z`, end: `2030-04-0${n}T14:00:00.000Z`, timeZone: 'UTC' },
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
  links: { contactIds, companyIds },
});

if (!contract) {
  test('CONTRACT NOT CHECKED: ../shared/schemas/dynamics is absent', () => {
    console.warn(`Dynamics contract test skipped: no description at ${sharedSchemaPath('dynamics')}`);
    expect(contract).toBeNull();
  });
} else {
  const c: DataverseContract = contract;

  describe('Dynamics 365 connector and Dataverse double against the Dataverse description', () => {
    let dv: DynamicsDouble;
    beforeEach(async () => {
      dv = await startDynamicsDouble();
    });
    afterEach(() => dv.close());

    test('connect, change tracking with paging and deletions, $batch writes of every kind, errors', async () => {
      const me = dv.users[0]!.id;
      const acme = dv.insert('accounts', { name: 'Acme' });
      const ann = dv.insert('contacts', {
        firstname: 'Ann',
        lastname: 'Smith',
        emailaddress1: 'ann@acme.example',
        _parentcustomerid_value: acme,
      });
      dv.insert('leads', { firstname: 'Lee', lastname: 'Jones', emailaddress1: 'lee@lead.example' });
      const appt = dv.insert('appointments', {
        subject: 'Review',
        scheduledstart: '2030-03-04T09:00:00Z',
        scheduledend: '2030-03-04T10:00:00Z',
        isalldayevent: false,
        statecode: 3,
        statuscode: 5,
        _ownerid_value: me,
        _regardingobjectid_value: acme,
      });
      dv.addParty('appointments', appt, { type: 'contact', id: ann, email: 'ann@acme.example', mask: 5 });
      const call = dv.insert('phonecalls', {
        subject: 'Call',
        scheduledstart: '2030-03-05T09:00:00Z',
        scheduledend: '2030-03-05T09:15:00Z',
        statecode: 0,
        _ownerid_value: me,
      });
      dv.insert('tasks', {
        subject: 'Offer',
        scheduledend: '2030-03-06T00:00:00Z',
        statecode: 0,
        prioritycode: 2,
        _ownerid_value: me,
      });

      const { connector, connection, env } = await connectDynamics(dv);
      const p = connector.open(connection, env, { saveSecrets: async () => undefined });
      dv.pageSize = 1;
      const first = await p.listChanges(null, window);
      dv.pageSize = 5000;
      dv.update('appointments', appt, { subject: 'Review (moved)' });
      dv.remove('phonecalls', call);
      const inc = await p.listChanges(first.nextCursor, window);
      expect(inc.removedIds).toEqual([`phonecall:${call}`]);

      const created = await p.writeItems(
        [1, 2, 3].map((n) => ({
          op: 'create' as const,
          idempotencyKey: `k${n}`,
          draft: draft(n === 2 ? 'call' : n === 1 ? 'task' : 'meeting', n, [`contact:${ann}`], [`account:${acme}`]),
        })),
      );
      expect(created.every((r) => r.ok)).toBe(true);
      const meeting = created.find((r) => r.ok && r.value?.type === 'meeting');
      const id = meeting?.ok ? meeting.value!.id : '';
      await p.writeItems([
        { op: 'update', id, ifMatch: null, fields: { subject: 'Renamed', attendees: [{ email: 'lee@lead.example' }] } },
        { op: 'set-ical-uid', id: `appointment:${appt}`, iCalUId: 'uid@graph' },
        { op: 'add-owner', id, email: 'max@corp.example' },
        { op: 'archive', id: `appointment:${appt}` },
      ]);
      await p.writeItems([{ op: 'update', id: `appointment:${appt}`, ifMatch: 'W/"1"', fields: { subject: 'stale' } }]);
      await p.createContact!({ email: 'new.person@startup.example', name: 'New Person' });
      await p.lookupPeople(['ann@acme.example', 'lee@lead.example']);
      dv.expireTokens();
      await p.findByICalUId(['uid@graph']);
      dv.failNext({
        status: 429,
        headers: { 'retry-after': '7' },
        body: {
          error: {
            code: '0x80072322',
            message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.',
          },
        },
      });
      await expect(p.lookupPeople(['x@y.example'])).rejects.toMatchObject({ kind: 'transient' });

      expect(dv.exchanges.length).toBeGreaterThan(20);
      expect(report(dv.exchanges.flatMap((ex) => c.check(ex)))).toEqual([]);
    });

    // Missing privilege as Dataverse answers it: 403 with error code 0x80040220 ("Principal user … is missing
    // prv…" — Web API error codes reference); the error bodies are held to the description by c.check.
    test('a role without Write on appointments: a write fails forbidden naming appointments', async () => {
      const { connector, connection, env } = await connectDynamics(dv);
      dv.denyWrite('appointments');
      const p = connector.open(connection, env, { saveSecrets: async () => undefined });
      const [r] = await p.writeItems([{ op: 'create', idempotencyKey: 'k', draft: draft('meeting', 1, [], []) }]);
      const err = r && !r.ok ? r.error : null;
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).kind).toBe('forbidden');
      expect((err as ProviderError).message).toMatch(/create appointments \(0x80040220\)/);
      expect((err as ProviderError).message).not.toMatch(/Principal user|prvCreate/);
      expect(report(dv.exchanges.flatMap((ex) => c.check(ex)))).toEqual([]);
    });

    test('a role without Read on tasks: connect names tasks; a run fails forbidden naming tasks', async () => {
      const { connector, connection, env } = await connectDynamics(dv);
      dv.denyRead('tasks');
      const p = connector.open(connection, env, { saveSecrets: async () => undefined });
      const run = (await p.listChanges(null, window).catch((e: unknown) => e)) as ProviderError;
      expect(run).toBeInstanceOf(ProviderError);
      expect(run.kind).toBe('forbidden');
      expect(run.message).toMatch(/read tasks\b/);
      expect(run.message).not.toMatch(/Principal user/);
      const refused = (await connectDynamics(dv).catch((e: unknown) => e)) as ConnectError;
      expect(refused).toBeInstanceOf(ConnectError);
      expect(refused.reason).toBe('missing-permission');
      expect(refused.message).toMatch(/read tasks\b/);
      expect(report(dv.exchanges.flatMap((ex) => c.check(ex)))).toEqual([]);
    });

    test('no Dataverse message text reaches an error: a secret echoed in the message is not repeated', async () => {
      const { connector, connection, env } = await connectDynamics(dv);
      const token = connection.secrets['accessToken']!;
      const p = connector.open(connection, env, { saveSecrets: async () => undefined });
      for (const status of [400, 403, 500]) {
        dv.failNext({
          status,
          body: { error: { code: '0x80040203', message: `Invalid value '${token}' password=Hunter2-secret` } },
          pathIncludes: '/appointments',
        });
        const e = (await p.listChanges(null, window).catch((x: unknown) => x)) as ProviderError;
        expect(e).toBeInstanceOf(ProviderError);
        expect(e.message).toContain('0x80040203');
        expect(e.message).not.toContain(token);
        expect(e.message).not.toContain('Hunter2');
      }
      dv.failNext({
        status: 500,
        body: { error: { code: '0x80040216', message: `An unexpected error occurred: ${token}` } },
        pathIncludes: '/appointments',
      });
      const refused = (await connectDynamics(dv).catch((x: unknown) => x)) as ConnectError;
      expect(refused).toBeInstanceOf(ConnectError);
      expect(refused.message).not.toContain('unexpected error');
      expect(refused.message).not.toContain(token);
    });
  });

  describe('the contract can fail (negative controls on its own rules)', () => {
    test('a wrong column name, a wrong type, an option-set value, a wrong binding', () => {
      expect(c.checkBody('appointment', { subjet: 'x' }).join()).toMatch(/subjet/);
      expect(c.checkBody('appointment', { isalldayevent: 'true' }).join()).toMatch(/not boolean/);
      expect(c.checkBody('task', { prioritycode: 3 }).join()).toMatch(/not an option/);
      expect(
        c
          .checkBody('appointment', {
            'regardingobjectid_account_appointment@odata.bind': '/contacts(00000000-0000-0000-0000-000000000001)',
          })
          .join(),
      ).toMatch(/binds contacts/);
      expect(c.checkRow('appointment', { modifiedon: '2030-01-01T10:00:00.000Z' }).join()).toMatch(/date-time/);
    });

    test('a wrong envelope', () => {
      expect(c.checkCollection('appointment', { value: [], '@odata.count': 0 }).join()).toMatch(
        /@odata.context|@odata.count/,
      );
      expect(c.checkCollection('appointment', { '@odata.context': 'x', values: [] }).join()).toMatch(/value/);
    });
  });
}
