/**
 * The product end to end on real servers: `crm-sync` (in process, on its own SQLite database) with the shipped
 * registry, a real SuiteCRM 7.14.6 on the CRM side and a real Radicale on the calendar side. The SuiteCRM user and
 * the calendar user act through their own servers' APIs; every sync goes through the CLI, as a script would.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildCli } from '../../src/server/cli';
import type { RunReport } from '../../src/shared/run-report';
import { startRadicale, type RadicaleServer } from '../support/radicale';
import { dbDate, SuiteCrmPeer, suiteCrmInstance } from '../support/suitecrm-peer';

const instance = suiteCrmInstance();
const maybe = instance ? describe : describe.skip;
if (!instance) test.skip('skipped: ../shared/peers/suitecrm not present', () => undefined);

const EVE = 'eve@corp.example';
const CRM_PASSWORD = 'Eve-Crm-Pass-1';
const tag = crypto.randomBytes(3).toString('hex');
const at = (day: number, hour: number, minute = 0) => new Date(Date.UTC(2035, 4, day, hour, minute));

interface DavEvent {
  href: string;
  etag: string;
  ics: string;
  uid: string;
  summary: string;
  crmTag: string | null;
  attendees: string[];
}

/** The calendar user's side: plain CalDAV requests to Radicale (PUT, DELETE, PROPFIND + GET). */
class CalendarUser {
  constructor(
    private readonly radicale: RadicaleServer,
    private readonly user: string,
  ) {}

  private get auth(): string {
    return `Basic ${Buffer.from(`${this.user}:${this.radicale.users[this.user] ?? ''}`).toString('base64')}`;
  }

  async events(calendar: string): Promise<DavEvent[]> {
    const res = await fetch(`${this.radicale.origin}${calendar}`, {
      method: 'PROPFIND',
      headers: { authorization: this.auth, depth: '1', 'content-type': 'application/xml' },
      body: '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>',
    });
    const xml = await res.text();
    const hrefs = [...xml.matchAll(/<(?:\w+:)?href>([^<]+\.ics)<\/(?:\w+:)?href>/g)].map((m) => m[1]!);
    const out: DavEvent[] = [];
    for (const href of hrefs) {
      const r = await fetch(`${this.radicale.origin}${href}`, { headers: { authorization: this.auth } });
      const ics = (await r.text()).replace(/\r?\n[ \t]/g, '');
      const prop = (name: string) => new RegExp(`^${name}(?:;[^:\\r\\n]*)?:(.*)$`, 'm').exec(ics)?.[1]?.trim() ?? '';
      out.push({
        href,
        etag: r.headers.get('etag') ?? '',
        ics,
        uid: prop('UID'),
        summary: prop('SUMMARY'),
        crmTag: prop('X-CRM-CONNECTOR-ID') || null,
        attendees: [...ics.matchAll(/^ATTENDEE[^:\r\n]*:mailto:(.*)$/gim)].map((m) => m[1]!.trim().toLowerCase()),
      });
    }
    return out;
  }

  async put(calendar: string, uid: string, lines: string[]): Promise<void> {
    const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//peer test//EN', 'BEGIN:VEVENT', `UID:${uid}`, ...lines]
      .concat(['END:VEVENT', 'END:VCALENDAR', ''])
      .join('\r\n');
    const res = await fetch(`${this.radicale.origin}${calendar}${uid}.ics`, {
      method: 'PUT',
      headers: { authorization: this.auth, 'content-type': 'text/calendar; charset=utf-8' },
      body: ics,
    });
    if (res.status >= 300) throw new Error(`PUT ${uid}: ${res.status}`);
  }

  /** Changes the title as a calendar app would (a new SEQUENCE and DTSTAMP included). */
  async rename(ev: DavEvent, summary: string): Promise<void> {
    const ics = ev.ics.replace(/^SUMMARY(;[^:\r\n]*)?:.*$/m, `SUMMARY:${summary}`).replace(
      /^DTSTAMP:.*$/m,
      `DTSTAMP:${dbDate(at(1, 0))
        .replace(/[-: ]/g, '')
        .replace(/(\d{8})(\d{6})/, '$1T$2Z')}`,
    );
    const res = await fetch(`${this.radicale.origin}${ev.href}`, {
      method: 'PUT',
      headers: { authorization: this.auth, 'content-type': 'text/calendar; charset=utf-8', 'if-match': ev.etag },
      body: ics,
    });
    if (res.status >= 300) throw new Error(`PUT ${ev.href}: ${res.status}`);
  }

