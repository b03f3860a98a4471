import type { InjectOptions } from 'fastify';
import { apiRoutes, routeUrl, type RouteName } from '../../src/shared/api';
import { startHarness, type Harness } from './support/harness';
import { systemClock } from '../../src/shared/clock';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const ann = { tid: 'tenant-a', oid: 'oid-ann', email: 'ann@a.test' };
const ada = { tid: 'tenant-a', oid: 'oid-ada', email: 'ada@a.test', admin: true };
const bob = { tid: 'tenant-b', oid: 'oid-bob', email: 'bob@b.test', admin: true };

async function call(
  who: typeof ann | null,
  name: RouteName,
  opts: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
) {
  const def = apiRoutes[name];
  const qs = opts.query ? `?${new URLSearchParams(opts.query).toString()}` : '';
  const req: InjectOptions = {
    method: def.method,
    url: routeUrl(def.path, opts.params) + qs,
    headers: who ? { authorization: `Bearer ${await h.idp.token(who)}` } : {},
    ...(opts.body !== undefined ? { payload: opts.body as InjectOptions['payload'] } : {}),
  };
  const res = await h.app.inject(req);
  return { status: res.statusCode, body: res.body ? (res.json() as Record<string, unknown>) : {}, raw: res };
}

async function waitForRun(who: typeof ann, runId: string) {
  for (let i = 0; i < 500; i++) {
    const r = await call(who, 'getRun', { params: { runId } });
    if (r.status === 200) return r.body as { report: { status: string; calendar: { created: number } } };
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`run ${runId} never finished`);
}

async function connectBoth(who: typeof ann) {
  const crm = await call(who, 'connect', {
    params: { side: 'crm' },
    body: { provider: 'memcrm', method: 'token', fields: { account: who.email } },
  });
  expect(crm.status).toBe(201);
  const cal = await call(who, 'connect', {
    params: { side: 'calendar' },
    body: { provider: 'memcal', method: 'password', fields: { username: who.email, password: 'app-password-1' } },
  });
  expect(cal.status).toBe(201);
}

describe('me and providers', () => {
  it('answers who the token belongs to', async () => {
    const r = await call(ann, 'me');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ tenantId: 'tenant-a', email: 'ann@a.test', isAdmin: false });
  });

  it('lists the providers with their forms', async () => {
    const r = await call(ann, 'listProviders');
    expect(r.status).toBe(200);
    expect((r.body.calendar as { id: string }[]).map((p) => p.id)).toEqual(['memcal', 'mementra']);
    expect((r.body.crm as { id: string; available: boolean }[])[0]).toMatchObject({ id: 'memcrm', available: true });
  });
});

