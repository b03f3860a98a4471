/**
 * The engine's model-based properties (SPEC §10 guarantees 1–7, test/support/engine-properties.ts) with real CRM
 * connectors on the CRM side: the Sandbox CRM over its SQLite store, Dynamics 365 and Salesforce over their
 * stateful API doubles. (SuiteCRM runs the engine's scenarios in engine-scenarios.test.ts; under the property
 * harness it cannot converge on what SuiteCRM has no field for — a task holds one contact — see docs/crm.md.)
 */
import { describeEngineProperties, type EngineWorld } from '../../support/engine-properties';
import { MemoryCalendar } from '../../../src/sync/testing';
import type { CalendarProvider } from '../../../src/sync/ports';
import { SandboxCrmProvider, type SandboxItemData } from '../../../src/providers/crm/sandbox';
import { openSandboxDb } from './sandbox/sandbox-support';
import type { CrmItem } from '../../../src/sync/model';
import { startSalesforceDouble } from '../../support/crm-doubles/salesforce';
import { connectDynamics, connectSalesforce } from '../../support/crm-doubles/connect';
import { salesforceConnector } from '../../../src/providers/crm/salesforce';
import { startDynamicsDouble, type DvRow } from '../../support/crm-doubles/dynamics';
import { startHubSpotDouble, type HsType } from '../../support/crm-doubles/hubspot/double';
import { connectHubSpot } from '../../support/crm-doubles/hubspot/connect';
import { startPipedriveDouble, type PdActivityRow } from '../../support/crm-doubles/pipedrive/double';
import { connectPipedrive } from '../../support/crm-doubles/pipedrive/connect';
import { startZohoDouble, type ZohoModuleName } from '../../support/crm-doubles/zoho/double';
import { connectZoho } from '../../support/crm-doubles/zoho/connect';
import { fixedClock, type Clock } from '../../../src/shared/clock';

const scale = Number(process.env.ENGINE_PROPERTY_RUNS ?? '1');
const everything = { from: '1970-01-01T00:00:00.000Z', to: null };

/** Where each world's clock starts: one clock for the CRM, the calendar and the engine. */
const worldStart = '2026-11-21T09:00:00.000Z';

function calendarSide(
  userEmail: string,
  clock: Clock,
): {
  calendar: CalendarProvider;
  calendarControl: EngineWorld['calendarControl'];
} {
  const calendar = new MemoryCalendar({ userEmail, now: clock });
  return {
    calendar,
    calendarControl: {
      create: async (calendarId, input) => calendar.userCreate(calendarId, input).id,
      update: async (id, patch) => void calendar.userUpdate(id, patch),
      cancel: async (id) => calendar.userCancel(id),
      delete: async (id) => calendar.userDelete(id),
      list: async (calendarId) => calendar.all(calendarId),
    },
  };
}

async function sandboxWorld(): Promise<EngineWorld> {
  const userEmail = 'me@example.com';
  // One second per read, so modification times order edits (most-recent-wins).
  const clock = fixedClock(worldStart, 1000);
  const { db, repoFor } = await openSandboxDb('sqlite::memory:', clock);
  const repo = repoFor({ tenantId: 'props', userEmail });
  const crm = new SandboxCrmProvider(repo, 'https://connector.example');
  return {
    crm,
    ...calendarSide(userEmail, clock),
    calendarId: 'primary',
    userEmail,
    now: new Date(worldStart),
    clock,
    crmControl: {
      async create(input) {
        const data: SandboxItemData = {
          type: input.type,
          ...input.fields,
          completed: input.completed ?? false,
          priority: 'normal',
          syncToCalendar: input.syncToCalendar,
          archived: false,
          iCalUId: null,
          origin: 'crm',
          occurrence: null,
          links: { contactIds: [], companyIds: [] },
        };
        const [item] = await repo.createItems([{ data }]);
        return item!.id;
      },
      update: async (id, patch) => void (await repo.updateItem(id, patch)),
      setFlag: async (id, value) => void (await repo.updateItem(id, { syncToCalendar: value })),
      archive: async (id) => void (await repo.updateItem(id, { archived: true })),
      delete: (id) => repo.deleteItem(id),
      list: async () => (await crm.listChanges(null, everything)).upserts,
    },
    cleanup: () => db.close(),
  };
}

