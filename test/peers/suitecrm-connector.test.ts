/**
 * The SuiteCRM connector against a real SuiteCRM 7.14.6 (../shared/peers/suitecrm, started by global-setup):
 * connect and its failures, listings with the record types the server really renders, deletions, versions that
 * survive a list-vs-single-read comparison, module permissions, token expiry and revocation.
 */
import crypto from 'node:crypto';
import { createSafeFetch } from '../../src/providers/http';
import { systemClock } from '../../src/shared/clock';
import type { Connection, ProviderEnv } from '../../src/providers/connector';
import { suiteCrmConnector } from '../../src/providers/crm/suitecrm';
import type { CrmProvider } from '../../src/sync/ports';
import type { CrmItem } from '../../src/sync/model';
import { dbDate, SuiteCrmPeer, suiteCrmInstance } from '../support/suitecrm-peer';

const instance = suiteCrmInstance();
const maybe = instance ? describe : describe.skip;
if (!instance) test.skip('skipped: ../shared/peers/suitecrm not present', () => undefined);

/** Addresses unique to this run: an instance kept for development keeps the contacts of earlier runs. */
const tag = crypto.randomBytes(3).toString('hex');
const window = { from: '2035-01-01T00:00:00.000Z', to: null };
const at = (day: number, hour: number) => new Date(Date.UTC(2035, 2, day, hour));

