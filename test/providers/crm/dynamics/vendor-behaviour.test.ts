/**
 * Dataverse behaviour the vendor documents and the connector once got wrong (issue 20, points 3, 5 and 7). Each
 * test failed before its fix.
 */
import crypto from 'node:crypto';
import type { CrmDraft } from '../../../../src/sync/model';
import type { CrmProvider } from '../../../../src/sync/ports';
import { connectDynamics } from '../../../support/crm-doubles/connect';
import { startDynamicsDouble, type DynamicsDouble } from '../../../support/crm-doubles/dynamics';

const window = { from: '2030-01-01T00:00:00.000Z', to: null };

describe('Dynamics 365 as documented', () => {
  let dv: DynamicsDouble;
  beforeEach(async () => {
    dv = await startDynamicsDouble();
  });
  afterEach(() => dv.close());

  async function open(): Promise<CrmProvider> {
    const { connector, connection, env } = await connectDynamics(dv);
    return connector.open(connection, env, { saveSecrets: async () => undefined });
  }
  const appointment = (subject: string, extra: Record<string, unknown>) =>
    dv.insert('appointments', { subject, statecode: 3, _ownerid_value: dv.users[0]!.id, ...extra });
  const meeting = (timing: CrmDraft['fields']['timing']): CrmDraft => ({
    type: 'meeting',
    fields: {
      subject: 'Offsite',
      timing,
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

  test('add-owner writes the appointment’s party list (activityparty itself is GET-only), keeping its parties', async () => {
    const p = await open();
    const ann = dv.insert('contacts', { firstname: 'Ann', lastname: 'A', emailaddress1: 'ann@acme.example' });
    const id = appointment('Group', { scheduledstart: '2030-03-04T09:00:00Z', scheduledend: '2030-03-04T10:00:00Z' });
    dv.addParty('appointments', id, { type: 'contact', id: ann, email: 'ann@acme.example', mask: 5 });
    dv.addParty('appointments', id, { type: 'systemuser', id: dv.users[0]!.id, email: 'sally@corp.example', mask: 7 });
    const [r] = await p.writeItems([{ op: 'add-owner', id: `appointment:${id}`, email: 'max@corp.example' }]);
    expect(r).toMatchObject({ ok: true });
    expect(dv.parties(id).map((x) => [x['_partyid_value'], x['participationtypemask']])).toEqual(
      expect.arrayContaining([
        [ann, 5],
        [dv.users[0]!.id, 7],
        [dv.users[1]!.id, 5],
      ]),
    );
    expect(dv.parties(id)).toHaveLength(3);
  });

  describe('all-day appointments in the user’s time zone (usersettings; UtcTimeFromLocalTime)', () => {
    test('east of UTC: local midnight stored as the previous day in UTC reads as its own day', async () => {
      dv.timeZoneCode = 235; // Tokyo, UTC+9
      const p = await open();
      appointment('Offsite', {
        isalldayevent: true,
        scheduledstart: '2030-03-09T15:00:00Z',
        scheduledend: '2030-03-11T15:00:00Z',
      });
      const [item] = (await p.listChanges(null, window)).upserts;
      expect(item!.fields.timing).toEqual({ kind: 'all-day', startDate: '2030-03-10', endDate: '2030-03-12' });
    });

    test('an all-day write is the user’s local midnight (summer time included), not 00:00 UTC', async () => {
      dv.timeZoneCode = 110; // W. Europe: UTC+1, summer UTC+2
      const p = await open();
      const [r] = await p.writeItems([
        {
          op: 'create',
          idempotencyKey: 'a',
          draft: meeting({ kind: 'all-day', startDate: '2030-07-01', endDate: '2030-07-02' }),
        },
      ]);
      expect(r).toMatchObject({
        ok: true,
        value: { fields: { timing: { startDate: '2030-07-01', endDate: '2030-07-02' } } },
      });
      const row = dv.all('appointments').find((a) => a['subject'] === 'Offsite')!;
      expect([row['scheduledstart'], row['scheduledend']]).toEqual(['2030-06-30T22:00:00Z', '2030-07-01T22:00:00Z']);
    });
  });

  test('an org without the Sales app (no lead table) still finds contacts', async () => {
    dv.salesApp = false;
    const p = await open();
    const ann = dv.insert('contacts', { firstname: 'Ann', lastname: 'A', emailaddress1: 'ann@acme.example' });
    expect(await p.lookupPeople(['ann@acme.example', 'lee@lead.example'])).toEqual([
      { email: 'ann@acme.example', contactId: `contact:${ann}`, kind: 'contact', name: 'Ann A', companyId: null },
    ]);
  });

  test('recurring appointments: instances are mirrored one by one, a series master is not an activity', async () => {
    const p = await open();
    const series = crypto.randomUUID();
    appointment('Weekly (master)', {
      scheduledstart: '2030-03-04T09:00:00Z',
      scheduledend: '2030-03-04T10:00:00Z',
      instancetypecode: 1,
      seriesid: series,
    });
    for (const d of ['04', '11'])
      appointment('Weekly', {
        scheduledstart: `2030-03-${d}T09:00:00Z`,
        scheduledend: `2030-03-${d}T10:00:00Z`,
        instancetypecode: 2,
        seriesid: series,
      });
    const res = await p.listChanges(null, window);
    expect(
      res.upserts.map((i) => [i.fields.subject, i.fields.timing?.kind === 'timed' && i.fields.timing.start]),
    ).toEqual([
      ['Weekly', '2030-03-04T09:00:00.000Z'],
      ['Weekly', '2030-03-11T09:00:00.000Z'],
    ]);
  });
});