/**
 * Dynamics 365 over its Dataverse Web API double. The control edits the double's tables as a user on the CRM's
 * forms would: appointments for meetings, phone calls for calls, tasks for tasks. Dataverse has no follow-up or
 * note activity the connector reads, so a note is entered as a task without a due date (out of scope either way), and
 * a follow-up as an appointment. A phone call has no location column (the provider says so in
 * `capabilities.missingFields`, and the engine leaves that field alone); there is no private flag and no
 * Sync-to-calendar field, so
 * `setFlag` changes nothing (the connector reports `syncFlagField: false`).
 */
async function dynamicsWorld(): Promise<EngineWorld> {
  const clock = fixedClock(worldStart, 1000);
  const dv = await startDynamicsDouble({ now: clock });
  const userEmail = dv.users[0]!.email;
  const { env, connector, connection } = await connectDynamics(dv);
  const crm = connector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  // Ground truth is read through a separate connection, so its delta links never touch the engine's cursor.
  const reader = connector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  const where = (id: string): { set: string; guid: string } => {
    const [type, guid] = id.split(':') as [string, string];
    return { set: `${type}s`, guid };
  };
  const timingColumns = (set: string, t: CrmItem['fields']['timing']): DvRow => {
    if (!t) return set === 'tasks' ? { scheduledend: null } : {};
    if (t.kind !== 'timed') throw new Error('the harness generates timed activities only');
    return set === 'tasks'
      ? { scheduledend: new Date(t.start).toISOString() }
      : {
          scheduledstart: new Date(t.start).toISOString(),
          scheduledend: new Date(t.end).toISOString(),
          ...(set === 'appointments' ? { isalldayevent: false } : {}),
        };
  };
  const partiesOf = (set: string, attendees: { email: string }[]) =>
    attendees.map((a) => {
      const email = a.email.trim().toLowerCase();
      const c = dv.all('contacts').find((r) => String(r['emailaddress1']).toLowerCase() === email);
      return {
        type: c ? 'contact' : null,
        id: c ? String(c['contactid']) : null,
        email,
        mask: set === 'phonecalls' ? 2 : 5,
      };
    });
  return {
    crm,
    ...calendarSide(userEmail, clock),
    calendarId: 'primary',
    userEmail,
    now: new Date(worldStart),
    clock,
    crmControl: {
      async create(input) {
        const set =
          input.type === 'task' || input.type === 'note'
            ? 'tasks'
            : input.type === 'call'
              ? 'phonecalls'
              : 'appointments';
        const f = input.fields;
        const guid = dv.insert(set, {
          subject: f.subject,
          description: f.body,
          ...(set === 'appointments' ? { location: f.location } : {}),
          ...timingColumns(set, input.type === 'note' ? null : f.timing),
          statecode: set === 'appointments' ? 3 : input.completed ? 1 : 0,
          _ownerid_value: dv.users[0]!.id,
        });
        if (set !== 'tasks') dv.replaceParties(set, guid, partiesOf(set, f.attendees));
        return `${set.slice(0, -1)}:${guid}`;
      },
      async update(id, patch) {
        const { set, guid } = where(id);
        const cols: DvRow = {};
        if (patch.subject !== undefined) cols['subject'] = patch.subject;
        if (patch.body !== undefined) cols['description'] = patch.body;
        if (patch.location !== undefined && set === 'appointments') cols['location'] = patch.location;
        if (patch.timing !== undefined) Object.assign(cols, timingColumns(set, patch.timing));
        if (patch.completed !== undefined && set === 'tasks') cols['statecode'] = patch.completed ? 1 : 0;
        if (Object.keys(cols).length) dv.update(set, guid, cols);
        if (patch.attendees && set !== 'tasks') dv.replaceParties(set, guid, partiesOf(set, patch.attendees));
      },
      setFlag: async () => undefined,
      archive: async (id) => {
        const { set, guid } = where(id);
        dv.update(set, guid, { statecode: 2 });
      },
      delete: async (id) => {
        const { set, guid } = where(id);
        dv.remove(set, guid);
      },
      list: async () => (await reader.listChanges(null, everything)).upserts,
    },
    cleanup: () => dv.close(),
  };
}

