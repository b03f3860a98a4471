/**
 * The engine's core scenarios (SPEC §5, §10) run end to end with real CRM connectors: the Sandbox CRM over its
 * SQLite store, and SuiteCRM, Salesforce, Dynamics 365, HubSpot, Pipedrive and Zoho CRM over their API doubles, each against the engine's in-memory calendar and status store.
 */
import { defaultSettings } from '../../../src/shared/settings';
import { connectDynamics, connectSalesforce } from '../../support/crm-doubles/connect';
import type { RunReport } from '../../../src/shared/run-report';
import { MemoryCalendar, MemoryStatusStore, runSync, type EngineContext } from '../../../src/sync';
import type { CrmItem } from '../../../src/sync/model';
import type { CrmProvider, CrmWrite } from '../../../src/sync/ports';
import { SandboxCrmProvider } from '../../../src/providers/crm/sandbox';
import { suiteCrmConnector } from '../../../src/providers/crm/suitecrm';
import { createSafeFetch } from '../../../src/providers/http';
import { startSuiteCrmDouble } from '../../support/crm-doubles/suitecrm';
import { startSalesforceDouble } from '../../support/crm-doubles/salesforce';
import { salesforceConnector } from '../../../src/providers/crm/salesforce';
import { startDynamicsDouble } from '../../support/crm-doubles/dynamics';
import { openSandboxDb } from './sandbox/sandbox-support';
import { startHubSpotDouble } from '../../support/crm-doubles/hubspot/double';
import { connectHubSpot } from '../../support/crm-doubles/hubspot/connect';
import { startPipedriveDouble } from '../../support/crm-doubles/pipedrive/double';
import { connectPipedrive } from '../../support/crm-doubles/pipedrive/connect';
import { startZohoDouble } from '../../support/crm-doubles/zoho/double';
import { connectZoho } from '../../support/crm-doubles/zoho/connect';
import { fixedClock } from '../../../src/shared/clock';

const USER = 'sally@corp.example';
/** The suite's clock: the CRM doubles, the calendar and the engine all read it. */
const START = '2026-11-21T09:00:00.000Z';
const clock = fixedClock(START, 1000);
const hours = (h: number) => new Date(Date.parse(START) + h * 3_600_000);
const iso = (d: Date) => new Date(Math.floor(d.getTime() / 60_000) * 60_000).toISOString();

/** The engine's context for a run between a CRM and the memory calendar, with every record synced. */
function engineContext(crm: CrmProvider, calendar: MemoryCalendar): EngineContext {
  return {
    crm,
    calendar,
    store: new MemoryStatusStore(),
    settings: { ...defaultSettings, syncRecords: 'all' },
    userEmail: USER,
    calendars: { targetCalendarId: 'primary', sourceCalendarIds: ['primary'] },
    sleep: async () => undefined,
    now: clock,
  };
}

/** Acts as the CRM's user (outside the engine) and counts the engine's writes. */
interface CrmHarness {
  provider: CrmProvider;
  writes: CrmWrite[];
  /** Salesforce archives activities itself: an imported activity whose event is deleted stays as it is. */
  canArchive: boolean;
  addContact(email: string, name: string): Promise<{ contactId: string; companyId: string }>;
  create(subject: string, startH: number, invitees: string[]): Promise<string>;
  rename(id: string, subject: string): Promise<void>;
  remove(id: string): Promise<void>;
  get(id: string): Promise<CrmItem | null>;
  all(): Promise<CrmItem[]>;
  close(): Promise<void>;
}