maybe('SuiteCRM connector against a real SuiteCRM 7.14.6', () => {
  let peer: SuiteCrmPeer;
  let env: ProviderEnv;
  let sallyId: string;
  const saved: Record<string, string>[] = [];
  const password = 'Sally-Pass-1';

  beforeAll(async () => {
    peer = new SuiteCrmPeer(instance!);
    const safeFetch = createSafeFetch({ allowedPrivateHosts: [peer.host] });
    env = {
      safeFetch,
      fetch: safeFetch,
      publicUrl: 'https://connector.example',
      graphBaseUrl: 'https://graph.invalid',
      now: systemClock,
    };
    sallyId = await peer.createUser('sally', password, { email: 'sally@corp.example' });
  }, 60_000);

  const connectAs = (fields: Record<string, string> = {}, method = 'password', e: ProviderEnv = env) =>
    suiteCrmConnector.connect!(
      {
        method,
        url: peer.url,
        userEmail: 'sally@corp.example',
        fields: {
          clientId: method === 'password' ? instance!.passwordClient.id : instance!.credentialsClient.id,
          clientSecret: method === 'password' ? instance!.passwordClient.secret : instance!.credentialsClient.secret,
          ...(method === 'password' ? { username: 'sally', password } : {}),
          ...fields,
        },
      },
      e,
    );
  const open = (c: Connection): CrmProvider =>
    suiteCrmConnector.open(c, env, {
      saveSecrets: async (s) => {
        saved.push(s);
      },
    });

  describe('connect', () => {
    test('a wrong password or an unknown user is "unauthorized", and never echoes what SuiteCRM answered', async () => {
      // SuiteCRM answers both with HTTP 500 and the submitted password / user name in the message.
      const wrong = await connectAs({ password: 'Secret-Typo-42' }).catch((e: unknown) => e);
      expect(wrong).toMatchObject({ reason: 'unauthorized', field: 'fields.password' });
      expect(String((wrong as Error).message)).not.toMatch(/Secret-Typo-42|password is invalid/i);
      const unknown = await connectAs({ username: 'nobody-here', password: 'x' }).catch((e: unknown) => e);
      expect(unknown).toMatchObject({ reason: 'unauthorized' });
      expect(String((unknown as Error).message)).not.toMatch(/nobody-here|No user found/);
      await expect(
        connectAs({ clientSecret: 'wrong' }, 'client-credentials').catch((e: unknown) => e),
      ).resolves.toMatchObject({ reason: 'unauthorized', field: 'fields.clientSecret' });
    });

    test('plain http to a host that is not allow-listed is "not allowed", not "use https"', async () => {
      const strict = { ...env, safeFetch: createSafeFetch({ allowedPrivateHosts: [] }) };
      const e = await connectAs({}, 'password', strict).catch((x: unknown) => x);
      expect(e).toMatchObject({ reason: 'blocked-url', field: 'url' });
      expect((e as Error).message).toMatch(/not allowed/);
      expect((e as Error).message).not.toMatch(/https:\/\//);
    });

    test('a user whose role denies Calls cannot connect, and is told which modules are missing', async () => {
      await peer.createUser('nocalls', 'NoCalls-Pass-1', { email: 'nocalls@corp.example', denyModules: ['Calls'] });
      const e = await connectAs({ username: 'nocalls', password: 'NoCalls-Pass-1' }).catch((x: unknown) => x);
      expect(e).toMatchObject({ reason: 'missing-permission' });
      expect((e as Error).message).toMatch(/Calls/);
      expect((e as Error).message).not.toMatch(/Meetings|Tasks|Contacts/);
    });

    test('access to a module taken away later fails the run with a forbidden error naming it (no SuiteCRM text)', async () => {
      await peer.createUser(`latedeny${tag}`, 'Late-Pass-1', { email: 'late@corp.example' });
      const c = await connectAs({ username: `latedeny${tag}`, password: 'Late-Pass-1' });
      await peer.createUser(`latedeny${tag}`, 'Late-Pass-1', { denyModules: ['Calls'] });
      const e = await open(c)
        .listChanges(null, window)
        .catch((x: unknown) => x);
      expect(e).toMatchObject({ kind: 'forbidden', message: expect.stringMatching(/access to Calls/) });
      expect((e as Error).message).not.toMatch(/AccessDeniedException/);
    });

    test('a good connection stores tokens and the CRM user', async () => {
      const c = await connectAs();
      expect(c.account).toBe(`sally @ ${peer.host}`);
      expect(c.secrets).toMatchObject({ grant: 'password', userId: sallyId, userEmail: 'sally@corp.example' });
    });
  });

  describe('provider', () => {
    let p: CrmProvider;
    let annId: string;
    let acmeId: string;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      p = open(await connectAs());
      acmeId = await peer.create('Accounts', { name: 'Acme Peer' });
      annId = await peer.create('Contacts', {
        first_name: 'Ann',
        last_name: 'Peer',
        email1: `ann-${tag}@acme-peer.example`,
        account_id: acmeId,
      });
      const base = { assigned_user_id: sallyId, status: 'Planned' };
      ids['meeting'] = await peer.create('Meetings', {
        ...base,
        name: 'Peer meeting',
        date_start: dbDate(at(3, 9)),
        date_end: dbDate(at(3, 10)),
        duration_hours: 1,
        duration_minutes: 0,
        location: 'Room 1',
      });
      await peer.relate('Meetings', ids['meeting']!, 'contacts', 'Contacts', annId);
      ids['call'] = await peer.create('Calls', {
        ...base,
        name: 'Peer call',
        date_start: dbDate(at(4, 9)),
        date_end: dbDate(at(4, 9)).replace('09:00', '09:30'),
        duration_hours: 0,
        duration_minutes: 30,
        direction: 'Outbound',
      });
      ids['task'] = await peer.create('Tasks', {
        assigned_user_id: sallyId,
        status: 'Not Started',
        name: 'Peer task',
        date_due: dbDate(at(5, 12)),
        priority: 'High',
      });
    }, 60_000);

    const byId = (items: CrmItem[], module: string, id: string) => items.find((i) => i.id === `${module}:${id}`);

    test('lists meetings, calls and tasks with their own types (SuiteCRM renders "Meeting", "Call", "Task")', async () => {
      const res = await p.listChanges(null, window);
      expect(byId(res.upserts, 'Meetings', ids['meeting']!)).toMatchObject({
        type: 'meeting',
        fields: {
          subject: 'Peer meeting',
          location: 'Room 1',
          timing: { kind: 'timed', start: '2035-03-03T09:00:00.000Z', end: '2035-03-03T10:00:00.000Z' },
          attendees: [{ email: `ann-${tag}@acme-peer.example`, name: 'Ann Peer' }],
        },
        ownerEmails: ['sally@corp.example'],
      });
      expect(byId(res.upserts, 'Calls', ids['call']!)).toMatchObject({
        type: 'call',
        fields: { subject: 'Peer call' },
      });
      expect(byId(res.upserts, 'Tasks', ids['task']!)).toMatchObject({
        type: 'task',
        priority: 'high',
        fields: { subject: 'Peer task' },
      });
    });

    test('an update with the listed version lands for meetings, calls and tasks (no false "changed meanwhile")', async () => {
      const res = await p.listChanges(null, window);
      for (const [module, key] of [
        ['Meetings', 'meeting'],
        ['Calls', 'call'],
        ['Tasks', 'task'],
      ] as const) {
        const item = byId(res.upserts, module, ids[key]!)!;
        const [r] = await p.writeItems([
          { op: 'update', id: item.id, ifMatch: item.version, fields: { subject: `${item.fields.subject} (edited)` } },
        ]);
        expect(r).toMatchObject({ ok: true, value: { fields: { subject: `${item.fields.subject} (edited)` } } });
        expect((await peer.get(module, ids[key]!)).attributes['name']).toBe(`${item.fields.subject} (edited)`);
      }
    });

    test('a record deleted in SuiteCRM is reported removed, and later listings keep working', async () => {
      const first = await p.listChanges(null, window);
      const gone = await peer.create('Meetings', {
        assigned_user_id: sallyId,
        name: 'To delete',
        date_start: dbDate(at(6, 9)),
        date_end: dbDate(at(6, 10)),
        status: 'Planned',
      });
      await peer.remove('Meetings', gone);
      const other = await peer.create('Calls', {
        assigned_user_id: sallyId,
        name: 'Also deleted',
        date_start: dbDate(at(6, 11)),
        date_end: dbDate(at(6, 12)),
        status: 'Planned',
      });
      await peer.remove('Calls', other);
      const inc = await p.listChanges(first.nextCursor, window);
      expect(inc.full).toBe(false);
      expect(inc.removedIds).toEqual(expect.arrayContaining([`Meetings:${gone}`, `Calls:${other}`]));
      // The deleted rows stay in SuiteCRM's tables: the next incremental listing must still work.
      await peer.update('Meetings', ids['meeting']!, { location: 'Room 2' });
      const again = await p.listChanges(inc.nextCursor, window);
      expect(byId(again.upserts, 'Meetings', ids['meeting']!)?.fields.location).toBe('Room 2');
    });

    test('imports: create with links, invitees as contact relationships, add-owner of my own activity', async () => {
      const [created] = await p.writeItems([
        {
          op: 'create',
          idempotencyKey: 'peer-1',
          draft: {
            type: 'meeting',
            iCalUId: `peer-ical-${tag}@example`,
            syncToCalendar: true,
            links: { contactIds: [`Contacts:${annId}`], companyIds: [`Accounts:${acmeId}`] },
            fields: {
              subject: 'Imported from the calendar',
              timing: {
                kind: 'timed',
                start: '2035-03-07T13:00:00.000Z',
                end: '2035-03-07T14:30:00.000Z',
                timeZone: 'UTC',
              },
              body: 'Agenda',
              location: 'Teams',
              visibility: 'normal',
              showAs: 'busy',
              attendees: [{ email: `ann-${tag}@acme-peer.example` }],
              recurrence: null,
              reminderMinutes: 15,
            },
          },
        },
      ]);
      expect(created).toMatchObject({
        ok: true,
        value: {
          type: 'meeting',
          origin: 'calendar',
          links: { contactIds: [`Contacts:${annId}`], companyIds: [`Accounts:${acmeId}`] },
          fields: { timing: { start: '2035-03-07T13:00:00.000Z', end: '2035-03-07T14:30:00.000Z' } },
        },
      });
      const id = created!.ok ? created!.value!.id : '';
      const raw = await peer.get('Meetings', id.split(':')[1]!);
      expect(raw.attributes).toMatchObject({
        parent_type: 'Accounts',
        parent_id: acmeId,
        outlook_id: `peer-ical-${tag}@example`,
        date_start: '2035-03-07T13:00:00+00:00',
        assigned_user_id: sallyId,
      });
      expect(await peer.related('Meetings', id.split(':')[1]!, 'contacts')).toEqual([annId]);
      const [owner] = await p.writeItems([{ op: 'add-owner', id, email: 'sally@corp.example' }]);
      expect(owner).toMatchObject({ ok: true });
    });

    test('an activity of a SuiteCRM user without an e-mail is still theirs (no impossible "add owner")', async () => {
      // The admin has no e-mail address in SuiteCRM; the connector's user is known by the mailbox it connected from.
      const admin = await suiteCrmConnector.connect!(
        {
          method: 'password',
          url: peer.url,
          userEmail: 'admin.mailbox@corp.example',
          fields: {
            clientId: instance!.passwordClient.id,
            clientSecret: instance!.passwordClient.secret,
            username: instance!.adminUser,
            password: instance!.adminPassword,
          },
        },
        env,
      );
      const a = open(admin);
      const mine = await peer.create('Meetings', {
        assigned_user_id: '1',
        name: 'Admin meeting',
        date_start: dbDate(at(8, 9)),
        date_end: dbDate(at(8, 10)),
        status: 'Planned',
      });
      const listed = byId((await a.listChanges(null, window)).upserts, 'Meetings', mine);
      expect(listed?.ownerEmails).toEqual(['admin.mailbox@corp.example']);
      const [owner] = await a.writeItems([
        { op: 'add-owner', id: `Meetings:${mine}`, email: 'admin.mailbox@corp.example' },
      ]);
      expect(owner).toMatchObject({ ok: true });
    });

    test('a few hundred tasks are listed across pages (the page size is 100)', async () => {
      const n = 250;
      const rows = Array.from({ length: n }, (_, i) => {
        const due = dbDate(new Date(at(20, 8).getTime() + i * 3_600_000));
        return `(UUID(),'Paged task ${tag} ${i}',UTC_TIMESTAMP(),UTC_TIMESTAMP(),'${sallyId}','1','1',0,'Not Started','${due}',0,'Medium')`;
      });
      peer.sql(
        `INSERT INTO tasks (id,name,date_entered,date_modified,assigned_user_id,created_by,modified_user_id,deleted,status,date_due,date_due_flag,priority) VALUES ${rows.join(',')}`,
      );
      const res = await p.listChanges(null, window);
      const paged = res.upserts.filter((i) => i.fields.subject.startsWith(`Paged task ${tag} `));
      expect(paged).toHaveLength(n);
      expect(new Set(paged.map((i) => i.id)).size).toBe(n);
      expect(paged.every((i) => i.type === 'task')).toBe(true);
    });

    test('an expired access token is refreshed; revoked tokens fall back to the stored password', async () => {
      const c = await connectAs();
      const q = open(c);
      await q.listChanges(null, window);
      saved.length = 0;
      peer.expireAccessTokens(sallyId);
      await q.listChanges(null, window);
      expect(saved.at(-1)).toMatchObject({ refreshToken: expect.any(String), accessToken: expect.any(String) });
      peer.revokeTokens(sallyId);
      await q.listChanges(null, window);
      expect(saved.length).toBeGreaterThanOrEqual(2);
    });

    test('a client-credentials connection whose secret was changed is an auth error (the server pauses and asks)', async () => {
      const c = await connectAs({}, 'client-credentials');
      const q = suiteCrmConnector.open({ ...c, secrets: { ...c.secrets, clientSecret: 'rotated' } }, env, {
        saveSecrets: () => Promise.resolve(),
      });
      peer.revokeTokens('1');
      await expect(q.listChanges(null, window)).rejects.toMatchObject({ kind: 'auth' });
    });
  });
});