async function salesforceWorld(): Promise<EngineWorld> {
  const sf = await startSalesforceDouble();
  // The double's clock is the world's: each read moves it one second, so modification times order edits.
  const clock: Clock = () => {
    sf.advance(1000);
    return sf.now();
  };
  const userEmail = sf.users[0]!.email;
  const { env, connection } = await connectSalesforce(sf, { syncFlagField: 'CrmSync_Sync__c' });
  const crm = salesforceConnector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  const reader = salesforceConnector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  const sfDate = (d: string) => new Date(d).toISOString().replace('Z', '+0000');
  for (let i = 0; i < 5; i += 1)
    sf.insert('Contact', { FirstName: 'Guest', LastName: String(i), Email: `guest${i}@client.test` });
  const contactOf = (email: string) =>
    sf.all('Contact').find((c) => String(c['Email']).toLowerCase() === email.trim().toLowerCase());
  const typeOf = (id: string) => (id.startsWith('00T') ? 'Task' : 'Event');
  const timingFields = (type: string, t: CrmItem['fields']['timing']): Record<string, unknown> => {
    if (!t || t.kind !== 'timed') return type === 'Task' ? { ActivityDate: null } : {};
    return type === 'Task'
      ? { ActivityDate: new Date(t.start).toISOString().slice(0, 10) }
      : { StartDateTime: sfDate(t.start), EndDateTime: sfDate(t.end), IsAllDayEvent: false };
  };
  const setInvitees = (eventId: string, attendees: { email: string }[]) => {
    for (const r of sf.all('EventRelation')) if (r['EventId'] === eventId) sf.remove('EventRelation', String(r['Id']));
    for (const a of attendees) {
      const c = contactOf(a.email);
      if (c) sf.insert('EventRelation', { EventId: eventId, RelationId: c['Id'], IsInvitee: true });
    }
  };
  const tick = () => sf.advance(1000);
  const remove = (id: string) => {
    tick();
    sf.remove(typeOf(id), id);
    // getDeleted needs the window's end a minute after its start.
    sf.advance(2 * 60_000);
  };
  return {
    crm,
    ...calendarSide(userEmail, clock),
    calendarId: 'primary',
    userEmail,
    now: sf.now(),
    clock,
    crmControl: {
      async create(input) {
        tick();
        // Every generated activity is entered as an Event: a Salesforce Task's due date (ActivityDate) has no
        // time of day and a Task no location, so a task event the user moves to 08:00 or gives a room can never
        // converge (reported, see docs/crm.md). Notes have no activity of their own either.
        const type: 'Event' | 'Task' = 'Event';
        const f = input.fields;
        const id = sf.insert(type, {
          Subject: f.subject,
          Description: f.body,
          OwnerId: sf.users[0]!.id,
          CrmSync_Sync__c: input.syncToCalendar,
          ...timingFields(type, input.type === 'note' ? null : f.timing),
          ...(type === 'Event'
            ? {
                Location: f.location,
                IsPrivate: f.visibility === 'private',
                IsReminderSet: false,
                Type: input.type === 'call' ? 'Call' : 'Meeting',
              }
            : { Status: input.completed ? 'Completed' : 'Not Started', Priority: 'Normal' }),
        });
        if (type === 'Event') setInvitees(id, f.attendees);
        return id;
      },
      async update(id, patch) {
        tick();
        const type = typeOf(id);
        const cols: Record<string, unknown> = {};
        if (patch.subject !== undefined) cols['Subject'] = patch.subject;
        if (patch.body !== undefined) cols['Description'] = patch.body;
        if (patch.location !== undefined && type === 'Event') cols['Location'] = patch.location;
        if (patch.timing !== undefined) Object.assign(cols, timingFields(type, patch.timing));
        if (patch.completed !== undefined && type === 'Task')
          cols['Status'] = patch.completed ? 'Completed' : 'Not Started';
        if (patch.attendees && type === 'Event') setInvitees(id, patch.attendees);
        sf.update(type, id, cols);
      },
      setFlag: async (id, value) => {
        tick();
        sf.update(typeOf(id), id, { CrmSync_Sync__c: value });
      },
      // Salesforce archives activities itself (IsArchived, a year after); a user who is done with one deletes it.
      archive: async (id) => remove(id),
      delete: async (id) => remove(id),
      list: async () => (await reader.listChanges(null, everything)).upserts,
    },
    cleanup: () => sf.close(),
  };
}