describe('connections', () => {
  it('tests credentials before saving and names the reason on failure', async () => {
    const bad = await call(ann, 'connect', {
      params: { side: 'calendar' },
      body: { provider: 'memcal', method: 'password', fields: { username: 'ann@a.test', password: 'wrong' } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ error: 'connection-failed', reason: 'unauthorized' });
    expect((await call(ann, 'listConnections')).body).toEqual({ crm: null, calendar: null });
  });

  it('names the missing or wrong field', async () => {
    const missing = await call(ann, 'connect', {
      params: { side: 'calendar' },
      body: { provider: 'memcal', method: 'password', fields: { username: 'ann@a.test' } },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.field).toBe('fields.password');
    const unknown = await call(ann, 'connect', { params: { side: 'crm' }, body: { provider: 'nope', method: 'x' } });
    expect(unknown.body.field).toBe('provider');
    const badUrl = await call(ann, 'connect', {
      params: { side: 'calendar' },
      body: { provider: 'memcal', method: 'password', url: 'not a url', fields: {} },
    });
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.field).toBe('url');
    const badSide = await call(ann, 'connect', { params: { side: 'mail' }, body: {} });
    expect(badSide.body.field).toBe('side');
  });

  it('connects, never returns secrets, lists and chooses calendars', async () => {
    await connectBoth(ann);
    const list = await call(ann, 'listConnections');
    expect(list.body.calendar).toMatchObject({ provider: 'memcal', status: 'connected', account: 'ann@a.test' });
    expect(list.raw.body).not.toContain('app-password-1');
    expect(list.raw.body).not.toContain('secret-token');
    const cals = await call(ann, 'listCalendars');
    expect(cals.body).toMatchObject({ targetCalendarId: 'primary', sourceCalendarIds: ['primary'] });
    const readOnly = await call(ann, 'chooseCalendars', {
      body: { targetCalendarId: 'holidays', sourceCalendarIds: ['primary'] },
    });
    expect(readOnly.status).toBe(400);
    expect(readOnly.body.field).toBe('targetCalendarId');
    const unknownSource = await call(ann, 'chooseCalendars', {
      body: { targetCalendarId: 'crm', sourceCalendarIds: ['primary', 'ghost'] },
    });
    expect(unknownSource.body.field).toBe('sourceCalendarIds.1');
    const ok = await call(ann, 'chooseCalendars', {
      body: { targetCalendarId: 'crm', sourceCalendarIds: ['primary'] },
    });
    expect(ok.status).toBe(200);
    expect((await call(ann, 'listCalendars')).body.targetCalendarId).toBe('crm');
  });

  it('tests a sign-in method without a form by opening the provider (no Graph token configured → unauthorized)', async () => {
    const r = await call(ann, 'connect', {
      params: { side: 'calendar' },
      body: { provider: 'mementra', method: 'entra' },
    });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ error: 'connection-failed', reason: 'unauthorized' });
  });

  it('runs OAuth with PKCE and a single-use state', async () => {
    const carl = { tid: 'tenant-a', oid: 'oid-carl', email: 'carl@a.test' };
    const start = await call(carl, 'oauthStart', {
      params: { side: 'calendar' },
      body: { provider: 'memcal', method: 'oauth' },
    });
    expect(start.status).toBe(200);
    const { state, authorizeUrl } = start.body as { state: string; authorizeUrl: string };
    expect(authorizeUrl).toContain('code_challenge=');
    const cb = await h.app.inject({ method: 'GET', url: `/api/v1/oauth/callback?state=${state}&code=carl` });
    expect(cb.statusCode).toBe(200);
    expect(cb.headers['content-type']).toContain('text/html');
    expect(cb.body).toContain('Connected as carl@oauth.test');
    expect((await call(carl, 'listConnections')).body.calendar).toMatchObject({ account: 'carl@oauth.test' });
    const replay = await h.app.inject({ method: 'GET', url: `/api/v1/oauth/callback?state=${state}&code=carl` });
    expect(replay.statusCode).toBe(400);
    const wrongMethod = await call(carl, 'oauthStart', {
      params: { side: 'calendar' },
      body: { provider: 'memcal', method: 'password' },
    });
    expect(wrongMethod.body.field).toBe('method');
  });

  it('hands the redirect’s data-centre parameters (Zoho’s location, accounts-server) to the connector', async () => {
    const eve = { tid: 'tenant-a', oid: 'oid-eve', email: 'eve@a.test' };
    const start = await call(eve, 'oauthStart', {
      params: { side: 'calendar' },
      body: { provider: 'memcal', method: 'oauth' },
    });
    const { state } = start.body as { state: string };
    const server = encodeURIComponent('https://accounts.zoho.eu');
    const cb = await h.app.inject({
      method: 'GET',
      url: `/api/v1/oauth/callback?state=${state}&code=eve&location=eu&accounts-server=${server}&other=dropped`,
    });
    expect(cb.statusCode).toBe(200);
    expect(h.world.callbackParams.at(-1)).toEqual({ location: 'eu', 'accounts-server': 'https://accounts.zoho.eu' });
  });

  it('says a refused OAuth sign-in in its own words, never the provider’s error_description', async () => {
    const dora = { tid: 'tenant-a', oid: 'oid-dora', email: 'dora@a.test' };
    const start = await call(dora, 'oauthStart', {
      params: { side: 'calendar' },
      body: { provider: 'memcal', method: 'oauth' },
    });
    const { state } = start.body as { state: string };
    const description = encodeURIComponent('Visit http://evil.test and enter your password Hunter2');
    const cb = await h.app.inject({
      method: 'GET',
      url: `/api/v1/oauth/callback?state=${state}&error=access_denied&error_description=${description}`,
    });
    expect(cb.body).toContain('the sign-in was cancelled or access was declined');
    expect(cb.body).not.toContain('evil.test');
    expect(cb.body).not.toContain('Hunter2');
  });
});

