import net from 'node:net';
import { createSafeFetch } from '../../../../src/providers/http';
import type { ProviderEnv, Secrets } from '../../../../src/providers/connector';
import { suiteCrmConnector } from '../../../../src/providers/crm/suitecrm';
import type { CrmProvider } from '../../../../src/sync/ports';
import type { CrmDraft } from '../../../../src/sync/model';
import { startSuiteCrmDouble, type SuiteCrmDouble } from '../../../support/crm-doubles/suitecrm';
import { systemClock } from '../../../../src/shared/clock';

const window = { from: '2030-01-01T00:00:00.000Z', to: null };

describe('SuiteCRM V8 connector', () => {
  let crm: SuiteCrmDouble;
  let env: ProviderEnv;
  let saved: Secrets[];
  beforeAll(async () => {
    crm = await startSuiteCrmDouble();
    const safeFetch = createSafeFetch({ allowedPrivateHosts: [crm.host] });
    env = {
      safeFetch,
      fetch: safeFetch,
      publicUrl: 'https://connector.example',
      graphBaseUrl: 'https://graph.invalid',
      now: systemClock,
    };
  });
  afterAll(() => crm.close());

  const connectAs = (fields: Record<string, string> = {}, method = 'password') =>
    suiteCrmConnector.connect!(
      {
        method,
        url: `${crm.url}/`,
        fields: {
          clientId: crm.clientId,
          clientSecret: crm.clientSecret,
          username: 'sally',
          password: 'sally-pass',
          ...fields,
        },
      },
      env,
    );
  const open = async (fields: Record<string, string> = {}): Promise<CrmProvider> => {
    const connection = await connectAs(fields);
    saved = [];
    return suiteCrmConnector.open(connection, env, {
      saveSecrets: async (s) => {
        saved.push(s);
      },
    });
  };

  describe('connect', () => {
    test('validates the input, naming the field', async () => {
      await expect(
        suiteCrmConnector.connect!({ method: 'password', url: null, fields: {} }, env),
      ).rejects.toMatchObject({ reason: 'invalid-input', field: 'url' });
      await expect(
        suiteCrmConnector.connect!({ method: 'password', url: crm.url, fields: { clientId: 'x' } }, env),
      ).rejects.toMatchObject({ field: 'fields.clientSecret' });
      await expect(
        suiteCrmConnector.connect!(
          { method: 'password', url: crm.url, fields: { clientId: 'x', clientSecret: 'y', username: 'u' } },
          env,
        ),
      ).rejects.toMatchObject({ field: 'fields.password' });
      await expect(
        suiteCrmConnector.connect!({ method: 'oauth', url: crm.url, fields: {} }, env),
      ).rejects.toMatchObject({ field: 'method' });
      await expect(connectAs({ syncFlagField: 'drop table;' })).rejects.toMatchObject({
        field: 'fields.syncFlagField',
      });
    });

    test('refuses private addresses unless allow-listed, and plain http to public hosts', async () => {
      const strict = { ...env, safeFetch: createSafeFetch({ allowedPrivateHosts: [] }) };
      await expect(
        suiteCrmConnector.connect!(
          { method: 'client-credentials', url: crm.url, fields: { clientId: 'a', clientSecret: 'b' } },
          strict,
        ),
      ).rejects.toMatchObject({ reason: 'blocked-url', field: 'url', message: expect.stringMatching(/not allowed/) });
      // Plain http to a public name: that is what https would fix.
      await expect(
        suiteCrmConnector.connect!(
          { method: 'client-credentials', url: 'http://crm.invalid/', fields: { clientId: 'a', clientSecret: 'b' } },
          strict,
        ),
      ).rejects.toMatchObject({ reason: 'bad-url', message: expect.stringMatching(/https:\/\//) });
      await expect(
        suiteCrmConnector.connect!(
          { method: 'client-credentials', url: 'https://127.0.0.1:1/', fields: { clientId: 'a', clientSecret: 'b' } },
          strict,
        ),
      ).rejects.toMatchObject({ reason: 'blocked-url' });
      await expect(
        suiteCrmConnector.connect!(
          { method: 'client-credentials', url: 'not a url', fields: { clientId: 'a', clientSecret: 'b' } },
          env,
        ),
      ).rejects.toMatchObject({ reason: 'bad-url' });
    });

    test('maps failures to clear reasons: unauthorized, missing permission, nothing there, unreachable', async () => {
      await expect(connectAs({ password: 'wrong' })).rejects.toMatchObject({
        reason: 'unauthorized',
        field: 'fields.password',
      });
      await expect(connectAs({ clientSecret: 'wrong' }, 'client-credentials')).rejects.toMatchObject({
        reason: 'unauthorized',
        field: 'fields.clientSecret',
      });
      await expect(
        suiteCrmConnector.connect!(
          {
            method: 'client-credentials',
            url: `${crm.url}/nothing-here`,
            fields: { clientId: crm.clientId, clientSecret: crm.clientSecret },
          },
          env,
        ),
      ).rejects.toMatchObject({ reason: 'bad-url' });
      await expect(connectAs({ username: 'nobody', password: 'x' })).rejects.toMatchObject({ reason: 'unauthorized' });
      const port = await new Promise<number>((resolve) => {
        const srv = net.createServer().listen(0, '127.0.0.1', () => {
          const { port: p } = srv.address() as net.AddressInfo;
          srv.close(() => resolve(p));
        });
      });
      const closed = { ...env, safeFetch: createSafeFetch({ allowedPrivateHosts: [`127.0.0.1:${port}`] }) };
      await expect(
        suiteCrmConnector.connect!(
          {
            method: 'client-credentials',
            url: `http://127.0.0.1:${port}`,
            fields: { clientId: 'a', clientSecret: 'b' },
          },
          closed,
        ),
      ).rejects.toMatchObject({ reason: 'unreachable' });
    });

    test('a good connection stores the tokens and the user, never talks to the pane about secrets', async () => {
      const c = await connectAs();
      expect(c).toMatchObject({ account: `sally @ ${crm.host}`, url: crm.url, expiresAt: null });
      expect(c.secrets).toMatchObject({
        grant: 'password',
        userId: crm.users[0]!.id,
        userEmail: 'sally@corp.example',
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
      });
      const cc = await connectAs({}, 'client-credentials');
      expect(cc.secrets['grant']).toBe('client_credentials');
    });

    test('an account without access to Meetings is a missing permission', async () => {
      const denied = await startSuiteCrmDouble();
      denied.denyModule('Meetings');
      const e2 = { ...env, safeFetch: createSafeFetch({ allowedPrivateHosts: [denied.host] }) };
      await expect(
        suiteCrmConnector.connect!(
          {
            method: 'client-credentials',
            url: denied.url,
            fields: { clientId: denied.clientId, clientSecret: denied.clientSecret },
          },
          e2,
        ),
      ).rejects.toMatchObject({ reason: 'missing-permission' });
      await denied.close();
    });
  });

  describe('provider', () => {
    let acme: string;
    let ann: string;
    let lee: string;
    beforeAll(() => {
      acme = crm.seed('Accounts', { name: 'Acme' });
      ann = crm.seed('Contacts', {
        first_name: 'Ann',
        last_name: 'Smith',
        email1: 'Ann@Acme.example',
        account_id: acme,
      });
      lee = crm.seed('Leads', { first_name: 'Lee', last_name: 'Jones', email1: 'lee@lead.example' });
      crm.seed('Contacts', { first_name: 'Other', last_name: 'Tenant', email1: '' });
    });

    test('people lookup by a batch of e-mails: case-insensitive, contacts with their company, leads', async () => {
      const p = await open();
      expect(await p.lookupPeople(['ANN@acme.example', 'lee@LEAD.example', 'none@x.example'])).toEqual([
        {
          email: 'ann@acme.example',
          contactId: `Contacts:${ann}`,
          kind: 'contact',
          name: 'Ann Smith',
          companyId: `Accounts:${acme}`,
        },
        { email: 'lee@lead.example', contactId: `Leads:${lee}`, kind: 'lead', name: 'Lee Jones', companyId: null },
      ]);
    });

    test('full listing: the user’s meetings, calls and tasks in the window, with invitees and company', async () => {
      const m = crm.seed('Meetings', {
        name: 'Review',
        date_start: '2030-03-04 09:00:00',
        date_end: '2030-03-04 10:00:00',
        description: 'Agenda',
        location: 'Room 1',
        status: 'Planned',
        reminder_time: 900,
        parent_type: 'Accounts',
        parent_id: acme,
        assigned_user_id: crm.users[0]!.id,
      });
      crm.relate('Meetings', m, 'contacts', ann);
      crm.relate('Meetings', m, 'leads', lee);
      crm.seed('Meetings', {
        name: 'Old',
        date_start: '2029-01-01 09:00:00',
        date_end: '2029-01-01 10:00:00',
        assigned_user_id: crm.users[0]!.id,
      });
      crm.seed('Meetings', {
        name: 'Max’s',
        date_start: '2030-03-04 09:00:00',
        date_end: '2030-03-04 10:00:00',
        assigned_user_id: crm.users[1]!.id,
      });
      crm.seed('Calls', {
        name: 'Call',
        date_start: '2030-03-05 09:00:00',
        date_end: '2030-03-05 09:15:00',
        status: 'Not Held',
        reminder_time: -1,
      });
      crm.seed('Tasks', {
        name: 'Offer',
        date_due: '2030-03-06 12:00:00',
        status: 'Completed',
        priority: 'High',
        contact_id: ann,
      });
      crm.seed('Tasks', { name: 'Someday', status: 'Not Started', priority: 'Low' });
      const p = await open();
      const res = await p.listChanges(null, window);
      expect(res.full).toBe(true);
      expect(res.upserts.map((i) => i.fields.subject).sort()).toEqual(['Call', 'Offer', 'Review', 'Someday']);
      const review = res.upserts.find((i) => i.fields.subject === 'Review')!;
      expect(review).toMatchObject({
        id: `Meetings:${m}`,
        type: 'meeting',
        fields: {
          timing: {
            kind: 'timed',
            start: '2030-03-04T09:00:00.000Z',
            end: '2030-03-04T10:00:00.000Z',
            timeZone: 'UTC',
          },
          body: 'Agenda',
          location: 'Room 1',
          reminderMinutes: 15,
          attendees: [
            { email: 'ann@acme.example', name: 'Ann Smith' },
            { email: 'lee@lead.example', name: 'Lee Jones' },
          ],
        },
        links: { contactIds: [`Contacts:${ann}`, `Leads:${lee}`], companyIds: [`Accounts:${acme}`] },
        archived: false,
        origin: 'crm',
        syncToCalendar: null,
        ownerEmails: ['sally@corp.example'],
        url: `${crm.url}/index.php?module=Meetings&action=DetailView&record=${m}`,
      });
      expect(res.upserts.find((i) => i.fields.subject === 'Call')).toMatchObject({
        type: 'call',
        archived: true,
        fields: { reminderMinutes: null },
      });
      expect(res.upserts.find((i) => i.fields.subject === 'Offer')).toMatchObject({
        type: 'task',
        completed: true,
        priority: 'high',
        fields: {
          timing: { kind: 'timed', start: '2030-03-06T12:00:00.000Z', end: '2030-03-06T12:00:00.000Z' },
          showAs: 'free',
        },
      });
      expect(res.upserts.find((i) => i.fields.subject === 'Someday')?.fields.timing).toBeNull();

      // Incremental: changes within the same minute as the cursor are seen again (overlap), edits and deletions are.
      crm.advance(30_000);
      crm.update('Meetings', m, { name: 'Review (moved)' });
      const tasks = crm.all('Tasks');
      crm.remove('Tasks', tasks[0]!.id);
      const inc = await p.listChanges(res.nextCursor, window);
      expect(inc.full).toBe(false);
      expect(inc.upserts.map((i) => i.fields.subject)).toContain('Review (moved)');
      expect(inc.removedIds).toEqual([`Tasks:${tasks[0]!.id}`]);
      crm.advance(5 * 60_000);
      const later = await p.listChanges(inc.nextCursor, window);
      // Repeats from the one-minute overlap are allowed; a changed record is never missed.
      crm.advance(20_000);
      crm.update('Meetings', m, { location: 'Room 9' });
      const again = await p.listChanges(later.nextCursor, window);
      expect(again.upserts.find((i) => i.id === `Meetings:${m}`)?.fields.location).toBe('Room 9');
    });

    test('a listing filter: rejected items are left out as the pages are hydrated, each listed item asked once', async () => {
      // 101 tasks (no relationships to read) make the Tasks listing two pages of 100.
      const tasks = Array.from({ length: 101 }, (_, n) =>
        crm.seed('Tasks', { name: `Chore ${n}`, status: 'Not Started' }),
      );
      const p = await open();
      const all = await p.listChanges(null, window);
      expect(all.upserts.length).toBeGreaterThan(102);
      const rejected = new Set(all.upserts.filter((_, n) => n % 3 !== 1).map((i) => i.id));
      const asked: string[] = [];
      let firstAskAt = -1;
      const kept = await p.listChanges(null, window, (item) => {
        if (firstAskAt < 0) firstAskAt = crm.requests.length;
        asked.push(item.id);
        return !rejected.has(item.id);
      });
      expect(asked.sort()).toEqual(all.upserts.map((i) => i.id).sort());
      expect(kept.upserts).toEqual(all.upserts.filter((i) => !rejected.has(i.id)));
      // The cursor still follows everything listed.
      expect(kept).toMatchObject({ full: true, removedIds: [], nextCursor: all.nextCursor });
      // Filtering began before the listing's last request (the Meetings are filtered before the Calls are read).
      expect(firstAskAt).toBeGreaterThan(0);
      expect(firstAskAt).toBeLessThan(crm.requests.length);
      for (const t of tasks) crm.remove('Tasks', t);
    });

    test('writes: create with iCalUId, invitee relationships and company; no duplicate on retry; If-Match update; archive', async () => {
      const p = await open();
      const draft: CrmDraft = {
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
          reminderMinutes: 10,
        },
        iCalUId: 'ical-123',
        syncToCalendar: true,
        links: { contactIds: [`Contacts:${ann}`], companyIds: [`Accounts:${acme}`] },
      };
      const [created, retried] = await p.writeItems([
        { op: 'create', idempotencyKey: 'k1', draft },
        { op: 'create', idempotencyKey: 'k1', draft },
      ]);
      expect(created).toMatchObject({
        ok: true,
        value: {
          type: 'meeting',
          iCalUId: 'ical-123',
          origin: 'calendar',
          fields: {
            subject: 'Imported',
            location: 'Teams',
            reminderMinutes: 10,
            attendees: [{ email: 'ann@acme.example', name: 'Ann Smith' }],
          },
          links: { contactIds: [`Contacts:${ann}`], companyIds: [`Accounts:${acme}`] },
        },
      });
      const item = created!.ok ? created!.value! : null;
      expect(retried!.ok && retried!.value!.id).toBe(item!.id);
      const raw = crm.get('Meetings', item!.id.split(':')[1]!)!;
      expect(raw).toMatchObject({
        date_start: '2030-04-01 13:00:00',
        date_end: '2030-04-01 14:30:00',
        duration_hours: 1,
        duration_minutes: 30,
        outlook_id: 'ical-123',
        assigned_user_id: crm.users[0]!.id,
      });
      expect(await p.findByICalUId(['ical-123'])).toHaveLength(1);

      const [upd] = await p.writeItems([
        {
          op: 'update',
          id: item!.id,
          ifMatch: item!.version,
          fields: { subject: 'Renamed' },
          links: { contactIds: [`Leads:${lee}`], companyIds: [] },
        },
      ]);
      expect(upd).toMatchObject({
        ok: true,
        value: {
          // Links are added; the existing ones stay.
          fields: { subject: 'Renamed', attendees: [{ email: 'ann@acme.example' }, { email: 'lee@lead.example' }] },
          links: { contactIds: [`Contacts:${ann}`, `Leads:${lee}`], companyIds: [`Accounts:${acme}`] },
        },
      });
      const [stale] = await p.writeItems([
        { op: 'update', id: item!.id, ifMatch: item!.version, fields: { subject: 'Lost' } },
      ]);
      expect(stale).toMatchObject({ ok: false, error: { kind: 'conflict' } });
      const [unarch, arch, flag, missing, bad] = await p.writeItems([
        { op: 'unarchive', id: item!.id },
        { op: 'archive', id: item!.id },
        { op: 'set-sync-flag', id: item!.id, value: false },
        { op: 'archive', id: 'Meetings:does-not-exist' },
        { op: 'archive', id: 'Opportunities:1' },
      ]);
      expect(unarch).toMatchObject({ ok: true, value: { archived: false } });
      expect(arch).toMatchObject({ ok: true, value: { archived: true } });
      expect(flag).toMatchObject({ ok: false, error: { kind: 'invalid' } });
      expect(missing).toMatchObject({ ok: false, error: { kind: 'not-found' } });
      expect(bad).toMatchObject({ ok: false, error: { kind: 'not-found' } });
    });

    test('a call keeps its location in the description; attendees follow the event; an archived activity is not reused', async () => {
      const p = await open();
      const draft: CrmDraft = {
        type: 'call',
        iCalUId: 'ical-call',
        syncToCalendar: true,
        links: { contactIds: [], companyIds: [] },
        fields: {
          subject: 'Call',
          timing: {
            kind: 'timed',
            start: '2030-06-01T09:00:00.000Z',
            end: '2030-06-01T09:30:00.000Z',
            timeZone: 'UTC',
          },
          body: 'Notes',
          location: 'Phone bridge',
          visibility: 'normal',
          showAs: 'busy',
          attendees: [],
          recurrence: null,
          reminderMinutes: null,
        },
      };
      const [call] = await p.writeItems([{ op: 'create', idempotencyKey: 'c', draft }]);
      expect(call).toMatchObject({
        ok: true,
        value: { type: 'call', fields: { body: 'Notes', location: 'Phone bridge' } },
      });
      const id = call!.ok ? call!.value!.id : '';
      expect(crm.get('Calls', id.split(':')[1]!)?.['description']).toBe('Notes\n[[location: Phone bridge]]');
      const [moved] = await p.writeItems([
        {
          op: 'update',
          id,
          ifMatch: null,
          fields: { location: 'Room 5', attendees: [{ email: 'ANN@acme.example' }, { email: 'stranger@x.example' }] },
        },
      ]);
      expect(moved).toMatchObject({
        ok: true,
        value: { fields: { body: 'Notes', location: 'Room 5', attendees: [{ email: 'ann@acme.example' }] } },
      });
      const [none] = await p.writeItems([{ op: 'update', id, ifMatch: null, fields: { attendees: [] } }]);
      expect(none).toMatchObject({ ok: true, value: { fields: { attendees: [] }, links: { contactIds: [] } } });
      await p.writeItems([{ op: 'archive', id }]);
      const [again] = await p.writeItems([{ op: 'create', idempotencyKey: 'c2', draft }]);
      expect(again!.ok && again!.value!.id).not.toBe(id);
    });

    test('the Sync-to-calendar flag in a custom field, tasks, all-day, add-owner, new contacts', async () => {
      const p = await open({ syncFlagField: 'sync_to_calendar_c' });
      expect(p.capabilities.syncFlagField).toBe(true);
      const base = {
        body: '',
        location: '',
        visibility: 'normal' as const,
        showAs: 'busy' as const,
        attendees: [],
        recurrence: null,
        reminderMinutes: null,
      };
      const [allDay, task] = await p.writeItems([
        {
          op: 'create',
          idempotencyKey: 'a',
          draft: {
            type: 'meeting',
            iCalUId: 'ical-allday',
            syncToCalendar: true,
            links: { contactIds: [], companyIds: [] },
            fields: {
              ...base,
              subject: 'Offsite',
              timing: { kind: 'all-day', startDate: '2030-05-01', endDate: '2030-05-03' },
            },
          },
        },
        {
          op: 'create',
          idempotencyKey: 'b',
          draft: {
            type: 'task',
            iCalUId: 'ical-task',
            syncToCalendar: false,
            links: { contactIds: [`Contacts:${ann}`], companyIds: [] },
            fields: {
              ...base,
              subject: 'Follow up',
              timing: {
                kind: 'timed',
                start: '2030-05-04T08:00:00.000Z',
                end: '2030-05-04T08:00:00.000Z',
                timeZone: 'UTC',
              },
            },
          },
        },
      ]);
      expect(allDay).toMatchObject({
        ok: true,
        value: {
          syncToCalendar: true,
          fields: { timing: { kind: 'all-day', startDate: '2030-05-01', endDate: '2030-05-03' } },
        },
      });
      expect(task).toMatchObject({
        ok: true,
        value: {
          type: 'task',
          syncToCalendar: false,
          completed: false,
          fields: { attendees: [{ email: 'ann@acme.example' }] },
        },
      });
      const id = allDay!.ok ? allDay!.value!.id : '';
      const [flag, owner] = await p.writeItems([
        { op: 'set-sync-flag', id, value: false },
        { op: 'add-owner', id, email: 'MAX@corp.example' },
      ]);
      expect(flag).toMatchObject({ ok: true, value: { syncToCalendar: false } });
      expect(owner).toMatchObject({ ok: true });
      expect(crm.related('Meetings', id.split(':')[1]!, 'users')).toEqual([crm.users[1]!.id]);

      const created = await p.createContact!({ email: 'New.Person@Startup.example', name: 'New Person' });
      expect(created).toMatchObject({ email: 'new.person@startup.example', kind: 'contact', name: 'New Person' });
      expect(crm.get('Contacts', created.contactId.split(':')[1]!)).toMatchObject({
        first_name: 'New',
        last_name: 'Person',
        email1: 'new.person@startup.example',
      });
      expect(await p.lookupPeople(['new.person@startup.example'])).toHaveLength(1);
    });

    test('set-ical-uid fills outlook_id of a meeting or call (tasks have none); colleagues find it', async () => {
      const p = await open();
      expect(p.capabilities.iCalUIdTypes).toEqual(['meeting', 'call']);
      const m = crm.seed('Meetings', {
        name: 'CRM-born',
        date_start: '2030-06-04 09:00:00',
        date_end: '2030-06-04 10:00:00',
        status: 'Planned',
        assigned_user_id: crm.users[0]!.id,
      });
      const t = crm.seed('Tasks', { name: 'Task', date_due: '2030-06-05 12:00:00', status: 'Not Started' });
      const modified = crm.get('Meetings', m)!.date_modified;
      crm.advance(60_000);
      const [r, bad] = await p.writeItems([
        { op: 'set-ical-uid', id: `Meetings:${m}`, iCalUId: 'uid-mirror@graph' },
        { op: 'set-ical-uid', id: `Tasks:${t}`, iCalUId: 'uid-task@graph' },
      ]);
      expect(r).toMatchObject({
        ok: true,
        value: { id: `Meetings:${m}`, iCalUId: 'uid-mirror@graph', origin: 'crm' },
      });
      expect(bad).toMatchObject({ ok: false, error: { kind: 'invalid' } });
      // Stored with the CRM-born prefix (an import's tag is the plain iCalUId): the listing still says CRM-born,
      // and SuiteCRM's Outlook plug-in, which correlates by outlook_id, leaves it alone.
      expect(crm.get('Meetings', m)).toMatchObject({ outlook_id: 'crm-born:uid-mirror@graph', name: 'CRM-born' });
      expect(crm.get('Meetings', m)!.date_modified).not.toBe(modified);
      expect(await p.findByICalUId(['uid-mirror@graph'])).toMatchObject([{ id: `Meetings:${m}`, origin: 'crm' }]);
      const listed = await p.listChanges(null, { from: '2030-01-01T00:00:00.000Z', to: null });
      expect(listed.upserts.find((i) => i.id === `Meetings:${m}`)).toMatchObject({
        iCalUId: 'uid-mirror@graph',
        origin: 'crm',
      });
    });

    test('rate limits and outages are transient errors with Retry-After; an expired token is refreshed and saved', async () => {
      const p = await open();
      crm.failNext({
        status: 429,
        headers: { 'retry-after': '7' },
        body: { errors: { status: 429, title: 'Too Many Requests', detail: 'slow down' } },
        pathIncludes: '/Api/V8/',
      });
      await expect(p.listChanges(null, window)).rejects.toMatchObject({
        kind: 'transient',
        retryAfterMs: 7000,
        status: 429,
      });
      crm.failNext({ status: 503, headers: { 'retry-after': '1' }, pathIncludes: '/Api/V8/module' });
      const [w] = await p.writeItems([{ op: 'archive', id: 'Meetings:whatever' }]);
      expect(w).toMatchObject({ ok: false, error: { kind: 'transient', retryAfterMs: 1000 } });

      crm.expireTokens();
      await p.listChanges(null, window);
      expect(saved.at(-1)).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String) });
      // Refresh token revoked too: the stored password grant gets a new token.
      crm.expireTokens();
      crm.revokeRefreshTokens();
      await p.listChanges(null, window);
      expect(saved.length).toBeGreaterThanOrEqual(2);
    });

    test('revoked client: an auth error, so the server pauses sync and asks to re-authorize', async () => {
      const connection = await connectAs({}, 'client-credentials');
      const p = suiteCrmConnector.open(
        { ...connection, secrets: { ...connection.secrets, clientSecret: 'revoked' } },
        env,
        { saveSecrets: () => Promise.resolve() },
      );
      crm.expireTokens();
      await expect(p.listChanges(null, window)).rejects.toMatchObject({ kind: 'auth' });
    });
  });
});