/**
 * HubSpot over its CRM v3 / associations v4 double (every request and answer checked against HubSpot's OpenAPI
 * files). The control edits the double as a user in HubSpot would: meetings (follow-ups too), calls and tasks owned
 * by the user, guests as contacts associated with the activity, the Sync-to-calendar flag a checkbox property,
 * "archive" a cancelled outcome / status, "delete" HubSpot's delete (the recycle bin). A note is a task without a
 * due date (never synced). HubSpot has no private flag: private edits change nothing.
 */
async function hubspotWorld(): Promise<EngineWorld> {
  const hs = await startHubSpotDouble();
  for (const t of ['meetings', 'calls', 'tasks'] as const) hs.defineProperty(t, 'crm_sync_to_calendar');
  const guests = Array.from({ length: 5 }, (_, i) =>
    hs.insert('contacts', { email: `guest${i}@client.test`, firstname: 'Guest', lastname: String(i) }),
  );
  const userEmail = hs.users[0]!.email;
  const { env, connector, connection } = await connectHubSpot(hs, { syncFlagProperty: 'crm_sync_to_calendar' });
  const crm = connector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  const reader = connector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  const where = (id: string): { type: HsType; hsId: string } => {
    const [kind, hsId] = id.split(':') as [string, string];
    return { type: `${kind}s` as HsType, hsId };
  };
  const contactIds = (attendees: { email: string }[]) =>
    attendees.flatMap((a) => {
      const i = guests.findIndex((_, k) => `guest${k}@client.test` === a.email.trim().toLowerCase());
      return i >= 0 ? [guests[i]!] : [];
    });
  const timingProps = (type: HsType, t: CrmItem['fields']['timing']): Record<string, string> => {
    if (!t) return type === 'tasks' ? { hs_timestamp: '' } : {};
    if (t.kind !== 'timed') throw new Error('the harness generates timed activities only');
    const start = new Date(t.start).toISOString();
    if (type === 'tasks') return { hs_timestamp: start };
    if (type === 'calls')
      return { hs_timestamp: start, hs_call_duration: String(Date.parse(t.end) - Date.parse(t.start)) };
    return { hs_timestamp: start, hs_meeting_start_time: start, hs_meeting_end_time: new Date(t.end).toISOString() };
  };
  const tick = () => hs.advance(1000);
  const problems = () => {
    if (hs.violations.length) throw new Error(`HubSpot contract violations: ${hs.violations.slice(0, 3).join('; ')}`);
  };
  // The double's clock is the world's: each read moves it one second, so modification times order edits.
  const clock: Clock = () => {
    hs.advance(1000);
    return hs.now();
  };
  return {
    crm,
    ...calendarSide(userEmail, clock),
    calendarId: 'primary',
    userEmail,
    now: hs.now(),
    clock,
    crmControl: {
      async create(input) {
        tick();
        const type: HsType =
          input.type === 'task' || input.type === 'note' ? 'tasks' : input.type === 'call' ? 'calls' : 'meetings';
        const f = input.fields;
        const props: Record<string, string> = {
          ...timingProps(type, input.type === 'note' ? null : f.timing),
          hubspot_owner_id: hs.users[0]!.ownerId,
          ...(input.syncToCalendar === null ? {} : { crm_sync_to_calendar: String(input.syncToCalendar) }),
        };
        if (type === 'meetings')
          Object.assign(props, {
            hs_meeting_title: f.subject,
            hs_meeting_body: f.body,
            hs_meeting_location: f.location,
            hs_meeting_outcome: 'SCHEDULED',
          });
        else if (type === 'calls') Object.assign(props, { hs_call_title: f.subject, hs_call_body: f.body });
        else
          Object.assign(props, {
            hs_task_subject: f.subject,
            hs_task_body: f.body,
            hs_task_status: input.completed ? 'COMPLETED' : 'NOT_STARTED',
          });
        const id = hs.insert(type, props);
        hs.associate(type, id, 'contacts', contactIds(f.attendees));
        return `${type.slice(0, -1)}:${id}`;
      },
      async update(id, patch) {
        tick();
        const { type, hsId } = where(id);
        const props: Record<string, string> = {};
        const names = {
          meetings: ['hs_meeting_title', 'hs_meeting_body'],
          calls: ['hs_call_title', 'hs_call_body'],
          tasks: ['hs_task_subject', 'hs_task_body'],
        }[type as 'meetings' | 'calls' | 'tasks'];
        if (patch.subject !== undefined) props[names[0]!] = patch.subject;
        if (patch.body !== undefined) props[names[1]!] = patch.body;
        if (patch.location !== undefined && type === 'meetings') props['hs_meeting_location'] = patch.location;
        if (patch.timing !== undefined) Object.assign(props, timingProps(type, patch.timing));
        if (patch.completed !== undefined && type === 'tasks')
          props['hs_task_status'] = patch.completed ? 'COMPLETED' : 'NOT_STARTED';
        hs.update(type, hsId, props);
        if (patch.attendees) hs.setContacts(type, hsId, contactIds(patch.attendees));
      },
      setFlag: async (id, value) => {
        tick();
        const { type, hsId } = where(id);
        hs.update(type, hsId, { crm_sync_to_calendar: String(value) });
      },
      archive: async (id) => {
        tick();
        const { type, hsId } = where(id);
        const status = { meetings: 'hs_meeting_outcome', calls: 'hs_call_status', tasks: 'hs_task_status' }[
          type as 'meetings' | 'calls' | 'tasks'
        ];
        hs.update(type, hsId, { [status]: type === 'tasks' ? 'DEFERRED' : 'CANCELED' });
      },
      delete: async (id) => {
        tick();
        const { type, hsId } = where(id);
        hs.archive(type, hsId);
      },
      list: async () => {
        problems();
        return (await reader.listChanges(null, everything)).upserts;
      },
    },
    cleanup: async () => {
      const violations = [...hs.violations];
      await hs.close();
      if (violations.length) throw new Error(`HubSpot contract violations: ${violations.slice(0, 3).join('; ')}`);
    },
  };
}