describe('settings and automatic sync', () => {
  it('shows each effective value with source and lock, and sets user overrides', async () => {
    const r = await call(ann, 'getSettings');
    expect(r.status).toBe(200);
    const details = r.body.details as { key: string; source: string; locked: boolean }[];
    expect(details.find((d) => d.key === 'direction')).toMatchObject({ source: 'default', locked: false });
    const put = await call(ann, 'updateSettings', { body: { set: { pastWindowDays: 7 } } });
    expect((put.body.settings as { pastWindowDays: number }).pastWindowDays).toBe(7);
    const bad = await call(ann, 'updateSettings', { body: { set: { direction: 'sideways' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('set.direction');
    const admin = await call(ann, 'updateSettings', { body: { set: { syncIntervalMinutes: 1 } } });
    expect(admin.body.field).toBe('set.syncIntervalMinutes');
  });

  it('turns automatic sync on and off', async () => {
    const on = await call(ann, 'setAutomaticSync', { body: { enabled: true } });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ automaticSync: true, paused: null });
    expect(on.body.nextRunAt).not.toBeNull();
    const off = await call(ann, 'setAutomaticSync', { body: { enabled: false } });
    expect(off.body).toMatchObject({ automaticSync: false, nextRunAt: null });
    const bad = await call(ann, 'setAutomaticSync', { body: { enabled: 'yes' } });
    expect(bad.body.field).toBe('enabled');
  });
});

describe('runs, preview, items, cleanup, reset', () => {
  it('syncs now, lists runs and shows one with its trail', async () => {
    const crm = h.world.crm('ann@a.test');
    // In the future of the server's clock (a fixed date would turn into the past one day, and nothing would sync).
    const at = new Date(h.runtime.clock().getTime() + 30 * 86_400_000);
    at.setUTCHours(9, 0, 0, 0);
    const item = crm.userCreate({
      type: 'meeting',
      syncToCalendar: true,
      fields: {
        subject: 'Quarterly review',
        timing: {
          kind: 'timed',
          start: at.toISOString(),
          end: new Date(at.getTime() + 3_600_000).toISOString(),
          timeZone: 'UTC',
        },
        body: '',
        location: '',
        visibility: 'normal',
        showAs: 'busy',
        attendees: [{ email: 'client@customer.test' }],
        recurrence: null,
        reminderMinutes: 15,
      },
    });
    const preview = await call(ann, 'previewRun');
    expect(preview.status).toBe(200);
    expect((preview.body.actions as { op: string }[]).some((a) => a.op === 'create')).toBe(true);
    expect(h.world.calendar('ann@a.test').all('crm')).toHaveLength(0);

    // Save settings previews with the proposed values (SPEC §4): calendar → CRM only pushes nothing to the calendar.
    const oneWay = await call(ann, 'previewRun', { body: { settings: { direction: 'calendar-to-crm' } } });
    expect(oneWay.status).toBe(200);
    const oneWayActions = oneWay.body.actions as { op: string; side: string }[];
    expect(oneWayActions.some((a) => a.side === 'calendar' && a.op === 'create')).toBe(false);
    const bad = await call(ann, 'previewRun', { body: { settings: { direction: 'sideways' } } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('settings.direction');
    // A preview stores nothing: the saved direction is unchanged.
    const saved = await call(ann, 'getSettings');
    expect((saved.body.settings as { direction: string }).direction).toBe('two-way');

    const start = await call(ann, 'startRun', { body: {} });
    expect(start.status).toBe(202);
    const runId = (start.body as { runId: string }).runId;
    const detail = await waitForRun(ann, runId);
    expect(detail.report.status).toBe('succeeded');
    expect(detail.report.calendar.created).toBe(1);
    const event = h.world.calendar('ann@a.test').all('crm')[0];
    expect(event?.crmTag).toBe(item.id);
    // History lines name their item (SPEC §7): the trail keeps the subject it was written with.
    const trail = (await call(ann, 'getRun', { params: { runId } })).body.trail as {
      subject?: string;
      reason: string;
    }[];
    expect(trail.length).toBeGreaterThan(0);
    expect(trail.every((t) => t.subject === 'Quarterly review')).toBe(true);

    const runs = await call(ann, 'listRuns', { query: { limit: '5' } });
    expect((runs.body.runs as { runId: string }[]).map((r) => r.runId)).toContain(runId);
    expect((await call(ann, 'listRuns', { query: { limit: '0' } })).body.field).toBe('limit');
    expect((await call(ann, 'getRun', { params: { runId: 'nope' } })).status).toBe(404);

    const byEvent = await call(ann, 'lookupItems', { query: { eventId: event!.id } });
    expect(byEvent.body.items).toEqual([
      expect.objectContaining({ crmId: item.id, subject: 'Quarterly review', linkedEventId: event!.id }),
    ]);
    // The pane sends Office.js's REST ids; a calendar that can resolve them (Graph) maps them to the event (or,
    // for an occurrence, its series master) the link holds.
    Object.assign(h.world.calendar('ann@a.test'), {
      resolveOutlookItem: (restId: string) =>
        Promise.resolve(
          restId === 'REST-occurrence' ? { id: 'occurrence-1', iCalUId: null, seriesMasterId: event!.id } : null,
        ),
    });
    const byRestId = await call(ann, 'lookupItems', {
      query: { eventId: 'REST-occurrence', seriesId: 'REST-series' },
    });
    expect(byRestId.body.items).toEqual([expect.objectContaining({ crmId: item.id, linkedEventId: event!.id })]);
    expect((await call(ann, 'lookupItems', { query: { eventId: 'REST-unknown' } })).body.items).toEqual([]);
    expect((await call(ann, 'lookupItems', { query: { seriesId: 'REST-series', email: 'a@b.test' } })).status).toBe(
      400,
    );
    const byMail = await call(ann, 'lookupItems', { query: { email: 'CLIENT@customer.test' } });
    expect((byMail.body.items as unknown[]).length).toBe(1);
    const both = await call(ann, 'lookupItems', { query: { eventId: 'x', email: 'a@b.test' } });
    expect(both.status).toBe(400);
    expect(both.body.field).toBe('eventId');

    const flag = await call(ann, 'setItemSyncFlag', { params: { crmId: item.id }, body: { enabled: false } });
    expect(flag.status).toBe(200);
    expect(crm.get(item.id)?.syncToCalendar).toBe(false);
    expect((await call(ann, 'setItemSyncFlag', { params: { crmId: 'ghost' }, body: { enabled: true } })).status).toBe(
      404,
    );

    const status = await call(ann, 'syncStatus');
    expect(status.body).toMatchObject({ running: null, queued: 0 });
    expect((status.body.lastRun as { runId: string }).runId).toBe(runId);
  });

  it('previews, applies and undoes a duplicate cleanup, each with its History entry', async () => {
    // A copy of the synced "Quarterly review" event with the same CRM tag: a duplicate to remove.
    const cal = h.world.calendar('ann@a.test');
    const original = cal.all('crm')[0]!;
    cal.userCreate(original.calendarId, { fields: original.fields, crmTag: original.crmTag });
    const preview = await call(ann, 'cleanupPreview');
    expect(preview.status).toBe(200);
    expect(Array.isArray(preview.body.groups)).toBe(true);
    const notConfirmed = await call(ann, 'cleanupApply', { body: {} });
    expect(notConfirmed.body.field).toBe('confirm');
    const applied = await call(ann, 'cleanupApply', { body: { confirm: true } });
    expect(applied.status).toBe(200);
    const id = (applied.body as { id: string }).id;
    const undone = await call(ann, 'cleanupUndo', { params: { cleanupId: id } });
    expect(undone.status).toBe(200);
    expect(undone.body.undoneAt).not.toBeNull();
    expect((await call(ann, 'cleanupUndo', { params: { cleanupId: 'ghost' } })).status).toBe(404);

    type Entry = { runId: string; kind?: string; calendar: { deleted: number; created: number } };
    const runs = (await call(ann, 'listRuns', { query: { limit: '10' } })).body.runs as Entry[];
    expect(runs.find((r) => r.runId === id)).toMatchObject({ kind: 'cleanup', calendar: { deleted: 1 } });
    expect(runs.find((r) => r.runId === `${id}:undo`)).toMatchObject({
      kind: 'cleanup-undo',
      calendar: { created: 1 },
    });
    for (const entryId of [id, `${id}:undo`]) {
      const detail = await call(ann, 'getRun', { params: { runId: entryId } });
      expect(detail.status).toBe(200);
      expect(detail.body.trail).toEqual([expect.objectContaining({ subject: 'Quarterly review' })]);
    }
    // The status's "last run" stays the last sync run, not the cleanup.
    const status = await call(ann, 'syncStatus');
    expect(status.body.lastRun).not.toBeNull();
    expect((status.body.lastRun as { kind?: string }).kind).toBeUndefined();
  });

  it('answers a deletion question and resets', async () => {
    const none = await call(ann, 'confirmDeletions', { body: { runId: 'r-x', confirm: true } });
    expect(none.status).toBe(404);
    const user = (await h.runtime.users.findByEmail('tenant-a', 'ann@a.test'))!;
    await h.runtime.runs.store('tenant-a', user.id).setPendingConfirmation({
      runId: 'r-big',
      createdAt: systemClock().toISOString(),
      crm: 0,
      calendar: 12,
      reason: 'would delete 12 events',
    });
    expect((await call(ann, 'syncStatus')).body.paused).toMatchObject({ reason: 'needs-confirmation' });
    const no = await call(ann, 'confirmDeletions', { body: { runId: 'r-big', confirm: false } });
    expect(no.body).toEqual({ run: null, pendingConfirmation: null });
    const bad = await call(ann, 'reset', { body: { confirm: false } });
    expect(bad.body.field).toBe('confirm');
    const reset = await call(ann, 'reset', { body: { confirm: true } });
    expect(reset.body).toEqual({ reset: true, repairing: true });
    const runs = (await call(ann, 'listRuns', { query: { limit: '10' } })).body.runs as { kind?: string }[];
    expect(runs[0]).toMatchObject({ kind: 'reset', status: 'succeeded', trigger: 'manual' });
    expect(((await call(ann, 'syncStatus')).body.lastRun as { kind?: string } | null)?.kind).toBeUndefined();
  });

  it('disconnect revokes, deletes the credentials and turns automatic sync off', async () => {
    await call(ann, 'setAutomaticSync', { body: { enabled: true } });
    const r = await call(ann, 'disconnect', { params: { side: 'calendar' } });
    expect(r.body).toEqual({ disconnected: true, revoked: true, automaticSync: false });
    expect(h.world.revoked).toContain('ann@a.test');
    expect((await call(ann, 'listConnections')).body.calendar).toBeNull();
    expect((await call(ann, 'disconnect', { params: { side: 'calendar' } })).status).toBe(404);
    expect((await call(ann, 'syncStatus')).body.automaticSync).toBe(false);
  });
});

describe('admin', () => {
  it('sets global settings, manages and assigns profiles, with an audit log', async () => {
    const g = await call(ada, 'adminPutSettings', {
      body: { values: { syncIntervalMinutes: 15, pastWindowDays: 60 } },
    });
    expect(g.body).toEqual({ values: { syncIntervalMinutes: 15, pastWindowDays: 60 } });
    expect((await call(ada, 'adminPutSettings', { body: { values: { pastWindowDays: -1 } } })).body.field).toBe(
      'values.pastWindowDays',
    );
    const created = await call(ada, 'adminCreateProfile', {
      body: { name: 'Field sales', values: { direction: 'crm-to-calendar' }, locked: ['direction'] },
    });
    expect(created.status).toBe(201);
    const profileId = (created.body as { id: string }).id;
    expect((await call(ada, 'adminCreateProfile', { body: { name: 'Field sales' } })).status).toBe(409);
    expect((await call(ada, 'adminCreateProfile', { body: { name: '' } })).body.field).toBe('name');
    expect((await call(ada, 'adminCreateProfile', { body: { name: 'x', locked: ['colour'] } })).body.field).toBe(
      'locked.0',
    );

    const annUser = (await h.runtime.users.findByEmail('tenant-a', 'ann@a.test'))!;
    const assign = await call(ada, 'adminAssignProfile', { params: { userId: annUser.id }, body: { profileId } });
    expect(assign.status).toBe(200);
    const settings = await call(ann, 'getSettings');
    const direction = (settings.body.details as { key: string }[]).find((d) => d.key === 'direction');
    expect(direction).toMatchObject({ value: 'crm-to-calendar', source: 'profile', locked: true });
    expect((settings.body.settings as { syncIntervalMinutes: number }).syncIntervalMinutes).toBe(15);
    const locked = await call(ann, 'updateSettings', { body: { set: { direction: 'two-way' } } });
    expect(locked.body.field).toBe('set.direction');

    const updated = await call(ada, 'adminUpdateProfile', {
      params: { profileId },
      body: { name: 'Field sales', values: {}, locked: [] },
    });
    expect(updated.body).toMatchObject({ userCount: 1, locked: [] });
    const profiles = await call(ada, 'adminListProfiles');
    expect((profiles.body.profiles as unknown[]).length).toBe(1);

    const users = await call(ada, 'adminListUsers');
    const annRow = (users.body.users as { email: string; profile: unknown; lastRun: unknown; health: string }[]).find(
      (u) => u.email === 'ann@a.test',
    );
    expect(annRow?.profile).toMatchObject({ name: 'Field sales' });
    expect(annRow?.lastRun).not.toBeNull();
    expect((await call(ada, 'adminDeleteProfile', { params: { profileId } })).body).toEqual({ deleted: true });

    const audit = await call(ada, 'adminAudit', { query: { limit: '10' } });
    const actions = (audit.body.entries as { action: string; actor: string }[]).map((e) => e.action);
    expect(actions).toEqual([
      'profile.delete',
      'profile.update',
      'profile.assign',
      'profile.create',
      'global-settings.update',
    ]);
    expect((audit.body.entries as { actor: string }[])[0]?.actor).toBe('ada@a.test');
  });

  it('refuses non-admins on every admin route', async () => {
    for (const [name, def] of Object.entries(apiRoutes)) {
      if (def.auth !== 'admin') continue;
      const r = await call(ann, name as RouteName, {
        params: { profileId: 'p', userId: 'u' },
        body: { name: 'x', values: {}, profileId: null },
      });
      expect([name, r.status]).toEqual([name, 403]);
    }
  });
});

describe('tenant isolation', () => {
  it("never shows or changes another tenant's data (404)", async () => {
    const created = await call(ada, 'adminCreateProfile', { body: { name: 'Tenant A only' } });
    const profileId = (created.body as { id: string }).id;
    const annUser = (await h.runtime.users.findByEmail('tenant-a', 'ann@a.test'))!;
    const [annRun] = await h.runtime.runs.store('tenant-a', annUser.id).listRuns(1);

    expect((await call(bob, 'adminUpdateProfile', { params: { profileId }, body: { name: 'hijack' } })).status).toBe(
      404,
    );
    expect((await call(bob, 'adminDeleteProfile', { params: { profileId } })).status).toBe(404);
    expect(
      (await call(bob, 'adminAssignProfile', { params: { userId: annUser.id }, body: { profileId: null } })).status,
    ).toBe(404);
    expect((await call(bob, 'getRun', { params: { runId: annRun!.runId } })).status).toBe(404);
    expect((await call(bob, 'adminListProfiles')).body).toEqual({ profiles: [] });
    const bobUsers = (await call(bob, 'adminListUsers')).body.users as { email: string }[];
    expect(bobUsers.map((u) => u.email)).toEqual(['bob@b.test']);
    expect(((await call(bob, 'adminAudit')).body.entries as unknown[]).length).toBe(0);
    expect((await call(bob, 'listRuns')).body).toEqual({ runs: [] });
    expect((await h.runtime.settings.getProfile('tenant-a', profileId))?.name).toBe('Tenant A only');
  });
});
