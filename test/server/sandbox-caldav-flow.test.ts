/**
 * The product's default path, wired for real: the server with the registry it ships (Sandbox CRM + CalDAV),
 * a Sandbox activity created through /sandbox/v1, a real Radicale as the calendar, Sync now through /api/v1,
 * and the event read back from Radicale. Also: the Sandbox is scoped to the signed-in user whatever the pane sends.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/server/config';
import { buildApp } from '../../src/server/http/app';
import { handleRunJob } from '../../src/server/jobs/worker';
import { engine } from '../../src/server/runs/engine';
import { createRuntime, type Runtime } from '../../src/server/runtime';
import { openDatabase, type Db } from '../../src/server/store/database';
import { migrateToLatest } from '../../src/server/store/migrations';
import { startRadicale, type RadicaleServer } from '../support/radicale';
import { TestIdentityProvider } from './support/identity-provider';
import { systemClock } from '../../src/shared/clock';

const ann = { tid: 'tenant-a', oid: 'oid-ann', email: 'ann@a.test' };
const bob = { tid: 'tenant-b', oid: 'oid-bob', email: 'bob@b.test' };

describe('Sandbox CRM → CalDAV through the shipped registry', () => {
  let dir: string;
  let db: Db;
  let runtime: Runtime;
  let app: FastifyInstance;
  let idp: TestIdentityProvider;
  let radicale: RadicaleServer;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-'));
    idp = await TestIdentityProvider.start();
    radicale = await startRadicale({ ann: 'ann-app-password' });
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      DATABASE_URL: `sqlite:${path.join(dir, 'connector.db')}`,
      ADDIN_DIR: path.join(dir, 'addin'),
      ENTRA_CLIENT_ID: 'client-1',
      ENTRA_AUTHORITY_HOST: idp.origin,
      CONNECTOR_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
      PUBLIC_URL: 'https://connector.example.test',
      ALLOWED_PRIVATE_HOSTS: radicale.hostPort,
    });
    db = openDatabase(config.DATABASE_URL);
    await migrateToLatest(db);
    runtime = await createRuntime(config, db, {
      engine,
      logger: pino({ level: 'silent' }),
      runOptions: { waitPollMs: 10 },
    });
    await runtime.queue.work((job) => handleRunJob(runtime, job));
    app = await buildApp({ config, db, runtime });
  }, 60_000);

  afterAll(async () => {
    await runtime.stop();
    await app.close();
    await db.close();
    await idp.stop();
    await radicale.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const call = async (who: typeof ann, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${await idp.token(who)}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  let calendarPath = '';
  const auth = { authorization: `Basic ${Buffer.from('ann:ann-app-password').toString('base64')}` };
  const runOnce = async () => {
    const started = await call(ann, 'POST', '/api/v1/runs', {});
    expect(started.statusCode).toBe(202);
    const { runId } = started.json() as { runId: string };
    for (let i = 0; i < 600; i++) {
      const detail = await call(ann, 'GET', `/api/v1/runs/${runId}`);
      const status =
        detail.statusCode === 200 ? (detail.json() as { report: { status: string } }).report.status : 'queued';
      if (status !== 'queued' && status !== 'running')
        return detail.json() as {
          report: Record<string, unknown> & {
            calendar: { created: number; updated: number };
            crm: { created: number; updated: number };
          };
        };
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('run did not finish');
  };

  it('connects both sides, syncs a Sandbox meeting into Radicale, and a second run writes nothing', async () => {
    const providers = (await call(ann, 'GET', '/api/v1/providers')).json() as {
      crm: { id: string }[];
      calendar: { id: string }[];
    };
    expect(providers.crm.map((p) => p.id)).toContain('sandbox');
    expect(providers.calendar.map((p) => p.id)).toContain('caldav');

    // The pane cannot choose whose Sandbox data it gets: identity fields it sends are overwritten.
    const crm = await call(ann, 'POST', '/api/v1/connections/crm', {
      provider: 'sandbox',
      method: 'none',
      fields: { tenantId: 'tenant-b', userEmail: 'bob@b.test' },
    });
    expect(crm.statusCode).toBe(201);
    const cal = await call(ann, 'POST', '/api/v1/connections/calendar', {
      provider: 'caldav',
      method: 'app-password',
      url: `${radicale.origin}/`,
      fields: { username: 'ann', password: 'ann-app-password' },
    });
    expect(cal.statusCode).toBe(201);
    calendarPath = await radicale.makeCalendar('ann', 'crm', 'CRM');
    const calendars = (await call(ann, 'GET', '/api/v1/connections/calendar/calendars')).json() as {
      calendars: { id: string }[];
    };
    const target = calendars.calendars.find((c) => c.id.endsWith(calendarPath))?.id;
    expect(target).toBeDefined();
    expect(
      (
        await call(ann, 'PUT', '/api/v1/connections/calendar/calendars', {
          targetCalendarId: target,
          sourceCalendarIds: [target],
        })
      ).statusCode,
    ).toBe(200);

    const company = (
      await call(ann, 'POST', '/sandbox/v1/companies', { name: 'Contoso', domain: 'contoso.example' })
    ).json() as { id: string };
    const contact = await call(ann, 'POST', '/sandbox/v1/contacts', {
      email: 'Buyer@Contoso.example',
      name: 'Bea Buyer',
      companyId: company.id,
    });
    expect(contact.statusCode).toBe(201);

    const start = new Date(systemClock().getTime() + 3 * 86_400_000);
    start.setUTCHours(9, 0, 0, 0);
    const created = await call(ann, 'POST', '/sandbox/v1/items', {
      type: 'meeting',
      subject: 'Quarterly review with Contoso',
      start: start.toISOString(),
      end: new Date(start.getTime() + 3_600_000).toISOString(),
      invitees: ['buyer@contoso.example'],
    });
    expect(created.statusCode).toBe(201);
    // Bob (another tenant) sees none of Ann's Sandbox data.
    expect(((await call(bob, 'GET', '/sandbox/v1/items')).json() as { items: unknown[] }).items).toEqual([]);

    const first = await runOnce();
    expect(first.report.status).toBe('succeeded');
    expect(first.report.calendar.created).toBe(1);
    expect(first.report.invitationsSent).toBe(0);

    const listing = await fetch(`${radicale.origin}${calendarPath}`, {
      method: 'PROPFIND',
      headers: { depth: '1', authorization: `Basic ${Buffer.from('ann:ann-app-password').toString('base64')}` },
    });
    const hrefs = [...(await listing.text()).matchAll(/<[^>]*href>([^<]+\.ics)</g)].map((m) => m[1]!);
    expect(hrefs).toHaveLength(1);
    const ics = await (
      await fetch(`${radicale.origin}${hrefs[0]}`, {
        headers: { authorization: `Basic ${Buffer.from('ann:ann-app-password').toString('base64')}` },
      })
    ).text();
    expect(ics).toContain('SUMMARY:Quarterly review with Contoso');
    // Invitations default to "never": the invitee is not a scheduling attendee the server would e-mail.
    expect(ics.replace(/\r\n /g, '')).toMatch(/ATTENDEE[^:\r\n]*SCHEDULE-AGENT=CLIENT[^\r\n]*buyer@contoso\.example/i);

    // The pane's item panel: the event's CRM record with the invitee matched to the CRM contact and company.
    // A CalDAV event's id is its href.
    const eventId = hrefs[0]!;
    const lookup = await call(ann, 'GET', `/api/v1/items/lookup?eventId=${encodeURIComponent(eventId)}`);
    expect(lookup.statusCode).toBe(200);
    const [view] = (
      lookup.json() as {
        items: { subject: string; people: { name: string; companyId: string; companyName: string }[] }[];
      }
    ).items;
    expect(view?.subject).toBe('Quarterly review with Contoso');
    expect(view?.people).toEqual([
      expect.objectContaining({ name: 'Bea Buyer', companyId: company.id, companyName: 'Contoso', kind: 'contact' }),
    ]);

    // The next run settles (it reads back what it wrote); the one after that must write nothing (SPEC §10.2).
    await runOnce();
    const third = await runOnce();
    expect(third.report.calendar).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    expect(third.report.crm).toMatchObject({ created: 0, updated: 0, deleted: 0, archived: 0 });

    // The item open in Outlook (issue 18): an invitation or copy of this meeting in the Outlook mailbox has an
    // Outlook id CalDAV cannot resolve (no Graph here) and Office.js gives no iCalUId. Exact by the event's UID
    // (iCalUId) across links of any calendar provider; otherwise by organiser + start + subject, marked probable.
    const uid = /\r?\nUID:([^\r\n]+)/.exec(ics.replace(/\r?\n[ \t]/g, ''))![1]!;
    const byUid = await call(ann, 'GET', `/api/v1/items/lookup?iCalUId=${encodeURIComponent(uid)}`);
    expect((byUid.json() as { items: { subject: string }[] }).items.map((i) => i.subject)).toEqual([
      'Quarterly review with Contoso',
    ]);
    const outlook = (subject: string, organizer: string) =>
      call(
        ann,
        'GET',
        `/api/v1/items/lookup?${new URLSearchParams({
          eventId: 'AAMkAGOutlookRestIdOfTheInvitation=',
          subject,
          start: start.toISOString(),
          organizer,
        }).toString()}`,
      );
    const probable = await outlook('  quarterly REVIEW with contoso ', 'ann@a.test');
    expect(probable.statusCode).toBe(200);
    expect(probable.json()).toMatchObject({
      match: 'probable',
      calendarName: 'CalDAV',
      items: [expect.objectContaining({ subject: 'Quarterly review with Contoso' })],
    });
    // The organiser is an invitee of the CRM activity: still fits; a stranger organising it does not.
    expect((await outlook('Quarterly review with Contoso', 'buyer@contoso.example')).json()).toMatchObject({
      match: 'probable',
    });
    expect((await outlook('Quarterly review with Contoso', 'someone@else.example')).json()).toEqual({
      items: [],
      match: 'unresolved',
      calendarName: 'CalDAV',
    });
    expect((await outlook('Another meeting', 'ann@a.test')).json()).toMatchObject({ items: [], match: 'unresolved' });
    // The hints only go with an Outlook item id.
    expect((await call(ann, 'GET', '/api/v1/items/lookup?email=a@b.test&subject=x')).statusCode).toBe(400);
  }, 120_000);

  it('imports an event without a title as "(No title)" and never writes the placeholder back as its title', async () => {
    const start = new Date(systemClock().getTime() + 4 * 86_400_000);
    start.setUTCHours(13, 0, 0, 0);
    const ics = (d: Date) =>
      d
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '');
    const untitled = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//test//untitled//EN',
      'BEGIN:VEVENT',
      'UID:untitled-1@test',
      `DTSTAMP:${ics(start)}`,
      `DTSTART:${ics(start)}`,
      `DTEND:${ics(new Date(start.getTime() + 1_800_000))}`,
      // With an invitee: only related events sync by default.
      'ORGANIZER:mailto:ann@a.test',
      'ATTENDEE;CN=Bea Buyer;SCHEDULE-AGENT=CLIENT:mailto:buyer@contoso.example',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const href = `${calendarPath}untitled-1.ics`;
    const put = await fetch(`${radicale.origin}${href}`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'text/calendar; charset=utf-8' },
      body: untitled,
    });
    expect(put.status).toBe(201);

    const imported = await runOnce();
    expect(imported.report.status).toBe('succeeded');
    expect(imported.report.crm.created).toBe(1);
    const items = (await call(ann, 'GET', '/sandbox/v1/items')).json() as {
      items: { id: string; subject: string; start: string }[];
    };
    const item = items.items.find((i) => i.start === start.toISOString());
    expect(item?.subject).toBe('(No title)');

    // The placeholder is the CRM's wording only: the event keeps having no title, run after run, and a CRM edit of
    // another field (the time) travels without taking the placeholder along.
    const readEvent = async () =>
      (await (await fetch(`${radicale.origin}${href}`, { headers: auth })).text()).replace(/\r\n /g, '');
    await runOnce();
    const settled = await runOnce();
    expect(settled.report.calendar).toMatchObject({ created: 0, updated: 0 });
    expect(settled.report.crm).toMatchObject({ created: 0, updated: 0 });
    expect(await readEvent()).not.toMatch(/^SUMMARY/m);

    const later = new Date(start.getTime() + 3_600_000);
    const moved = await call(ann, 'PATCH', `/sandbox/v1/items/${item!.id}`, {
      start: later.toISOString(),
      end: new Date(later.getTime() + 1_800_000).toISOString(),
    });
    expect(moved.statusCode).toBe(200);
    const pushed = await runOnce();
    expect(pushed.report.calendar.updated).toBe(1);
    const after = await readEvent();
    expect(after).toContain(`DTSTART:${ics(later)}`);
    expect(after).not.toMatch(/^SUMMARY:\(No title\)/m);
  }, 120_000);
});