/**
 * Pipedrive over its API v2 double (strict OpenAPI contract). The control edits activities as a Pipedrive user
 * would: meetings, calls, follow-ups (the account's follow-up type) and tasks owned by the user, guests as attendees
 * (with their persons as participants), `done` for completed tasks. Pipedrive has no archive state and no
 * Sync-to-calendar field: a user "archive" is a delete, and flag edits change nothing. A note is a task without a
 * due date (never synced); the private flag does not exist either.
 */
async function pipedriveWorld(): Promise<EngineWorld> {
  const pd = await startPipedriveDouble();
  const guests = Array.from({ length: 5 }, (_, i) =>
    pd.addPerson({ name: `Guest ${i}`, email: `guest${i}@client.test` }),
  );
  const userEmail = pd.users[0]!.email;
  const { env, connector, connection } = await connectPipedrive(pd);
  const crm = connector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  const reader = connector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  const idOf = (id: string) => Number(id.split(':')[1]);
  const pad = (n: number) => String(n).padStart(2, '0');
  const timingCols = (type: string, t: CrmItem['fields']['timing']): Partial<PdActivityRow> => {
    if (!t) return { due_date: undefined, due_time: undefined, duration: undefined };
    if (t.kind !== 'timed') throw new Error('the harness generates timed activities only');
    const s = new Date(t.start);
    const minutes = type === 'task' ? 0 : Math.round((Date.parse(t.end) - s.getTime()) / 60_000);
    return {
      due_date: s.toISOString().slice(0, 10),
      due_time: `${pad(s.getUTCHours())}:${pad(s.getUTCMinutes())}`,
      duration: `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`,
    };
  };
  const people = (attendees: { email: string; name?: string }[]) => {
    const list = attendees.map((a) => {
      const email = a.email.trim().toLowerCase();
      const k = guests.findIndex((_, i) => `guest${i}@client.test` === email);
      return { email, ...(a.name ? { name: a.name } : {}), ...(k >= 0 ? { person_id: guests[k]! } : {}) };
    });
    const participants = list.flatMap((a, i) => (a.person_id ? [{ person_id: a.person_id, primary: i === 0 }] : []));
    return { attendees: list, participants };
  };
  const tick = () => pd.advance(1000);
  const remove = async (id: string) => {
    tick();
    pd.deleteActivity(idOf(id));
  };
  // The double's clock is the world's: each read moves it one second, so modification times order edits.
  const clock: Clock = () => {
    pd.advance(1000);
    return pd.now();
  };
  return {
    crm,
    ...calendarSide(userEmail, clock),
    calendarId: 'primary',
    userEmail,
    now: pd.now(),
    clock,
    crmControl: {
      async create(input) {
        tick();
        const type =
          input.type === 'note' || input.type === 'task'
            ? 'task'
            : input.type === 'follow-up'
              ? 'follow_up'
              : input.type;
        const f = input.fields;
        return `activity:${pd.addActivity({
          subject: f.subject,
          type,
          owner_id: pd.users[0]!.id,
          note: f.body,
          ...(f.location ? { location: { value: f.location } } : {}),
          ...timingCols(type, input.type === 'note' ? null : f.timing),
          done: input.completed ?? false,
          ...people(f.attendees),
        })}`;
      },
      async update(id, patch) {
        tick();
        const row = pd.activity(idOf(id))!;
        const cols: Partial<PdActivityRow> = {};
        if (patch.subject !== undefined) cols.subject = patch.subject;
        if (patch.body !== undefined)
          cols.note = patch.body + (/\n*crm-sync-uid: \S+\s*$/.exec(row.note ?? '')?.[0] ?? '');
        if (patch.location !== undefined) cols.location = patch.location ? { value: patch.location } : undefined;
        if (patch.timing !== undefined) Object.assign(cols, timingCols(row.type, patch.timing));
        if (patch.completed !== undefined) cols.done = patch.completed;
        if (patch.attendees) Object.assign(cols, people(patch.attendees));
        pd.updateActivity(idOf(id), cols);
      },
      setFlag: async () => undefined,
      archive: remove,
      delete: remove,
      list: async () => {
        if (pd.violations.length)
          throw new Error(`Pipedrive contract violations: ${pd.violations.slice(0, 3).join('; ')}`);
        return (await reader.listChanges(null, everything)).upserts;
      },
    },
    cleanup: async () => {
      const violations = [...pd.violations];
      await pd.close();
      if (violations.length) throw new Error(`Pipedrive contract violations: ${violations.slice(0, 3).join('; ')}`);
    },
  };
}

