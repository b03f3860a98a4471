/**
 * What CalDAV writes cost, counted by the real servers (Radicale's request log, Xandikos' authenticating proxy): a run
 * with K changed CRM items sends K writes and at most 2 reads (the listing and one calendar-multiget for the stored
 * bodies the edits merge into), and the merge still keeps what another client wrote. Creates go several at a time and
 * stay idempotent; conflicts and partial failures come back per write.
 */
import { caldavConnector } from '../../../src/providers/calendar/caldav/connector';
import type { Connection } from '../../../src/providers/connector';
import type { EventDraft } from '../../../src/sync/model';
import { caldavServerKinds, startCalDavServer, type CalDavTestServer } from '../../support/caldav-server';
import { newCounter, testEnv } from './env';
import { makeWorld, meetingFields, setLine, USER } from './world';

describe.each(caldavServerKinds)('on %s', (kind) => {
  let server: CalDavTestServer;
  let connection: Connection;

  beforeAll(async () => {
    server = await startCalDavServer(kind, { alice: 'alice-app-password' }, { logRequests: true });
    connection = await caldavConnector.connect!(
      { method: 'app-password', url: server.origin, fields: { username: 'alice', password: 'alice-app-password' } },
      testEnv([server.hostPort]),
    );
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  /** Requests the server received while `fn` ran (Radicale logs a request just after answering it). */
  async function served<T>(fn: () => Promise<T>): Promise<{ value: T; requests: number }> {
    const before = server.requestCount();
    const value = await fn();
    await new Promise((r) => setTimeout(r, 300));
    return { value, requests: server.requestCount() - before };
  }

  it('10 changed CRM items: 10 PUTs and 2 reads for the whole run, other clients’ properties kept', async () => {
    const w = await makeWorld(server, connection);
    const ids = Array.from(
      { length: 30 },
      (_, i) =>
        w.crm.userCreate({
          type: 'meeting',
          fields: meetingFields({ subject: `Meeting ${i}` }, 48 + i),
          ownerEmails: [USER],
        }).id,
    );
    expect((await w.run()).calendar.created).toBe(30);
    // Another client adds its own properties to two of the events the CRM is about to change.
    const events = await w.raw.list();
    const changed = ids.slice(0, 10);
    const hrefOf = (crmId: string): string => {
      const ev = events.find((e) => new RegExp(`X-CRM-CONNECTOR-ID:${crmId}\r?\n`).test(e.ics));
      if (!ev) throw new Error(`no event for ${crmId}`);
      return ev.href;
    };
    for (const crmId of changed.slice(0, 2)) {
      const now = await w.raw.get(hrefOf(crmId));
      const ics = setLine(setLine(now.ics, 'X-OTHER-CLIENT-NOTE', 'keep me'), 'CATEGORIES', 'Customer');
      expect(await w.raw.put(hrefOf(crmId), ics, now.etag)).toBeLessThan(300);
    }
    await w.run(); // reads the other client's edits back: nothing to write
    const settled = await served(() => w.run());
    expect(settled.value.errors).toEqual([]);
    expect(settled.requests).toBeLessThanOrEqual(1); // the steady no-op: the listing alone

    for (const crmId of changed) w.crm.userUpdate(crmId, { subject: `Moved ${crmId}` });
    const writesBefore = w.counter.writes;
    const { value: report, requests } = await served(() => w.run());
    expect(report.errors).toEqual([]);
    expect(report.calendar.updated).toBe(10);
    expect(w.counter.writes - writesBefore).toBe(10);
    expect(requests).toBeLessThanOrEqual(12);

    for (const crmId of changed) expect((await w.raw.get(hrefOf(crmId))).ics).toContain(`SUMMARY:Moved ${crmId}`);
    for (const crmId of changed.slice(0, 2)) {
      const ics = (await w.raw.get(hrefOf(crmId))).ics;
      expect(ics).toContain('X-OTHER-CLIENT-NOTE:keep me');
      expect(ics).toContain('CATEGORIES:Customer');
    }
  }, 120_000);

  function draft(tag: string, subject = 'Review'): EventDraft {
    return {
      fields: meetingFields({ subject }),
      crmTag: tag,
      crmUrl: null,
      sendInvitations: false,
      priority: null,
    };
  }

  function open() {
    const counter = newCounter();
    const provider = caldavConnector.open(connection, testEnv([server.hostPort], counter), {
      saveSecrets: async () => {},
    });
    return { provider, counter };
  }

  it('creates several at a time, results in order; a retried batch creates nothing twice', async () => {
    const calendarId = await server.makeCalendar('alice', 'batch-creates');
    const writes = Array.from({ length: 12 }, (_, i) => ({
      op: 'create' as const,
      idempotencyKey: `batch-${i}`,
      draft: draft(`crm-${i}`, `Meeting ${i}`),
    }));
    const first = await open().provider.writeEvents(calendarId, writes);
    expect(first.map((r) => r.ok && r.value?.fields.subject)).toEqual(writes.map((_, i) => `Meeting ${i}`));
    // The same batch again (its answers lost): every create finds its own resource, none is written twice.
    const { provider, counter } = open();
    const again = await provider.writeEvents(calendarId, writes);
    expect(again.map((r) => r.ok && r.value?.id)).toEqual(first.map((r) => r.ok && r.value?.id));
    expect(counter.writes).toBe(12); // one refused If-None-Match PUT each
    const { provider: lister } = open();
    const listed = await lister.listChanges(calendarId, null, { from: '2020-01-01T00:00:00.000Z', to: null });
    expect(listed.upserts).toHaveLength(12);
  }, 60_000);

  it('after an auth failure the rest of the batch is not sent', async () => {
    const calendarId = await server.makeCalendar('alice', 'batch-auth');
    const counter = newCounter();
    const revoked = { ...connection, secrets: { ...connection.secrets, password: 'revoked-app-password' } };
    const provider = caldavConnector.open(revoked, testEnv([server.hostPort], counter), {
      saveSecrets: async () => {},
    });
    const results = await provider.writeEvents(
      calendarId,
      Array.from({ length: 20 }, (_, i) => ({
        op: 'create' as const,
        idempotencyKey: `auth-${i}`,
        draft: draft(`a-${i}`),
      })),
    );
    expect(results.map((r) => !r.ok && r.error.kind)).toEqual(Array.from({ length: 20 }, () => 'auth'));
    expect(counter.requests).toBeLessThanOrEqual(4); // those already in flight when the first 401 came back
  }, 60_000);

  it('edits of resources changed meanwhile fail as conflicts, each on its own, the others go through', async () => {
    const calendarId = await server.makeCalendar('alice', 'batch-conflicts');
    const created = await open().provider.writeEvents(
      calendarId,
      [0, 1, 2].map((i) => ({ op: 'create' as const, idempotencyKey: `conf-${i}`, draft: draft(`c-${i}`) })),
    );
    const events = created.map((r) => {
      if (!r.ok || !r.value) throw new Error('create failed');
      return r.value;
    });
    // Another client edits the second one after the engine last saw it.
    const auth = `Basic ${Buffer.from('alice:alice-app-password').toString('base64')}`;
    const href = events[1]!.id;
    const res = await fetch(`${server.origin}${href}`, { headers: { authorization: auth } });
    const theirs = setLine(await res.text(), 'SUMMARY', 'Theirs');
    const put = await fetch(`${server.origin}${href}`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'text/calendar', 'if-match': res.headers.get('etag') ?? '' },
      body: theirs,
    });
    expect(put.status).toBeLessThan(300);

    const { provider, counter } = open();
    const results = await provider.writeEvents(
      calendarId,
      events.map((e, i) => ({ op: 'update' as const, id: e.id, ifMatch: e.version, draft: draft(`c-${i}`, 'Ours') })),
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const failed = results[1]!;
    expect(!failed.ok && failed.error.kind).toBe('conflict');
    expect(counter.writes).toBe(2); // the changed one is not overwritten
    const after = await fetch(`${server.origin}${href}`, { headers: { authorization: auth } });
    expect(await after.text()).toContain('SUMMARY:Theirs');
  }, 60_000);
});
