import { caldavConnector } from '../../../src/providers/calendar/caldav/connector';
import type { Connection } from '../../../src/providers/connector';
import { applyCleanup, previewCleanup, resetSync } from '../../../src/sync';
import { startRadicale, type RadicaleServer } from '../../support/radicale';
import { testEnv } from './env';
import { hoursFromNow, makeWorld, meetingFields, setLine, touch, USER, worldClock } from './world';

let radicale: RadicaleServer;
let connection: Connection;

beforeAll(async () => {
  radicale = await startRadicale({ alice: 'alice-app-password' });
  connection = await caldavConnector.connect!(
    { method: 'app-password', url: radicale.origin, fields: { username: 'alice', password: 'alice-app-password' } },
    testEnv([radicale.hostPort]),
  );
}, 30_000);

afterAll(async () => {
  await radicale?.stop();
});

async function idle(w: Awaited<ReturnType<typeof makeWorld>>): Promise<void> {
  const before = { ...w.counter };
  const crmWrites = w.crm.writeLog.length;
  const report = await w.run();
  expect(report.errors).toEqual([]);
  expect(w.counter.writes).toBe(before.writes);
  expect(w.crm.writeLog.length).toBe(crmWrites);
}

describe('engine scenarios with CalDAV on Radicale', () => {
  it('creates an event for a CRM meeting, then a second run writes nothing', async () => {
    const w = await makeWorld(radicale, connection);
    const item = w.crm.userCreate({ type: 'meeting', fields: meetingFields(), ownerEmails: [USER] });
    const r1 = await w.run();
    expect(r1.errors).toEqual([]);
    expect(r1.calendar.created).toBe(1);
    const events = await w.raw.list();
    expect(events).toHaveLength(1);
    expect(events[0]?.ics).toContain(`X-CRM-CONNECTOR-ID:${item.id}`);
    expect(events[0]?.ics).toMatch(/ATTENDEE;CN=Client;.*SCHEDULE-AGENT=CLIENT.*:mailto:client@acme.test/);
    await idle(w);
  });

  it('writes attendees for server scheduling only when invitations are "always"', async () => {
    const w = await makeWorld(radicale, connection, { invitations: 'always' });
    w.crm.userCreate({ type: 'meeting', fields: meetingFields(), ownerEmails: [USER] });
    const r = await w.run();
    expect(r.invitationsSent).toBe(1);
    const [ev] = await w.raw.list();
    expect(ev?.ics).toMatch(/ATTENDEE;CN=Client;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT:mailto:client@acme.test/);
    await idle(w);
  });

  it('carries edits both ways and resolves a conflict by the policy (CRM wins)', async () => {
    const w = await makeWorld(radicale, connection);
    const item = w.crm.userCreate({ type: 'meeting', fields: meetingFields(), ownerEmails: [USER] });
    await w.run();
    const [ev] = await w.raw.list();
    if (!ev) throw new Error('no event');

    w.crm.userUpdate(item.id, { subject: 'Renamed in CRM' });
    await w.run();
    expect((await w.raw.get(ev.href)).ics).toContain('SUMMARY:Renamed in CRM');

    const now = await w.raw.get(ev.href);
    expect(await w.raw.put(ev.href, touch(setLine(now.ics, 'LOCATION', 'Room 42')), now.etag)).toBeLessThan(300);
    const r = await w.run();
    expect(r.errors).toEqual([]);
    expect(w.crm.get(item.id)?.fields.location).toBe('Room 42');

    const again = await w.raw.get(ev.href);
    await w.raw.put(ev.href, touch(setLine(again.ics, 'SUMMARY', 'Calendar title')), again.etag);
    w.crm.userUpdate(item.id, { subject: 'CRM title' });
    const rc = await w.run();
    expect(rc.conflicts).toBe(1);
    expect(w.crm.get(item.id)?.fields.subject).toBe('CRM title');
    expect((await w.raw.get(ev.href)).ics).toContain('SUMMARY:CRM title');
    await idle(w);
  });

  it('deletes the event when the CRM item goes, and only turns the flag off when the event goes', async () => {
    const w = await makeWorld(radicale, connection);
    const a = w.crm.userCreate({ type: 'meeting', fields: meetingFields({ subject: 'A' }), ownerEmails: [USER] });
    const b = w.crm.userCreate({ type: 'meeting', fields: meetingFields({ subject: 'B' }, 72), ownerEmails: [USER] });
    await w.run();
    expect(await w.raw.list()).toHaveLength(2);
    w.crm.userDelete(a.id);
    await w.run();
    const left = await w.raw.list();
    expect(left.map((e) => /SUMMARY:(.*)/.exec(e.ics)?.[1]?.trim())).toEqual(['B']);
    expect(await w.raw.remove(left[0]!.href)).toBeLessThan(300);
    const r = await w.run();
    expect(r.errors).toEqual([]);
    expect(w.crm.get(b.id)).toMatchObject({ syncToCalendar: false, archived: false });
    expect(await w.raw.list()).toHaveLength(0);
    await idle(w);
  });

  function seriesIcs(start: string, withOverride: boolean): { ics: string; next: string; third: string } {
    const next = new Date(Date.parse(start) + 7 * 86_400_000).toISOString();
    const third = new Date(Date.parse(start) + 14 * 86_400_000).toISOString();
    const stamp = (iso: string): string => `${iso.replace(/[-:]/g, '').slice(0, 15)}Z`;
    const now = stamp(worldClock().toISOString());
    const lines = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Other client//EN',
      'BEGIN:VEVENT',
      'UID:series-from-calendar',
      `DTSTAMP:${now}`,
      `LAST-MODIFIED:${now}`,
      `DTSTART:${stamp(start)}`,
      `DTEND:${stamp(new Date(Date.parse(start) + 3_600_000).toISOString())}`,
      'SUMMARY:Weekly sync',
      'RRULE:FREQ=WEEKLY;COUNT=6',
      `EXDATE:${stamp(third)}`,
      'ATTENDEE;CN=Client:mailto:client@acme.test',
      'END:VEVENT',
    ];
    if (withOverride) {
      lines.push(
        'BEGIN:VEVENT',
        'UID:series-from-calendar',
        `DTSTAMP:${now}`,
        `LAST-MODIFIED:${now}`,
        `RECURRENCE-ID:${stamp(next)}`,
        `DTSTART:${stamp(new Date(Date.parse(next) + 7_200_000).toISOString())}`,
        `DTEND:${stamp(new Date(Date.parse(next) + 10_800_000).toISOString())}`,
        'SUMMARY:Weekly sync (moved)',
        'ATTENDEE;CN=Client:mailto:client@acme.test',
        'END:VEVENT',
      );
    }
    lines.push('END:VCALENDAR', '');
    return { ics: lines.join('\r\n'), next, third };
  }

  it('imports a calendar series with a cancelled occurrence, then an occurrence moved later', async () => {
    const w = await makeWorld(radicale, connection);
    const start = hoursFromNow(24 * 7);
    const plain = seriesIcs(start, false);
    const href = `${w.calendarId}series.ics`;
    expect(await w.raw.put(href, plain.ics)).toBeLessThan(300);
    const r = await w.run();
    expect(r.errors).toEqual([]);
    const master = w.crm.all().find((i) => i.fields.recurrence);
    // The engine stores its canonical RRULE (parts sorted).
    expect(master?.fields.recurrence?.rrule.split(';').sort()).toEqual(['COUNT=6', 'FREQ=WEEKLY']);
    expect(master?.fields.recurrence?.exdates).toEqual([plain.third]);
    await idle(w);

    const current = await w.raw.get(href);
    expect(await w.raw.put(href, seriesIcs(start, true).ics, current.etag)).toBeLessThan(300);
    const r2 = await w.run();
    expect(r2.errors).toEqual([]);
    const moved = w.crm.all().find((i) => i.occurrence);
    expect(moved?.fields.subject).toBe('Weekly sync (moved)');
    expect(moved?.occurrence).toEqual({ seriesId: master?.id, originalStart: plain.next });
    await idle(w);
  });

  it('writes a CRM series with a cancelled and a modified occurrence into one resource', async () => {
    const w = await makeWorld(radicale, connection);
    const start = hoursFromNow(24 * 5);
    const week = (n: number): string => new Date(Date.parse(start) + n * 7 * 86_400_000).toISOString();
    const series = w.crm.userCreate({
      type: 'meeting',
      fields: meetingFields({
        subject: 'Account check-in',
        timing: {
          kind: 'timed',
          start,
          end: new Date(Date.parse(start) + 1_800_000).toISOString(),
          timeZone: 'Europe/Berlin',
        },
        recurrence: { rrule: 'FREQ=WEEKLY;COUNT=5', exdates: [week(1)] },
      }),
      ownerEmails: [USER],
    });
    expect((await w.run()).errors).toEqual([]);
    w.crm.userCreate({
      type: 'meeting',
      fields: meetingFields({
        subject: 'Account check-in (longer)',
        timing: {
          kind: 'timed',
          start: week(2),
          end: new Date(Date.parse(week(2)) + 3_600_000).toISOString(),
          timeZone: 'Europe/Berlin',
        },
      }),
      occurrence: { seriesId: series.id, originalStart: week(2) },
      ownerEmails: [USER],
    });
    const r = await w.run();
    expect(r.errors).toEqual([]);
    const all = await w.raw.list();
    expect(all).toHaveLength(1);
    const ics = all[0]?.ics ?? '';
    expect(ics).toMatch(/RRULE:.*FREQ=WEEKLY/);
    expect(ics).toMatch(/EXDATE;TZID=Europe\/Berlin:/);
    expect(ics).toMatch(/RECURRENCE-ID;TZID=Europe\/Berlin:/);
    expect(ics).toContain('SUMMARY:Account check-in (longer)');
    await idle(w);
  });

  it('imports a series and its moved occurrence that arrive together', async () => {
    const w = await makeWorld(radicale, connection);
    const { ics } = seriesIcs(hoursFromNow(24 * 7), true);
    await w.raw.put(`${w.calendarId}series.ics`, ics);
    expect((await w.run()).errors).toEqual([]);
    const master = w.crm.all().find((i) => i.fields.recurrence);
    const moved = w.crm.all().find((i) => i.occurrence);
    expect(moved?.fields.subject).toBe('Weekly sync (moved)');
    expect(moved?.occurrence?.seriesId).toBe(master?.id);
    await idle(w);
  });

  it('gives a CRM without recurrence one activity per occurrence; a CRM edit becomes an override', async () => {
    const w = await makeWorld(radicale, connection, {}, { recurrence: false });
    const start = new Date(Date.parse(hoursFromNow(24 * 7)));
    start.setUTCSeconds(0, 0);
    const { ics, next } = seriesIcs(start.toISOString(), true);
    const href = `${w.calendarId}series.ics`;
    expect(await w.raw.put(href, ics)).toBeLessThan(300);
    const r = await w.run();
    expect(r.errors).toEqual([]);
    // COUNT=6 with one EXDATE: five occurrences, the moved one with its own values.
    const items = w.crm.all();
    expect(items).toHaveLength(5);
    expect(items.every((i) => i.fields.recurrence === null && i.iCalUId?.startsWith('series-from-calendar#'))).toBe(
      true,
    );
    const moved = items.find((i) => i.iCalUId === `series-from-calendar#${next}`);
    expect(moved?.fields.subject).toBe('Weekly sync (moved)');
    await idle(w);

    const first = items.find((i) => i.iCalUId === `series-from-calendar#${start.toISOString()}`)!;
    w.crm.userUpdate(first.id, { body: 'Bring the forecast' });
    const r2 = await w.run();
    expect(r2.errors).toEqual([]);
    expect(r2.calendar.updated).toBe(1);
    const after = (await w.raw.get(href)).ics;
    expect(after.match(/RECURRENCE-ID/g)).toHaveLength(2);
    expect(after).toContain('DESCRIPTION:Bring the forecast');
    expect(after).toMatch(/RRULE:.*COUNT=6/);
    await idle(w);

    w.crm.userUpdate(moved!.id, { location: 'Room 7' });
    expect((await w.run()).errors).toEqual([]);
    const last = (await w.raw.get(href)).ics;
    expect(last.match(/RECURRENCE-ID/g)).toHaveLength(2);
    expect(last).toContain('LOCATION:Room 7');
    expect(w.crm.all()).toHaveLength(5);
    await idle(w);
  });

  it('keeps all-day dates and foreign time zones exact in both directions', async () => {
    const w = await makeWorld(radicale, connection);
    const startDate = hoursFromNow(24 * 10).slice(0, 10);
    const endDate = new Date(Date.parse(`${startDate}T00:00:00Z`) + 2 * 86_400_000).toISOString().slice(0, 10);
    const allDay = w.crm.userCreate({
      type: 'meeting',
      fields: meetingFields({ subject: 'Trade fair', timing: { kind: 'all-day', startDate, endDate } }),
      ownerEmails: [USER],
    });
    const la = hoursFromNow(24 * 12);
    const wall = new Intl.DateTimeFormat('sv-SE', {
      timeZone: 'America/Los_Angeles',
      dateStyle: 'short',
      timeStyle: 'medium',
    })
      .format(new Date(la))
      .replace(/[-:]/g, '')
      .replace(' ', 'T');
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Other client//EN',
      'BEGIN:VEVENT',
      'UID:la-call',
      'DTSTAMP:20260101T000000Z',
      `DTSTART;TZID=America/Los_Angeles:${wall}`,
      'DURATION:PT30M',
      'SUMMARY:West coast call',
      'ATTENDEE:mailto:client@acme.test',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    expect(await w.raw.put(`${w.calendarId}la-call.ics`, ics)).toBeLessThan(300);
    const r = await w.run();
    expect(r.errors).toEqual([]);
    const stored = (await w.raw.list()).find((e) => e.ics.includes(allDay.id));
    expect(stored?.ics).toContain(`DTSTART;VALUE=DATE:${startDate.replace(/-/g, '')}`);
    expect(stored?.ics).toContain(`DTEND;VALUE=DATE:${endDate.replace(/-/g, '')}`);
    const imported = w.crm.all().find((i) => i.fields.subject === 'West coast call');
    expect(imported?.fields.timing).toEqual({
      kind: 'timed',
      start: la,
      end: new Date(Date.parse(la) + 1_800_000).toISOString(),
      timeZone: 'America/Los_Angeles',
    });
    await idle(w);
  });

  it('duplicate cleanup removes the extra copy tagged with the same CRM id', async () => {
    const w = await makeWorld(radicale, connection);
    const item = w.crm.userCreate({ type: 'meeting', fields: meetingFields(), ownerEmails: [USER] });
    await w.run();
    const [ev] = await w.raw.list();
    if (!ev) throw new Error('no event');
    // Another device copied the event (same tag, new UID and href).
    const copy = setLine(ev.ics, 'UID', 'copied-by-another-device');
    expect(await w.raw.put(`${w.calendarId}copy.ics`, copy)).toBeLessThan(300);
    const preview = await previewCleanup(w.ctx);
    expect(preview.groups).toHaveLength(1);
    expect(preview.groups[0]?.remove).toHaveLength(1);
    await applyCleanup(w.ctx);
    const left = await w.raw.list();
    expect(left).toHaveLength(1);
    expect(left[0]?.ics).toContain(`X-CRM-CONNECTOR-ID:${item.id}`);
    await idle(w);
  });

  it('reset forgets the state and the next run re-pairs without writing anything', async () => {
    const w = await makeWorld(radicale, connection);
    for (let i = 0; i < 3; i++) {
      w.crm.userCreate({
        type: 'meeting',
        fields: meetingFields({ subject: `M${i}` }, 30 + i * 24),
        ownerEmails: [USER],
      });
    }
    await w.run();
    const before = (await w.raw.list()).map((e) => e.href).sort();
    await resetSync(w.ctx);
    const writes = w.counter.writes;
    const crmItems = w.crm.all().length;
    const r = await w.run();
    expect(r.errors).toEqual([]);
    expect(r.calendar.created).toBe(0);
    expect(w.counter.writes).toBe(writes);
    expect(w.crm.all()).toHaveLength(crmItems);
    expect((await w.raw.list()).map((e) => e.href).sort()).toEqual(before);
    expect((await w.store.loadLinks()).length).toBe(3);
    await idle(w);
  });
});