/**
 * Zoho CRM over its v8 double (OpenAPI slice + standard field names). The control edits records as a Zoho user
 * would: meetings and follow-ups as Events (guests as contact participants), calls as Calls. As with Salesforce,
 * tasks are entered as Events: a Zoho task's `Due_Date` has no time of day, so a task event moved to 08:00 could
 * never converge (see docs/crm.md). A note is a task without a due date (never synced). Zoho has no archive state
 * (a user "archive" is a delete) and no private flag; the Sync-to-calendar flag is the `CrmSync_Sync` checkbox.
 */
async function zohoWorld(): Promise<EngineWorld> {
  const zd = await startZohoDouble();
  zd.addField('CrmSync_Sync');
  const guests = Array.from({ length: 5 }, (_, i) =>
    zd.insert('Contacts', { First_Name: 'Guest', Last_Name: String(i), Email: `guest${i}@client.test` }),
  );
  const userEmail = zd.users[0]!.email;
  const owner = { id: zd.users[0]!.id, name: 'Sally' };
  const { env, connector, connection } = await connectZoho(zd, { syncFlagField: 'CrmSync_Sync' });
  const crm = connector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  const reader = connector.open(connection, env, { saveSecrets: () => Promise.resolve() });
  const where = (id: string) => {
    const [module, zid] = id.split(':') as [ZohoModuleName, string];
    return { module, zid };
  };
  const zTime = (iso: string) => `${new Date(iso).toISOString().slice(0, 19)}+00:00`;
  const timingCols = (module: ZohoModuleName, t: CrmItem['fields']['timing']): Record<string, unknown> => {
    if (!t) return module === 'Tasks' ? { Due_Date: null } : {};
    if (t.kind !== 'timed') throw new Error('the harness generates timed activities only');
    if (module === 'Calls') {
      const seconds = Math.round((Date.parse(t.end) - Date.parse(t.start)) / 1000);
      return {
        Call_Start_Time: zTime(t.start),
        Call_Duration: `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`,
      };
    }
    return { Start_DateTime: zTime(t.start), End_DateTime: zTime(t.end), All_day: false };
  };
  const participants = (attendees: { email: string }[]) =>
    attendees.map((a) => {
      const k = guests.findIndex((_, i) => `guest${i}@client.test` === a.email.trim().toLowerCase());
      return k >= 0
        ? { type: 'contact', participant: guests[k]! }
        : { type: 'email', participant: a.email.toLowerCase() };
    });
  const clock: Clock = () => {
    zd.advance(1000);
    return zd.now();
  };
  const tick = () => zd.advance(1000);
  const remove = async (id: string) => {
    tick();
    const { module, zid } = where(id);
    zd.remove(module, zid);
  };
  return {
    crm,
    ...calendarSide(userEmail, clock),
    calendarId: 'primary',
    userEmail,
    now: zd.now(),
    clock,
    crmControl: {
      async create(input) {
        tick();
        const module: ZohoModuleName = input.type === 'note' ? 'Tasks' : input.type === 'call' ? 'Calls' : 'Events';
        const f = input.fields;
        const cols: Record<string, unknown> = {
          Description: f.body,
          Owner: owner,
          ...(input.syncToCalendar === null ? {} : { CrmSync_Sync: input.syncToCalendar }),
          ...timingCols(module, input.type === 'note' ? null : f.timing),
        };
        if (module === 'Events')
          Object.assign(cols, { Event_Title: f.subject, Venue: f.location, Participants: participants(f.attendees) });
        else Object.assign(cols, { Subject: f.subject, ...(module === 'Tasks' ? { Status: 'Not Started' } : {}) });
        return `${module}:${zd.insert(module, cols)}`;
      },
      async update(id, patch) {
        tick();
        const { module, zid } = where(id);
        const cols: Record<string, unknown> = {};
        if (patch.subject !== undefined) cols[module === 'Events' ? 'Event_Title' : 'Subject'] = patch.subject;
        if (patch.body !== undefined) cols['Description'] = patch.body;
        if (patch.location !== undefined && module === 'Events') cols['Venue'] = patch.location;
        if (patch.timing !== undefined) Object.assign(cols, timingCols(module, patch.timing));
        if (patch.completed !== undefined && module === 'Tasks')
          cols['Status'] = patch.completed ? 'Completed' : 'Not Started';
        if (patch.attendees && module === 'Events') cols['Participants'] = participants(patch.attendees);
        zd.update(module, zid, cols);
      },
      setFlag: async (id, value) => {
        tick();
        const { module, zid } = where(id);
        zd.update(module, zid, { CrmSync_Sync: value });
      },
      archive: remove,
      delete: remove,
      list: async () => {
        if (zd.violations.length) throw new Error(`Zoho contract violations: ${zd.violations.slice(0, 3).join('; ')}`);
        if (zd.invitationsSent) throw new Error('a connector write made Zoho e-mail participants');
        return (await reader.listChanges(null, everything)).upserts;
      },
    },
    cleanup: async () => {
      const violations = [...zd.violations];
      await zd.close();
      if (violations.length) throw new Error(`Zoho contract violations: ${violations.slice(0, 3).join('; ')}`);
    },
  };
}

