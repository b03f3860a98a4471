/**
 * A stock Salesforce org: none of the connector's custom fields (no CrmSync_ICalUId__c), Event.Type hidden by
 * field-level security and no Shared Activities. The connector connects and the engine syncs both ways.
 */
import { salesforceConnector } from '../../../../src/providers/crm/salesforce';
import { defaultSettings } from '../../../../src/shared/settings';
import { runSync, type EngineContext } from '../../../../src/sync';
import { MemoryCalendar, MemoryStatusStore } from '../../../../src/sync/testing';
import { connectSalesforce } from '../../../support/crm-doubles/connect';
import { memoryItemTags } from '../../../support/crm-doubles/item-tags';
import { startSalesforceDouble, type SalesforceDouble } from '../../../support/crm-doubles/salesforce';

const USER = 'sally@corp.example';

describe('Salesforce on a stock org', () => {
  let sf: SalesforceDouble;
  afterEach(() => sf.close());

  test('connects, mirrors CRM events, imports calendar events once, follows edits and deletions', async () => {
    sf = await startSalesforceDouble();
    sf.dropCustomFields();
    sf.hideFields('Event', ['Type']);
    sf.sharedActivities = false;
    const { env, connection } = await connectSalesforce(sf);
    expect(connection.account).toBe('sally@corp.example.org');
    const crm = salesforceConnector.open(connection, env, { saveSecrets: () => Promise.resolve() });
    expect(crm.capabilities.iCalUIdTypes).toEqual([]);

    const now = () => sf.now();
    const cal = new MemoryCalendar({ userEmail: USER, now });
    const ctx: EngineContext = {
      crm,
      calendar: cal,
      store: new MemoryStatusStore(),
      settings: { ...defaultSettings, syncRecords: 'all' },
      userEmail: USER,
      calendars: { targetCalendarId: 'primary', sourceCalendarIds: ['primary'] },
      sleep: async () => undefined,
      now,
    };
    let n = 0;
    const run = async () => {
      const r = await runSync(ctx, { runId: `r${++n}`, trigger: 'manual' });
      expect(r.errors).toEqual([]);
      return r;
    };
    const at = (h: number) => new Date(sf.now().getTime() + h * 3_600_000).toISOString().replace('Z', '+0000');
    const ann = sf.insert('Contact', { FirstName: 'Ann', LastName: 'Smith', Email: 'ann@acme.example' });
    const ev = sf.insert('Event', {
      Subject: 'Kick-off',
      StartDateTime: at(48),
      EndDateTime: at(49),
      OwnerId: sf.users[0]!.id,
      WhoId: ann,
    });

    expect((await run()).calendar.created).toBe(1);
    expect(cal.all().find((e) => e.crmTag === ev)?.fields.subject).toBe('Kick-off');

    const demo = cal.userCreate('primary', {
      fields: {
        subject: 'Demo',
        timing: {
          kind: 'timed',
          start: new Date(Date.parse(at(72).replace('+0000', 'Z'))).toISOString(),
          end: new Date(Date.parse(at(73).replace('+0000', 'Z'))).toISOString(),
          timeZone: 'Europe/Berlin',
        },
        body: '',
        location: 'Teams',
        visibility: 'normal',
        showAs: 'busy',
        attendees: [{ email: 'ann@acme.example', name: 'Ann Smith' }],
        recurrence: null,
        reminderMinutes: 15,
      },
    });
    expect((await run()).crm.created).toBe(1);
    const imported = sf.all('Event').filter((e) => e['Subject'] === 'Demo');
    expect(imported).toHaveLength(1);
    expect(imported[0]).not.toHaveProperty('CrmSync_ICalUId__c');
    // Idempotent: nothing more to do, and no second import of the same event.
    const quiet = await run();
    expect([quiet.crm.created, quiet.calendar.created]).toEqual([0, 0]);

    sf.advance(1000);
    sf.update('Event', ev, { Subject: 'Kick-off (moved)' });
    cal.userUpdate(demo.id, { subject: 'Demo v2' });
    await run();
    expect(cal.all().find((e) => e.crmTag === ev)?.fields.subject).toBe('Kick-off (moved)');
    expect(sf.get('Event', String(imported[0]!.Id))?.['Subject']).toBe('Demo v2');

    sf.remove('Event', ev);
    sf.advance(3 * 60_000);
    expect((await run()).calendar.deleted).toBe(1);
    expect(sf.all('Event').filter((e) => e['Subject'] === 'Demo v2')).toHaveLength(1);

    // The imported event is deleted in the calendar: Salesforce keeps its activity (it archives itself), and the
    // activity, listed without a tag on a stock org, is not mirrored back as if it were CRM-born.
    cal.userDelete(demo.id);
    await run();
    sf.advance(60_000);
    await run();
    expect(cal.all().filter((e) => e.fields.subject === 'Demo v2')).toEqual([]);
    expect(sf.all('Event').filter((e) => e['Subject'] === 'Demo v2')).toHaveLength(1);
  });

  test('the connector’s own tag store stands in for CrmSync_ICalUId__c: lost creates and colleagues’ invitations', async () => {
    sf = await startSalesforceDouble();
    sf.dropCustomFields();
    const tags = memoryItemTags();
    const open = async (userIndex: number) => {
      const { env, connection } = await connectSalesforce(sf, {}, userIndex);
      return salesforceConnector.open(connection, env, { saveSecrets: () => Promise.resolve(), itemTags: tags });
    };
    const sally = await open(0);
    const max = await open(1);
    expect(sally.capabilities.iCalUIdTypes).toEqual(['meeting', 'call']);
    const draft = {
      type: 'meeting' as const,
      fields: {
        subject: 'Imported',
        timing: {
          kind: 'timed' as const,
          start: '2030-04-01T13:00:00.000Z',
          end: '2030-04-01T14:00:00.000Z',
          timeZone: 'UTC',
        },
        body: '',
        location: '',
        visibility: 'normal' as const,
        showAs: 'busy' as const,
        attendees: [],
        recurrence: null,
        reminderMinutes: null,
      },
      iCalUId: 'uid-import@outlook',
      syncToCalendar: true,
      links: { contactIds: [], companyIds: [] },
    };
    const [created] = await sally.writeItems([{ op: 'create', idempotencyKey: 'a', draft }]);
    expect(created).toMatchObject({ ok: true, value: { iCalUId: 'uid-import@outlook', origin: 'calendar' } });
    const id = created!.ok ? created!.value!.id : '';
    // A create retried after an outage is found by its iCalUId: no second event.
    expect((await sally.findByICalUId(['uid-import@outlook'])).map((i) => i.id)).toEqual([id]);
    const [again] = await sally.writeItems([{ op: 'create', idempotencyKey: 'a', draft }]);
    expect(again!.ok && again!.value!.id).toBe(id);
    expect(sf.all('Event').filter((e) => e['Subject'] === 'Imported')).toHaveLength(1);

    // A CRM-born event's mirror iCalUId is kept as written back; a colleague's connector finds the activity.
    const born = sf.insert('Event', {
      Subject: 'Board',
      StartDateTime: '2030-04-02T09:00:00.000+0000',
      EndDateTime: '2030-04-02T10:00:00.000+0000',
      OwnerId: sf.users[0]!.id,
    });
    const [tagged] = await sally.writeItems([{ op: 'set-ical-uid', id: born, iCalUId: 'uid-board@graph' }]);
    expect(tagged).toMatchObject({ ok: true, value: { id: born, iCalUId: 'uid-board@graph', origin: 'crm' } });
    expect(await max.findByICalUId(['uid-board@graph'])).toMatchObject([{ id: born, origin: 'crm' }]);
    expect(tags.all().get(born)).toBe('crm-born:uid-board@graph');
    const [listed] = (await sally.listChanges(null, { from: '2030-04-02T00:00:00.000Z', to: null })).upserts.filter(
      (i) => i.id === born,
    );
    expect(listed).toMatchObject({ iCalUId: 'uid-board@graph', origin: 'crm' });
  });

  test('a run after Event read is taken away fails with forbidden naming Event, not a crash or vendor text', async () => {
    sf = await startSalesforceDouble();
    const { env, connection } = await connectSalesforce(sf);
    const crm = salesforceConnector.open(connection, env, { saveSecrets: () => Promise.resolve() });
    const now = () => sf.now();
    const ctx: EngineContext = {
      crm,
      calendar: new MemoryCalendar({ userEmail: USER, now }),
      store: new MemoryStatusStore(),
      settings: { ...defaultSettings, syncRecords: 'all' },
      userEmail: USER,
      calendars: { targetCalendarId: 'primary', sourceCalendarIds: ['primary'] },
      sleep: async () => undefined,
      now,
    };
    sf.denyRead('Event');
    const r = await runSync(ctx, { runId: 'r1', trigger: 'manual' });
    expect(r.status).toBe('failed');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ kind: 'forbidden', side: 'connector' });
    expect(r.errors[0]!.message).toMatch(/read access to Event \(INVALID_TYPE\)/);
    expect(r.errors[0]!.message).not.toMatch(/not supported/);
  });
});