  async remove(ev: DavEvent): Promise<void> {
    const res = await fetch(`${this.radicale.origin}${ev.href}`, {
      method: 'DELETE',
      headers: { authorization: this.auth },
    });
    if (res.status >= 300) throw new Error(`DELETE ${ev.href}: ${res.status}`);
  }
}

maybe('crm-sync with a real SuiteCRM and a real Radicale', () => {
  let peer: SuiteCrmPeer;
  let radicale: RadicaleServer;
  let cal: CalendarUser;
  let dir: string;
  let eveId: string;
  let workCrm: string;
  const saved = { ...process.env };
  const ids: Record<string, string> = {};

  /** Runs one command in process; returns stdout, stderr and the exit code. */
  async function cli(...args: string[]): Promise<{ out: string; err: string; code: number }> {
    let out = '';
    let err = '';
    const w1 = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const w2 = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    process.exitCode = 0;
    try {
      await buildCli()
        .exitOverride()
        .parseAsync(['node', 'crm-sync', ...args])
        .catch((e: unknown) => {
          err += `crm-sync: ${e instanceof Error ? e.message : String(e)}\n`;
          process.exitCode = 1;
        });
    } finally {
      w1.mockRestore();
      w2.mockRestore();
    }
    const code = Number(process.exitCode ?? 0);
    process.exitCode = 0;
    return { out, err, code };
  }

  async function sync(): Promise<RunReport> {
    const r = await cli('--json', 'sync', EVE);
    if (r.code !== 0) throw new Error(`sync failed: ${r.err}`);
    const report = JSON.parse(r.out) as RunReport;
    expect(report.errors).toEqual([]);
    return report;
  }

  const writes = (r: RunReport) =>
    (['crm', 'calendar'] as const).reduce(
      (n, side) => n + r[side].created + r[side].updated + r[side].deleted + r[side].archived,
      0,
    );

  const crmTagOf = (module: string, id: string) => new RegExp(`${module}:${id}`);

  beforeAll(async () => {
    peer = new SuiteCrmPeer(instance!);
    radicale = await startRadicale({ eve: 'eve-app-password' });
    cal = new CalendarUser(radicale, 'eve');
    await radicale.makeCalendar('eve', 'a-personal', 'Personal');
    workCrm = await radicale.makeCalendar('eve', 'work-crm', 'CRM');
    eveId = await peer.createUser(`eve${tag}`, CRM_PASSWORD, { email: EVE });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peers-cli-'));
    process.env.DATABASE_URL = `sqlite:${path.join(dir, 'connector.db')}`;
    process.env.LOG_LEVEL = 'silent';
    process.env.DATA_DIR = dir;
    process.env.ALLOWED_PRIVATE_HOSTS = `${peer.host},${radicale.hostPort}`;
    delete process.env.CONNECTOR_MASTER_KEY;
    expect((await cli('migrate')).code).toBe(0);
    expect((await cli('users', 'add', EVE)).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    process.env = saved;
    await radicale?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('connect: a wrong password fails without echoing it; the calendar named by its URL is the target', async () => {
    const connect = (password: string) =>
      cli(
        'connect',
        EVE,
        'crm',
        'suitecrm',
        '--url',
        peer.url,
        '--method',
        'password',
        '--field',
        `clientId=${instance!.passwordClient.id}`,
        '--field',
        `clientSecret=${instance!.passwordClient.secret}`,
        '--username',
        `eve${tag}`,
        '--password',
        password,
      );
    const bad = await connect('Typo-Pass-99');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/rejected the user name or password/);
    expect(bad.err).not.toMatch(/Typo-Pass-99/);
    expect((await connect(CRM_PASSWORD)).code).toBe(0);
    const calendar = await cli(
      'connect',
      EVE,
      'calendar',
      'caldav',
      '--url',
      `${radicale.origin}${workCrm}`,
      '--username',
      'eve',
      '--password',
      'eve-app-password',
    );
    expect(calendar.code).toBe(0);
    expect((await cli('settings', EVE, 'syncRecords=all', 'activityTypes=meeting,call,task')).code).toBe(0);

    const listed = JSON.parse((await cli('--json', 'calendars', EVE)).out) as {
      calendars: { id: string; name: string }[];
      targetCalendarId: string;
      sourceCalendarIds: string[];
    };
    expect(listed.calendars.map((c) => c.name).sort()).toEqual(['CRM', 'Personal']);
    expect(listed.targetCalendarId).toBe(workCrm);
    // Events are imported from the CRM calendar too.
    const chosen = await cli('--json', 'calendars', EVE, '--source', workCrm, '--source', '/eve/a-personal/');
    expect(chosen.code).toBe(0);
    expect(JSON.parse(chosen.out)).toMatchObject({
      targetCalendarId: workCrm,
      sourceCalendarIds: [workCrm, '/eve/a-personal/'],
    });
    const unknown = await cli('calendars', EVE, '--target', '/eve/nope/');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/target calendar/);
  });

  test('first sync: a meeting with an invitee and a call become events (a task waits for its flag); a second run writes nothing', async () => {
    const acme = await peer.create('Accounts', { name: `Acme ${tag}` });
    ids['ann'] = await peer.create('Contacts', {
      first_name: 'Ann',
      last_name: 'Buyer',
      email1: `ann.${tag}@acme.example`,
      account_id: acme,
    });
    ids['meeting'] = await peer.create('Meetings', {
      assigned_user_id: eveId,
      name: 'Kick-off',
      date_start: dbDate(at(3, 9)),
      date_end: dbDate(at(3, 10)),
      duration_hours: 1,
      duration_minutes: 0,
      status: 'Planned',
    });
    await peer.relate('Meetings', ids['meeting'], 'contacts', 'Contacts', ids['ann']);
    ids['call'] = await peer.create('Calls', {
      assigned_user_id: eveId,
      name: 'Follow-up call',
      date_start: dbDate(at(4, 9)),
      date_end: dbDate(at(4, 9, 30)),
      duration_hours: 0,
      duration_minutes: 30,
      status: 'Planned',
      direction: 'Outbound',
    });
    ids['task'] = await peer.create('Tasks', {
      assigned_user_id: eveId,
      name: 'Send the offer',
      date_due: dbDate(at(5, 12)),
      status: 'Not Started',
      priority: 'High',
    });
    const r1 = await sync();
    // Tasks go to the calendar only with Sync to calendar on (SPEC §5), and this SuiteCRM has no such field.
    expect(r1.calendar.created).toBe(2);
    const events = await cal.events(workCrm);
    const meeting = events.find((e) => crmTagOf('Meetings', ids['meeting']!).test(e.crmTag ?? ''));
    expect(meeting).toMatchObject({ summary: 'Kick-off' });
    expect(meeting!.attendees).toContain(`ann.${tag}@acme.example`);
    expect(events.find((e) => crmTagOf('Calls', ids['call']!).test(e.crmTag ?? ''))?.summary).toBe('Follow-up call');
    expect(events.some((e) => crmTagOf('Tasks', ids['task']!).test(e.crmTag ?? ''))).toBe(false);
    expect(writes(await sync())).toBe(0);
  });

  test('edits both ways for meetings and calls', async () => {
    await peer.update('Meetings', ids['meeting']!, { name: 'Kick-off (moved)' });
    await peer.update('Calls', ids['call']!, { name: 'Follow-up call (2)' });
    const r = await sync();
    expect(r.calendar.updated).toBe(2);
    let events = await cal.events(workCrm);
    const of = (module: string, key: string) => events.find((e) => crmTagOf(module, ids[key]!).test(e.crmTag ?? ''))!;
    expect(of('Meetings', 'meeting').summary).toBe('Kick-off (moved)');
    expect(of('Calls', 'call').summary).toBe('Follow-up call (2)');
    expect(writes(await sync())).toBe(0);

    // Now the calendar user renames both events: SuiteCRM follows (the versions compared before each write must
    // not differ between SuiteCRM's list and single-read answers).
    events = await cal.events(workCrm);
    await cal.rename(of('Meetings', 'meeting'), 'Kick-off (agenda)');
    await cal.rename(of('Calls', 'call'), 'Follow-up call (3)');
    const back = await sync();
    expect(back.crm.updated).toBe(2);
    expect((await peer.get('Meetings', ids['meeting']!)).attributes['name']).toBe('Kick-off (agenda)');
    expect((await peer.get('Calls', ids['call']!)).attributes['name']).toBe('Follow-up call (3)');
    expect(writes(await sync())).toBe(0);
  });

  test('import: an event with a CRM contact as attendee becomes a meeting linked to the contact and account', async () => {
    const uid = `import-${tag}@calendar.example`;
    await cal.put(workCrm, uid, [
      'DTSTAMP:20350501T080000Z',
      'DTSTART:20350506T130000Z',
      'DTEND:20350506T143000Z',
      'SUMMARY:Demo for Acme',
      'LOCATION:Teams',
      'ORGANIZER:mailto:eve@corp.example',
      `ATTENDEE;CN=Ann Buyer;PARTSTAT=NEEDS-ACTION:mailto:ann.${tag}@acme.example`,
    ]);
    const r = await sync();
    expect(r.crm.created).toBe(1);
    const [imported] = await peer.list('Meetings', { 'filter[outlook_id][eq]': uid });
    expect(imported).toBeDefined();
    ids['imported'] = imported!.id;
    expect(imported!.attributes).toMatchObject({
      name: 'Demo for Acme',
      location: 'Teams',
      date_start: '2035-05-06T13:00:00+00:00',
      date_end: '2035-05-06T14:30:00+00:00',
      assigned_user_id: eveId,
      parent_type: 'Accounts',
    });
    expect(await peer.related('Meetings', imported!.id, 'contacts')).toEqual([ids['ann']]);
    expect(writes(await sync())).toBe(0);
  });

  test('deletions both ways; later runs keep working after a SuiteCRM deletion', async () => {
    await peer.remove('Calls', ids['call']!);
    const r1 = await sync();
    expect(r1.calendar.deleted).toBe(1);
    expect((await cal.events(workCrm)).some((e) => crmTagOf('Calls', ids['call']!).test(e.crmTag ?? ''))).toBe(false);
    expect(writes(await sync())).toBe(0);

    // The imported meeting's event is deleted in the calendar: the activity is archived (Not Held), never deleted.
    const importedEvent = (await cal.events(workCrm)).find((e) => e.uid === `import-${tag}@calendar.example`)!;
    await cal.remove(importedEvent);
    const r2 = await sync();
    expect(r2.crm.archived).toBe(1);
    expect((await peer.get('Meetings', ids['imported']!)).attributes['status']).toBe('Not Held');

    // The CRM-born meeting's event is deleted: SuiteCRM has no Sync-to-calendar field here, so the connector keeps
    // a note not to bring it back; the meeting itself stays.
    const meetingEvent = (await cal.events(workCrm)).find((e) =>
      crmTagOf('Meetings', ids['meeting']!).test(e.crmTag ?? ''),
    )!;
    await cal.remove(meetingEvent);
    await sync();
    expect((await peer.get('Meetings', ids['meeting']!)).attributes['deleted']).toBe('0');
    expect((await cal.events(workCrm)).some((e) => crmTagOf('Meetings', ids['meeting']!).test(e.crmTag ?? ''))).toBe(
      false,
    );
    expect(writes(await sync())).toBe(0);
  });

  // Slow on purpose: each meeting costs two relationship reads (invitees) and an iCalUId write-back on php -S.
  test('more than a page of meetings: listed across pages, synced once, then nothing', async () => {
    const n = 120;
    const rows = Array.from({ length: n }, (_, i) => {
      const start = at(10, 8).getTime() + i * 3_600_000;
      return `(UUID(),'Bulk meeting ${i}',UTC_TIMESTAMP(),UTC_TIMESTAMP(),'${eveId}','1','1',0,'Planned','${dbDate(new Date(start))}','${dbDate(new Date(start + 1_800_000))}',0,30)`;
    });
    peer.sql(
      `INSERT INTO meetings (id,name,date_entered,date_modified,assigned_user_id,created_by,modified_user_id,deleted,status,date_start,date_end,duration_hours,duration_minutes) VALUES ${rows.join(',')}`,
    );
    const r = await sync();
    expect(r.calendar.created).toBe(n);
    expect((await cal.events(workCrm)).filter((e) => e.summary.startsWith('Bulk meeting')).length).toBe(n);
    expect(writes(await sync())).toBe(0);
  }, 600_000);

  test('reset: the next run re-pairs without duplicates and does not bring back the deleted event', async () => {
    const before = await cal.events(workCrm);
    const crmBefore = (await peer.list('Meetings', { 'filter[assigned_user_id][eq]': eveId })).length;
    expect((await cli('reset', EVE, '--yes')).code).toBe(0);
    const r = await sync();
    expect(r.calendar.created).toBe(0);
    expect(r.crm.created).toBe(0);
    const after = await cal.events(workCrm);
    expect(after.length).toBe(before.length);
    expect(new Set(after.map((e) => e.crmTag)).size).toBe(after.length);
    expect(after.some((e) => crmTagOf('Meetings', ids['meeting']!).test(e.crmTag ?? ''))).toBe(false);
    expect((await peer.list('Meetings', { 'filter[assigned_user_id][eq]': eveId })).length).toBe(crmBefore);
    expect(writes(await sync())).toBe(0);
  }, 300_000);
});