describeEngineProperties({
  name: 'Zoho CRM (v8 double, OpenAPI + standard fields)',
  numRuns: Math.round(25 * scale),
  makeWorld: zohoWorld,
  // Each listing of the control reads associations and e-mails too: give a loaded machine room.
  timeoutMs: 600_000,
});

describeEngineProperties({
  name: 'Pipedrive (API v2 double, strict OpenAPI contract)',
  numRuns: Math.round(25 * scale),
  makeWorld: pipedriveWorld,
  timeoutMs: 300_000,
});

describeEngineProperties({
  name: 'HubSpot (CRM v3 double, OpenAPI-checked)',
  numRuns: Math.round(25 * scale),
  makeWorld: hubspotWorld,
  // Each listing of the control reads associations and e-mails too: give a loaded machine room.
  timeoutMs: 600_000,
});

describeEngineProperties({
  name: 'Salesforce (REST API double)',
  numRuns: Math.round(25 * scale),
  makeWorld: salesforceWorld,
  timeoutMs: 300_000,
});

describeEngineProperties({
  name: 'Dynamics 365 (Dataverse Web API double)',
  numRuns: Math.round(25 * scale),
  makeWorld: dynamicsWorld,
  timeoutMs: 300_000,
});

describeEngineProperties({
  name: 'Sandbox CRM (SQLite)',
  numRuns: Math.round(60 * scale),
  makeWorld: sandboxWorld,
  timeoutMs: 300_000,
});