function counting(provider: CrmProvider, writes: CrmWrite[]): CrmProvider {
  return new Proxy(provider, {
    get(target, prop, receiver) {
      if (prop === 'writeItems') {
        return (w: CrmWrite[]) => {
          writes.push(...w);
          return target.writeItems(w);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function sandboxHarness(): Promise<CrmHarness> {
  const { db, repoFor } = await openSandboxDb('sqlite::memory:', clock);
  const repo = repoFor({ tenantId: 't', userEmail: USER });
  const provider = new SandboxCrmProvider(repo, 'https://connector.example');
  const writes: CrmWrite[] = [];
  const find = async (id: string) =>
    (await provider.listChanges(null, { from: '2000-01-01T00:00:00Z', to: null })).upserts.find((i) => i.id === id) ??
    null;
  return {
    provider: counting(provider, writes),
    writes,
    canArchive: true,
    async addContact(email, name) {
      const company = await repo.createCompany({ name: 'Acme', domain: email.split('@')[1]! });
      const c = await repo.createContact({ email, name, kind: 'contact', companyId: company.id });
      return { contactId: c.id, companyId: company.id };
    },
    async create(subject, startH, invitees) {
      const [item] = await repo.createItems([
        {
          data: {
            type: 'meeting',
            subject,
            timing: { kind: 'timed', start: iso(hours(startH)), end: iso(hours(startH + 1)), timeZone: 'UTC' },
            body: '',
            location: '',
            visibility: 'normal',
            showAs: 'busy',
            attendees: invitees.map((email) => ({ email })),
            recurrence: null,
            reminderMinutes: 15,
            completed: false,
            priority: 'normal',
            syncToCalendar: null,
            archived: false,
            iCalUId: null,
            origin: 'crm',
            occurrence: null,
            links: { contactIds: [], companyIds: [] },
          },
        },
      ]);
      return item!.id;
    },
    rename: async (id, subject) => void (await repo.updateItem(id, { subject })),
    remove: (id) => repo.deleteItem(id),
    get: find,
    all: async () => (await provider.listChanges(null, { from: '2000-01-01T00:00:00Z', to: null })).upserts,
    close: () => db.close(),
  };
}

async function suiteCrmHarness(): Promise<CrmHarness> {
  const crm = await startSuiteCrmDouble();
  const safeFetch = createSafeFetch({ allowedPrivateHosts: [crm.host] });
  const env = {
    safeFetch,
    fetch: safeFetch,
    publicUrl: 'https://connector.example',
    graphBaseUrl: 'https://graph.invalid',
    now: clock,
  };
  const connection = await suiteCrmConnector.connect!(
    {
      method: 'password',
      url: crm.url,
      fields: { clientId: crm.clientId, clientSecret: crm.clientSecret, username: 'sally', password: 'sally-pass' },
    },
    env,
  );
  const writes: CrmWrite[] = [];
  // A fresh provider per run, as the server opens one per run (the people directory is read once per run).
  const open = () => suiteCrmConnector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  const provider = new Proxy({} as CrmProvider, {
    get: (_t, prop) => {
      const p = counting(open(), writes);
      return Reflect.get(p, prop) as unknown;
    },
  });
  const db = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
  const all = async () => (await open().listChanges(null, { from: '2000-01-01T00:00:00Z', to: null })).upserts;
  return {
    provider,
    writes,
    canArchive: true,
    async addContact(email, name) {
      const acme = crm.seed('Accounts', { name: 'Acme' });
      const [first, last] = name.split(' ');
      const id = crm.seed('Contacts', { first_name: first!, last_name: last ?? '', email1: email, account_id: acme });
      return { contactId: `Contacts:${id}`, companyId: `Accounts:${acme}` };
    },
    async create(subject, startH, invitees) {
      const start = new Date(iso(hours(startH)));
      const id = crm.seed('Meetings', {
        name: subject,
        date_start: db(start),
        date_end: db(new Date(start.getTime() + 3_600_000)),
        status: 'Planned',
        reminder_time: 900,
        assigned_user_id: crm.users[0]!.id,
      });
      for (const email of invitees) {
        const c = crm.all('Contacts').find((r) => String(r['email1']).toLowerCase() === email);
        if (c) crm.relate('Meetings', id, 'contacts', c.id);
      }
      crm.advance(61_000);
      return `Meetings:${id}`;
    },
    async rename(id, subject) {
      crm.update('Meetings', id.split(':')[1]!, { name: subject });
      crm.advance(61_000);
    },
    async remove(id) {
      crm.remove('Meetings', id.split(':')[1]!);
      crm.advance(61_000);
    },
    get: async (id) => (await all()).find((i) => i.id === id) ?? null,
    all,
    close: () => crm.close(),
  };
}

async function salesforceHarness(): Promise<CrmHarness> {
  const sf = await startSalesforceDouble();
  const { env, connection } = await connectSalesforce(sf);
  const writes: CrmWrite[] = [];
  const open = () => salesforceConnector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  const provider = counting(open(), writes);
  const all = async () => (await open().listChanges(null, { from: '2000-01-01T00:00:00Z', to: null })).upserts;
  const sfDate = (d: Date) => d.toISOString().replace('Z', '+0000');
  return {
    provider,
    writes,
    canArchive: false,
    async addContact(email, name) {
      const acme = sf.insert('Account', { Name: 'Acme' });
      const [first, last] = name.split(' ');
      return {
        contactId: sf.insert('Contact', { FirstName: first, LastName: last, Email: email, AccountId: acme }),
        companyId: acme,
      };
    },
    async create(subject, startH, invitees) {
      const start = new Date(iso(hours(startH)));
      const who = sf.all('Contact').find((c) => invitees.includes(String(c['Email']).toLowerCase()));
      const id = sf.insert('Event', {
        Subject: subject,
        StartDateTime: sfDate(start),
        EndDateTime: sfDate(new Date(start.getTime() + 3_600_000)),
        IsAllDayEvent: false,
        IsReminderSet: false,
        OwnerId: sf.users[0]!.id,
        Type: 'Meeting',
        ...(who ? { WhoId: who.Id } : {}),
      });
      return id;
    },
    async rename(id, subject) {
      sf.advance(1000);
      sf.update('Event', id, { Subject: subject });
    },
    async remove(id) {
      sf.advance(1000);
      sf.remove('Event', id);
      // getDeleted needs the window's end a minute after its start.
      sf.advance(2 * 60_000);
    },
    get: async (id) => (await all()).find((i) => i.id === id) ?? null,
    all,
    close: () => sf.close(),
  };
}

async function dynamicsHarness(): Promise<CrmHarness> {
  const dv = await startDynamicsDouble({ now: clock });
  const { env, connector, connection } = await connectDynamics(dv);
  const writes: CrmWrite[] = [];
  const open = () => connector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  const all = async () => (await open().listChanges(null, { from: '2000-01-01T00:00:00Z', to: null })).upserts;
  return {
    provider: counting(open(), writes),
    writes,
    canArchive: true,
    async addContact(email, name) {
      const acme = dv.insert('accounts', { name: 'Acme' });
      const [first, last] = name.split(' ');
      const id = dv.insert('contacts', {
        firstname: first,
        lastname: last,
        emailaddress1: email,
        _parentcustomerid_value: acme,
      });
      return { contactId: `contact:${id}`, companyId: `account:${acme}` };
    },
    async create(subject, startH, invitees) {
      const start = new Date(iso(hours(startH)));
      const id = dv.insert('appointments', {
        subject,
        scheduledstart: start.toISOString(),
        scheduledend: new Date(start.getTime() + 3_600_000).toISOString(),
        isalldayevent: false,
        statecode: 3,
        _ownerid_value: dv.users[0]!.id,
      });
      for (const email of invitees) {
        const c = dv.all('contacts').find((r) => String(r['emailaddress1']).toLowerCase() === email);
        dv.addParty('appointments', id, {
          type: c ? 'contact' : null,
          id: c ? String(c['contactid']) : null,
          email,
          mask: 5,
        });
      }
      return `appointment:${id}`;
    },
    rename: async (id, subject) => dv.update('appointments', id.split(':')[1]!, { subject }),
    remove: async (id) => dv.remove('appointments', id.split(':')[1]!),
    get: async (id) => (await all()).find((i) => i.id === id) ?? null,
    all,
    close: () => dv.close(),
  };
}

async function hubspotHarness(): Promise<CrmHarness> {
  const hs = await startHubSpotDouble();
  const { env, connector, connection } = await connectHubSpot(hs);
  const writes: CrmWrite[] = [];
  const open = () => connector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  const all = async () => (await open().listChanges(null, { from: '2000-01-01T00:00:00Z', to: null })).upserts;
  return {
    provider: counting(open(), writes),
    writes,
    canArchive: true,
    async addContact(email, name) {
      const acme = hs.insert('companies', { name: 'Acme' });
      const [first, last] = name.split(' ');
      const id = hs.insert('contacts', { email, firstname: first!, lastname: last!, associatedcompanyid: acme });
      return { contactId: `contact:${id}`, companyId: `company:${acme}` };
    },
    async create(subject, startH, invitees) {
      hs.advance(1000);
      const start = new Date(iso(hours(startH)));
      const id = hs.insert('meetings', {
        hs_meeting_title: subject,
        hs_timestamp: start.toISOString(),
        hs_meeting_start_time: start.toISOString(),
        hs_meeting_end_time: new Date(start.getTime() + 3_600_000).toISOString(),
        hs_meeting_outcome: 'SCHEDULED',
        hubspot_owner_id: hs.users[0]!.ownerId,
      });
      const contacts = hs.all('contacts').filter((c) => invitees.includes(String(c.properties['email']).toLowerCase()));
      hs.associate(
        'meetings',
        id,
        'contacts',
        contacts.map((c) => c.id),
      );
      return `meeting:${id}`;
    },
    rename: async (id, subject) => {
      hs.advance(1000);
      hs.update('meetings', id.split(':')[1]!, { hs_meeting_title: subject });
    },
    remove: async (id) => {
      hs.advance(1000);
      hs.archive('meetings', id.split(':')[1]!);
    },
    get: async (id) => (await all()).find((i) => i.id === id) ?? null,
    all,
    close: async () => {
      const violations = [...hs.violations];
      await hs.close();
      expect(violations).toEqual([]);
    },
  };
}

async function pipedriveHarness(): Promise<CrmHarness> {
  const pd = await startPipedriveDouble();
  const { env, connector, connection } = await connectPipedrive(pd);
  const writes: CrmWrite[] = [];
  const open = () => connector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  const all = async () => (await open().listChanges(null, { from: '2000-01-01T00:00:00Z', to: null })).upserts;
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    provider: counting(open(), writes),
    writes,
    // Pipedrive has no archive state: an imported activity whose event is deleted stays as it is.
    canArchive: false,
    async addContact(email, name) {
      const acme = pd.addOrganization('Acme');
      return { contactId: `person:${pd.addPerson({ name, email, orgId: acme })}`, companyId: `organization:${acme}` };
    },
    async create(subject, startH, invitees) {
      pd.advance(1000);
      const start = new Date(iso(hours(startH)));
      return `activity:${pd.addActivity({
        subject,
        type: 'meeting',
        owner_id: pd.users[0]!.id,
        due_date: start.toISOString().slice(0, 10),
        due_time: `${pad(start.getUTCHours())}:${pad(start.getUTCMinutes())}`,
        duration: '01:00',
        attendees: invitees.map((email) => ({ email })),
      })}`;
    },
    rename: async (id, subject) => {
      pd.advance(1000);
      pd.updateActivity(Number(id.split(':')[1]), { subject });
    },
    remove: async (id) => {
      pd.advance(1000);
      pd.deleteActivity(Number(id.split(':')[1]));
    },
    get: async (id) => (await all()).find((i) => i.id === id) ?? null,
    all,
    close: async () => {
      const violations = [...pd.violations];
      await pd.close();
      expect(violations).toEqual([]);
    },
  };
}

async function zohoHarness(): Promise<CrmHarness> {
  const zd = await startZohoDouble();
  const { env, connector, connection } = await connectZoho(zd);
  const writes: CrmWrite[] = [];
  const open = () => connector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  const all = async () => (await open().listChanges(null, { from: '2000-01-01T00:00:00Z', to: null })).upserts;
  const zTime = (d: Date) => `${d.toISOString().slice(0, 19)}+00:00`;
  return {
    provider: counting(open(), writes),
    writes,
    // Zoho has no archive state: an imported activity whose event is deleted stays as it is.
    canArchive: false,
    async addContact(email, name) {
      const acme = zd.insert('Accounts', { Account_Name: 'Acme' });
      const [first, last] = name.split(' ');
      const id = zd.insert('Contacts', {
        First_Name: first,
        Last_Name: last,
        Email: email,
        Account_Name: { id: acme },
      });
      return { contactId: `contact:${id}`, companyId: `account:${acme}` };
    },
    async create(subject, startH, invitees) {
      zd.advance(1000);
      const start = new Date(iso(hours(startH)));
      const contacts = zd.all('Contacts');
      return `Events:${zd.insert('Events', {
        Event_Title: subject,
        Start_DateTime: zTime(start),
        End_DateTime: zTime(new Date(start.getTime() + 3_600_000)),
        All_day: false,
        Owner: { id: zd.users[0]!.id, name: 'Sally' },
        Participants: invitees.map((email) => {
          const c = contacts.find((x) => String(x['Email']).toLowerCase() === email);
          return c ? { type: 'contact', participant: c.id } : { type: 'email', participant: email };
        }),
      })}`;
    },
    rename: async (id, subject) => {
      zd.advance(1000);
      zd.update('Events', id.split(':')[1]!, { Event_Title: subject });
    },
    remove: async (id) => {
      zd.advance(1000);
      zd.remove('Events', id.split(':')[1]!);
    },
    get: async (id) => (await all()).find((i) => i.id === id) ?? null,
    all,
    close: async () => {
      const violations = [...zd.violations];
      const invitations = zd.invitationsSent;
      await zd.close();
      expect(violations).toEqual([]);
      expect(invitations).toBe(0);
    },
  };
}

describe.each([
  ['Sandbox CRM', sandboxHarness],
  ['SuiteCRM', suiteCrmHarness],
  ['Salesforce', salesforceHarness],
  ['Dynamics 365', dynamicsHarness],
  ['HubSpot', hubspotHarness],
  ['Pipedrive', pipedriveHarness],
  ['Zoho CRM', zohoHarness],
])('engine scenarios with %s', (_name, makeHarness) => {
  let h: CrmHarness;
  let cal: MemoryCalendar;
  let ctx: EngineContext;
  let runNo = 0;
  beforeEach(async () => {
    h = await makeHarness();
    cal = new MemoryCalendar({ userEmail: USER, now: clock });
    ctx = engineContext(h.provider, cal);
  });
  afterEach(() => h.close());
  const run = async (): Promise<RunReport> => {
    const r = await runSync(ctx, { runId: `r${++runNo}`, trigger: 'manual' });
    expect(r.errors).toEqual([]);
    return r;
  };
  const writesOf = async (fn: () => Promise<unknown>) => {
    const crmBefore = h.writes.length;
    const calBefore = cal.writeLog.length;
    await fn();
    return { crm: h.writes.length - crmBefore, calendar: cal.writeLog.length - calBefore };
  };

  test('CRM → calendar: create, idempotent re-run, edit, delete', async () => {
    await h.addContact('ann@acme.example', 'Ann Smith');
    const id = await h.create('Kick-off', 48, ['ann@acme.example']);
    const r1 = await run();
    expect(r1.calendar.created).toBe(1);
    const [event] = cal.all().filter((e) => e.crmTag === id);
    expect(event?.fields.subject).toBe('Kick-off');
    expect(await writesOf(run)).toEqual({ crm: 0, calendar: 0 });

    await h.rename(id, 'Kick-off (moved)');
    await run();
    expect(cal.all().find((e) => e.crmTag === id)?.fields.subject).toBe('Kick-off (moved)');
    expect(await writesOf(run)).toEqual({ crm: 0, calendar: 0 });

    await h.remove(id);
    const r4 = await run();
    expect(r4.calendar.deleted).toBe(1);
    expect(cal.all().filter((e) => e.crmTag === id)).toEqual([]);
    expect(await writesOf(run)).toEqual({ crm: 0, calendar: 0 });
  });

  test('one activity per meeting: the mirror’s iCalUId is written back once; colleagues find the CRM-born activity', async () => {
    const id = await h.create('Board meeting', 30, ['max@corp.example']);
    const crmWrites = await writesOf(run);
    const event = cal.all().find((e) => e.crmTag === id)!;
    expect(h.writes.filter((w) => w.op === 'set-ical-uid')).toEqual([
      { op: 'set-ical-uid', id, iCalUId: event.iCalUId },
    ]);
    expect(crmWrites.crm).toBe(1);
    // Listed back with the event's iCalUId and still CRM-born (vendor CRMs keep it with a prefix).
    expect(await h.get(id)).toMatchObject({ iCalUId: event.iCalUId, origin: 'crm' });
    // What a colleague's connector does with the invitation copy: the tenant-wide lookup finds this activity.
    expect((await h.provider.findByICalUId([event.iCalUId])).map((i) => i.id)).toEqual([id]);
    expect(await writesOf(run)).toEqual({ crm: 0, calendar: 0 });
  });

  test('calendar → CRM: import linked to the contact and company, edits flow back, no duplicates, deletion archives', async () => {
    const { contactId, companyId } = await h.addContact('ann@acme.example', 'Ann Smith');
    const start = iso(hours(72));
    const end = iso(hours(73));
    const ev = cal.userCreate('primary', {
      fields: {
        subject: 'Demo',
        timing: { kind: 'timed', start, end, timeZone: 'Europe/Berlin' },
        body: 'Show the product',
        location: 'Teams',
        visibility: 'normal',
        showAs: 'busy',
        attendees: [{ email: 'Ann@Acme.example', name: 'Ann Smith' }],
        recurrence: null,
        reminderMinutes: 15,
      },
    });
    const r1 = await run();
    expect(r1.crm.created).toBe(1);
    const imported = (await h.all()).filter((i) => i.iCalUId === ev.iCalUId);
    expect(imported).toHaveLength(1);
    expect(imported[0]).toMatchObject({
      fields: { subject: 'Demo' },
      links: { contactIds: [contactId], companyIds: [companyId] },
    });
    expect(await writesOf(run)).toEqual({ crm: 0, calendar: 0 });

    cal.userUpdate(ev.id, { subject: 'Demo v2' });
    await run();
    expect((await h.get(imported[0]!.id))?.fields.subject).toBe('Demo v2');
    expect(await writesOf(run)).toEqual({ crm: 0, calendar: 0 });

    cal.userDelete(ev.id);
    await run();
    const after = await h.get(imported[0]!.id);
    expect(after?.archived).toBe(h.canArchive);
    expect((await h.all()).filter((i) => i.iCalUId === ev.iCalUId)).toHaveLength(1);
  });
});

describe.each([
  ['HubSpot', hubspotHarness],
  ['Pipedrive', pipedriveHarness],
])('engine with %s (no recurrence in its API): a series becomes one activity per occurrence', (_name, makeHarness) => {
  test('a weekly calendar series of four is written as four activities, each at its own time; then nothing', async () => {
    const h = await makeHarness();
    try {
      const cal = new MemoryCalendar({ userEmail: USER, now: clock });
      const ctx = engineContext(h.provider, cal);
      expect(h.provider.capabilities.recurrence).toBe(false);
      cal.userCreate('primary', {
        fields: {
          subject: 'Weekly sync',
          timing: {
            kind: 'timed',
            start: '2026-11-23T09:00:00.000Z',
            end: '2026-11-23T09:30:00.000Z',
            timeZone: 'UTC',
          },
          body: '',
          location: '',
          visibility: 'normal',
          showAs: 'busy',
          attendees: [{ email: 'ann@acme.example' }],
          recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=4', exdates: [] },
          reminderMinutes: null,
        },
      });
      const r = await runSync(ctx, { runId: 'series-1', trigger: 'manual' });
      expect(r.errors).toEqual([]);
      expect(r.crm.created).toBe(4);
      const listed = await h.provider.listChanges(null, { from: '2026-11-01T00:00:00.000Z', to: null });
      const starts = listed.upserts
        .filter((i) => i.fields.subject === 'Weekly sync')
        .map((i) => {
          const t = i.fields.timing;
          return t?.kind === 'timed' ? t.start : '';
        })
        .sort();
      expect(starts).toEqual([
        '2026-11-23T09:00:00.000Z',
        '2026-11-30T09:00:00.000Z',
        '2026-12-07T09:00:00.000Z',
        '2026-12-14T09:00:00.000Z',
      ]);
      expect(listed.upserts.every((i) => i.fields.recurrence === null)).toBe(true);
      const before = h.writes.length;
      const again = await runSync(ctx, { runId: 'series-2', trigger: 'manual' });
      expect(again.errors).toEqual([]);
      expect(h.writes.length).toBe(before);
    } finally {
      await h.close();
    }
  });
});

describe('engine with Zoho CRM: meeting series as one Event with Recurring_Activity', () => {
  const rrule = 'FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;UNTIL=20270125T090000Z';
  const setup = async () => {
    const zd = await startZohoDouble();
    const { env, connector, connection } = await connectZoho(zd);
    const crm = connector.open(connection, env, { saveSecrets: () => Promise.resolve() });
    const cal = new MemoryCalendar({ userEmail: USER, now: clock });
    const ctx = engineContext(crm, cal);
    const run = async () => {
      const r = await runSync(ctx, { runId: `z${Math.random()}`, trigger: 'manual' });
      expect(r.errors).toEqual([]);
      return r;
    };
    const close = async () => {
      const violations = [...zd.violations];
      await zd.close();
      expect(violations).toEqual([]);
    };
    return { zd, cal, run, close };
  };

  test('a weekly calendar series becomes one Zoho event with Recurring_Activity, not one record per occurrence', async () => {
    const { zd, cal, run, close } = await setup();
    try {
      cal.userCreate('primary', {
        fields: {
          subject: 'Weekly sync',
          timing: {
            kind: 'timed',
            start: '2026-11-23T09:00:00.000Z',
            end: '2026-11-23T09:30:00.000Z',
            timeZone: 'UTC',
          },
          body: '',
          location: '',
          visibility: 'normal',
          showAs: 'busy',
          attendees: [{ email: 'ann@acme.example' }],
          recurrence: { rrule, exdates: ['2026-12-28T09:00:00.000Z'] },
          reminderMinutes: null,
        },
      });
      const r = await run();
      expect(r.crm.created).toBe(1);
      const events = zd.all('Events');
      expect(events).toHaveLength(1);
      expect(events[0]!['Recurring_Activity']).toEqual({
        RRULE: 'FREQ=WEEKLY;BYDAY=MO;INTERVAL=1;UNTIL=2027-01-25;DTSTART=2026-11-23',
        EXDATE: '2026-12-28',
      });
      // Read back unchanged: nothing to write on the next run.
      const again = await run();
      expect(again.crm.created + again.crm.updated + again.calendar.created + again.calendar.updated).toBe(0);
    } finally {
      await close();
    }
  });

  test('a Zoho series becomes one calendar series', async () => {
    const { zd, cal, run, close } = await setup();
    try {
      zd.insert('Events', {
        Event_Title: 'Monthly review',
        Start_DateTime: '2026-12-01T14:00:00+00:00',
        End_DateTime: '2026-12-01T15:00:00+00:00',
        All_day: false,
        Owner: { id: zd.users[0]!.id, name: 'Sally' },
        Participants: [{ type: 'email', participant: 'max@corp.example' }],
        Recurring_Activity: { RRULE: 'FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=1;COUNT=6;DTSTART=2026-12-01' },
      });
      const r = await run();
      expect(r.calendar.created).toBe(1);
      const mirrors = cal.all().filter((e) => e.crmTag);
      expect(mirrors).toHaveLength(1);
      expect(mirrors[0]!.fields.recurrence).toEqual({
        // (The engine's canonical form: parts sorted.)
        rrule: 'BYMONTHDAY=1;COUNT=6;FREQ=MONTHLY;INTERVAL=1',
        exdates: [],
      });
      const again = await run();
      expect(again.crm.created + again.crm.updated + again.calendar.created + again.calendar.updated).toBe(0);
    } finally {
      await close();
    }
  });
});
