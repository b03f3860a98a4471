import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { caldavConnector } from '../../../src/providers/calendar/caldav/connector';
import { DavClient } from '../../../src/providers/calendar/caldav/dav-client';
import { CalDavCalendarProvider } from '../../../src/providers/calendar/caldav/provider';
import type { Connection } from '../../../src/providers/connector';
import { ConnectError, createSafeFetch } from '../../../src/providers/http';
import type { EventDraft, SyncedFields } from '../../../src/sync/model';
import type { CalendarProvider, ListWindow } from '../../../src/sync/ports';
import { caldavServerKinds, startCalDavServer, type CalDavTestServer } from '../../support/caldav-server';
import { startDavProxy, withoutNotFound, type DavProxy } from './dav-proxy';
import { worldClock } from './world';
import { newCounter, testEnv, type RequestCounter } from './env';

describe.each(caldavServerKinds)('on %s', (kind) => {
  let radicale: CalDavTestServer;
  let calendarId: string;
  let connection: Connection;
  const window: ListWindow = { from: '2020-01-01T00:00:00.000Z', to: null };

  beforeAll(async () => {
    radicale = await startCalDavServer(kind, { alice: 'alice-app-password', 'bob@example.com': 'bob-pw' });
    calendarId = await radicale.makeCalendar('alice', 'crm', 'CRM items');
    await radicale.makeCalendar('alice', 'personal', 'Personal');
    connection = await caldavConnector.connect!(
      {
        method: 'app-password',
        url: `${radicale.origin}/`,
        fields: { username: 'alice', password: 'alice-app-password' },
      },
      testEnv([radicale.hostPort]),
    );
  }, 30_000);

  afterAll(async () => {
    await radicale?.stop();
  });

  function open(counter?: RequestCounter): CalendarProvider {
    return caldavConnector.open(connection, testEnv([radicale.hostPort], counter), { saveSecrets: async () => {} });
  }

  function fields(over: Partial<SyncedFields> = {}): SyncedFields {
    return {
      subject: 'Quarterly review',
      timing: {
        kind: 'timed',
        start: '2027-03-10T09:00:00.000Z',
        end: '2027-03-10T10:00:00.000Z',
        timeZone: 'Europe/Berlin',
      },
      body: 'Agenda: numbers',
      location: 'Room 1',
      visibility: 'normal',
      showAs: 'busy',
      attendees: [{ email: 'carol@customer.example', name: 'Carol' }],
      recurrence: null,
      reminderMinutes: 15,
      ...over,
    };
  }

  function draft(crmTag: string, over: Partial<SyncedFields> = {}, extra: Partial<EventDraft> = {}): EventDraft {
    return {
      fields: fields(over),
      crmTag,
      crmUrl: `https://crm.example/items/${crmTag}`,
      sendInvitations: false,
      priority: null,
      ...extra,
    };
  }

  async function raw(path: string): Promise<string> {
    const res = await fetch(`${radicale.origin}${path}`, {
      headers: { authorization: `Basic ${Buffer.from('alice:alice-app-password').toString('base64')}` },
    });
    // Unfolded (RFC 5545 §3.1): servers fold long lines wherever they like.
    return (await res.text()).replace(/\r?\n[ \t]/g, '');
  }

  describe('connecting', () => {
    it('discovers the calendar home from the server root and stores it', () => {
      expect(connection.url).toBe(`${radicale.origin}${radicale.homePath('alice')}`);
      expect(connection.account).toBe('alice');
      expect(connection.secrets.password).toBe('alice-app-password');
    });

    it('rejects a wrong password as unauthorized', async () => {
      const p = caldavConnector.connect!(
        { method: 'app-password', url: radicale.origin, fields: { username: 'alice', password: 'nope' } },
        testEnv([radicale.hostPort]),
      );
      await expect(p).rejects.toMatchObject({ reason: 'unauthorized' });
    });

    it('refuses a loopback URL unless the admin allow-list names it', async () => {
      const p = caldavConnector.connect!(
        { method: 'app-password', url: radicale.origin, fields: { username: 'alice', password: 'alice-app-password' } },
        testEnv([]),
      );
      await expect(p).rejects.toBeInstanceOf(ConnectError);
      await expect(p).rejects.toMatchObject({ reason: expect.stringMatching(/bad-url|blocked-url/) });
    });

    it('names the missing field', async () => {
      const p = caldavConnector.connect!(
        { method: 'app-password', url: radicale.origin, fields: { username: 'alice' } },
        testEnv([radicale.hostPort]),
      );
      await expect(p).rejects.toMatchObject({ reason: 'invalid-input', field: 'fields.password' });
    });

    it('uses the e-mail-like user name as the own address', async () => {
      const c = await caldavConnector.connect!(
        {
          method: 'app-password',
          url: `${radicale.origin}/.well-known/caldav`,
          fields: { username: 'bob@example.com', password: 'bob-pw' },
        },
        testEnv([radicale.hostPort]),
      );
      expect(c.secrets.addresses).toBe('bob@example.com');
    });
  });

  describe('CalDAV provider', () => {
    it('lists the calendars with the first writable one as default', async () => {
      const cals = await open().listCalendars();
      expect(cals.map((c) => c.name).sort()).toEqual(['CRM items', 'Personal']);
      expect(cals.filter((c) => c.isDefault)).toHaveLength(1);
      expect(cals.every((c) => c.canWrite)).toBe(true);
    });

    it('creates idempotently, lists fully then incrementally, updates and deletes with etags', async () => {
      const p = open();
      const first = await p.listChanges(calendarId, null, window);
      expect(first.full).toBe(true);
      const [created] = await p.writeEvents(calendarId, [
        { op: 'create', idempotencyKey: 'crm-1', draft: draft('crm-1') },
      ]);
      if (!created?.ok || !created.value) throw new Error('create failed');
      const event = created.value;
      expect(event.crmTag).toBe('crm-1');
      expect(event.fields).toEqual(fields());
      // A retried create (answer lost) finds the same resource instead of making a second one.
      const [again] = await p.writeEvents(calendarId, [
        { op: 'create', idempotencyKey: 'crm-1', draft: draft('crm-1') },
      ]);
      expect(again).toMatchObject({ ok: true, value: { id: event.id } });

      const stored = await raw(event.id);
      expect(stored).toMatch(/DTSTART;TZID=Europe\/Berlin:20270310T100000/);
      expect(stored).toMatch(/BEGIN:VTIMEZONE/);
      expect(stored).toMatch(/ATTENDEE;CN=Carol;.*SCHEDULE-AGENT=CLIENT.*:mailto:carol@customer.example/);
      expect(stored).toMatch(/X-CRM-CONNECTOR-ID:crm-1/);
      expect(stored).toMatch(/TRIGGER:-PT15M/);

      const second = await open().listChanges(calendarId, first.nextCursor, window);
      expect(second.full).toBe(false);
      expect(second.upserts.map((e) => e.id)).toEqual([event.id]);

      const [updated] = await p.writeEvents(calendarId, [
        {
          op: 'update',
          id: event.id,
          ifMatch: event.version,
          draft: draft('crm-1', { subject: 'Moved review', visibility: 'private', showAs: 'free' }),
        },
      ]);
      if (!updated?.ok || !updated.value) throw new Error('update failed');
      expect(updated.value.fields).toMatchObject({ subject: 'Moved review', visibility: 'private', showAs: 'free' });
      expect(updated.value.version).not.toBe(event.version);

      // The engine's stale etag: a fresh provider (no cache) must refuse to overwrite.
      const [stale] = await open().writeEvents(calendarId, [
        { op: 'update', id: event.id, ifMatch: event.version, draft: draft('crm-1', { subject: 'Lost update' }) },
      ]);
      expect(stale).toMatchObject({ ok: false, error: { kind: 'conflict' } });
      const [staleDelete] = await open().writeEvents(calendarId, [
        { op: 'delete', id: event.id, ifMatch: event.version, sendCancellations: false },
      ]);
      expect(staleDelete).toMatchObject({ ok: false, error: { kind: 'conflict' } });

      const third = await open().listChanges(calendarId, second.nextCursor, window);
      expect(third.upserts.map((e) => e.fields.subject)).toEqual(['Moved review']);

      const [deleted] = await open().writeEvents(calendarId, [
        { op: 'delete', id: event.id, ifMatch: updated.value.version, sendCancellations: false },
      ]);
      expect(deleted).toEqual({ ok: true, value: null });
      const fourth = await open().listChanges(calendarId, third.nextCursor, window);
      expect(fourth.removedIds).toEqual([event.id]);
      expect(fourth.upserts).toEqual([]);
    });

    it('brings a cancelled event back when its item is created again with the same key', async () => {
      const p = open();
      const [c] = await p.writeEvents(calendarId, [
        { op: 'create', idempotencyKey: 'revive', draft: draft('crm-revive') },
      ]);
      if (!c?.ok || !c.value) throw new Error('create failed');
      const auth = `Basic ${Buffer.from('alice:alice-app-password').toString('base64')}`;
      const cancelled = (await raw(c.value.id)).replace('END:VEVENT', 'STATUS:CANCELLED\r\nEND:VEVENT');
      const put = await fetch(`${radicale.origin}${c.value.id}`, {
        method: 'PUT',
        headers: { authorization: auth, 'content-type': 'text/calendar' },
        body: cancelled,
      });
      expect(put.status).toBeLessThan(300);
      const [again] = await open().writeEvents(calendarId, [
        { op: 'create', idempotencyKey: 'revive', draft: draft('crm-revive', { subject: 'Back again' }) },
      ]);
      expect(again).toMatchObject({
        ok: true,
        value: { id: c.value.id, cancelled: false, fields: { subject: 'Back again' } },
      });
    });

    it('keeps all-day dates and time zones exact', async () => {
      const p = open();
      const allDay = draft('crm-allday', {
        timing: { kind: 'all-day', startDate: '2027-07-01', endDate: '2027-07-03' },
        attendees: [],
        reminderMinutes: null,
      });
      const tokyo = draft('crm-tokyo', {
        timing: {
          kind: 'timed',
          start: '2027-01-31T23:30:00.000Z',
          end: '2027-02-01T00:30:00.000Z',
          timeZone: 'Asia/Tokyo',
        },
        attendees: [],
      });
      const res = await p.writeEvents(calendarId, [
        { op: 'create', idempotencyKey: 'allday', draft: allDay },
        { op: 'create', idempotencyKey: 'tokyo', draft: tokyo },
      ]);
      const listed = await open().listChanges(calendarId, null, window);
      const byTag = new Map(listed.upserts.map((e) => [e.crmTag, e]));
      expect(byTag.get('crm-allday')?.fields.timing).toEqual({
        kind: 'all-day',
        startDate: '2027-07-01',
        endDate: '2027-07-03',
      });
      expect(byTag.get('crm-tokyo')?.fields.timing).toEqual(tokyo.fields.timing);
      expect(await raw(res[0]?.ok && res[0].value ? res[0].value.id : '')).toMatch(/DTSTART;VALUE=DATE:20270701/);
    });

    it('writes a series with a cancelled and a modified occurrence, and removes the modification again', async () => {
      const p = open();
      const series = draft('crm-series', {
        timing: {
          kind: 'timed',
          start: '2027-04-05T07:00:00.000Z',
          end: '2027-04-05T07:30:00.000Z',
          timeZone: 'Europe/Berlin',
        },
        recurrence: { rrule: 'FREQ=WEEKLY;COUNT=6;BYDAY=MO', exdates: ['2027-04-12T07:00:00.000Z'] },
        attendees: [],
      });
      const [created] = await p.writeEvents(calendarId, [{ op: 'create', idempotencyKey: 'series', draft: series }]);
      if (!created?.ok || !created.value) throw new Error('create failed');
      const master = created.value;
      expect(master.fields.recurrence).toEqual(series.fields.recurrence);
      const before = await open().listChanges(calendarId, null, window);

      const moved = draft(
        'crm-series',
        {
          subject: 'Weekly (moved)',
          timing: {
            kind: 'timed',
            start: '2027-04-19T09:00:00.000Z',
            end: '2027-04-19T09:30:00.000Z',
            timeZone: 'Europe/Berlin',
          },
          attendees: [],
        },
        { occurrence: { seriesId: master.id, originalStart: '2027-04-19T07:00:00.000Z' } },
      );
      const [override] = await p.writeEvents(calendarId, [
        { op: 'create', idempotencyKey: 'series-occ', draft: moved },
      ]);
      if (!override?.ok || !override.value) throw new Error(`override failed ${JSON.stringify(override)}`);
      expect(override.value.occurrence).toEqual({ seriesId: master.id, originalStart: '2027-04-19T07:00:00.000Z' });
      expect(await raw(master.id)).toMatch(/RECURRENCE-ID;TZID=Europe\/Berlin:20270419T090000/);

      const after = await open().listChanges(calendarId, before.nextCursor, window);
      const ids = after.upserts.map((e) => e.id).sort();
      expect(ids).toEqual([master.id, override.value.id].sort());
      expect(after.upserts.find((e) => e.occurrence)?.fields.subject).toBe('Weekly (moved)');

      const [removed] = await open().writeEvents(calendarId, [
        { op: 'delete', id: override.value.id, ifMatch: override.value.version, sendCancellations: false },
      ]);
      expect(removed).toEqual({ ok: true, value: null });
      const last = await open().listChanges(calendarId, after.nextCursor, window);
      expect(last.removedIds).toEqual([override.value.id]);
      expect(last.upserts[0]?.fields.recurrence?.exdates).toEqual([
        '2027-04-12T07:00:00.000Z',
        '2027-04-19T07:00:00.000Z',
      ]);
    });

    it('keeps what another client wrote (its alarms, X- properties, attendees and their answers) through CRM edits', async () => {
      const lines = (ics: string): string[] => ics.split(/\r?\n/).filter(Boolean);
      const other = [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//Apple Inc.//macOS 14.0//EN',
        'BEGIN:VEVENT',
        'UID:other-client-keep-1',
        'DTSTAMP:20270101T120000Z',
        'DTSTART:20270310T090000Z',
        'DTEND:20270310T100000Z',
        'SUMMARY:Quarterly review',
        'X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC',
        'X-CRM-CONNECTOR-ID:crm-keep',
        'ORGANIZER;CN=Alice:mailto:alice@example.com',
        'ATTENDEE;CN=Carol;PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:carol@customer.example',
        'ATTENDEE;CN=Dave Smith;PARTSTAT=TENTATIVE;ROLE=OPT-PARTICIPANT:mailto:dave@customer.example',
        'BEGIN:VALARM',
        'ACTION:DISPLAY',
        'DESCRIPTION:Leave now',
        'TRIGGER:-PT45M',
        'X-WR-ALARMUID:7A1B2C3D-0001',
        'UID:7A1B2C3D-0001',
        'END:VALARM',
        'BEGIN:VALARM',
        'ACTION:AUDIO',
        'TRIGGER;VALUE=DATE-TIME:20270309T180000Z',
        'X-APPLE-DEFAULT-ALARM:TRUE',
        'END:VALARM',
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n');
      await radicale.seed(calendarId, [{ name: 'other-client-keep-1.ics', ics: other }]);
      const [found] = await open().findByTag(calendarId, ['crm-keep']);
      if (!found) throw new Error('seeded event not found');
      const before = lines(await raw(found.id));
      const alarms = (ls: string[]): string[] => {
        const out: string[] = [];
        let inAlarm = false;
        let cur: string[] = [];
        for (const l of ls) {
          if (l === 'BEGIN:VALARM') [inAlarm, cur] = [true, []];
          if (inAlarm) cur.push(l);
          if (l === 'END:VALARM') {
            inAlarm = false;
            out.push(cur.join('\n'));
          }
        }
        return out;
      };
      const userAlarms = alarms(before).filter((a) => !a.includes('X-CRM-CONNECTOR-ALARM'));
      expect(userAlarms).toHaveLength(2);
      const kept = before.filter((l) => /^(X-APPLE-TRAVEL|ATTENDEE)/.test(l));
      expect(kept).toHaveLength(3);

      // The CRM side edits subject, time, reminder and adds one attendee, one write after the other.
      const base = { attendees: [{ email: 'carol@customer.example' }, { email: 'dave@customer.example' }] };
      const edits: Partial<SyncedFields>[] = [
        { ...base, subject: 'Quarterly review (moved)' },
        {
          ...base,
          subject: 'Quarterly review (moved)',
          timing: {
            kind: 'timed',
            start: '2027-03-11T13:00:00.000Z',
            end: '2027-03-11T14:00:00.000Z',
            timeZone: 'UTC',
          },
          reminderMinutes: 10,
        },
        {
          subject: 'Quarterly review (moved)',
          timing: {
            kind: 'timed',
            start: '2027-03-11T13:00:00.000Z',
            end: '2027-03-11T14:00:00.000Z',
            timeZone: 'UTC',
          },
          reminderMinutes: 5,
          attendees: [...base.attendees, { email: 'erin@customer.example', name: 'Erin' }],
        },
      ];
      let version = found.version;
      let last = found;
      for (const over of edits) {
        const [w] = await open().writeEvents(calendarId, [
          { op: 'update', id: found.id, ifMatch: version, draft: draft('crm-keep', over, { sendInvitations: true }) },
        ]);
        if (!w?.ok || !w.value) throw new Error(`update failed: ${JSON.stringify(w)}`);
        version = w.value.version;
        last = w.value;
      }
      expect(last.fields).toMatchObject({ subject: 'Quarterly review (moved)', reminderMinutes: 5 });
      expect(last.fields.attendees.map((a) => a.email).sort()).toEqual([
        'carol@customer.example',
        'dave@customer.example',
        'erin@customer.example',
      ]);
      const after = lines(await raw(found.id));
      const afterAlarms = alarms(after);
      // The user's two alarms byte for byte, plus exactly one alarm of ours with the last reminder.
      expect(afterAlarms.filter((a) => !a.includes('X-CRM-CONNECTOR-ALARM'))).toEqual(userAlarms);
      const ours = afterAlarms.filter((a) => a.includes('X-CRM-CONNECTOR-ALARM'));
      expect(ours).toHaveLength(1);
      expect(ours[0]).toMatch(/TRIGGER:-PT5M/);
      for (const line of kept) expect(after).toContain(line);
      expect(after.filter((l) => /^ATTENDEE/.test(l))).toHaveLength(3);
      expect(after.some((l) => /^ATTENDEE.*:mailto:erin@customer\.example$/.test(l))).toBe(true);

      // The CRM drops Dave and the reminder: only his line and our alarm go.
      const [dropped] = await open().writeEvents(calendarId, [
        {
          op: 'update',
          id: found.id,
          ifMatch: version,
          draft: draft(
            'crm-keep',
            {
              ...edits[2],
              attendees: [{ email: 'carol@customer.example' }, { email: 'erin@customer.example' }],
              reminderMinutes: null,
            },
            { sendInvitations: true },
          ),
        },
      ]);
      if (!dropped?.ok || !dropped.value) throw new Error('update failed');
      const final = lines(await raw(found.id));
      expect(alarms(final)).toEqual(userAlarms);
      expect(final).toContain(kept.find((l) => l.includes('carol@'))!);
      expect(final).toContain(kept.find((l) => l.startsWith('X-APPLE'))!);
      expect(final.some((l) => l.includes('dave@customer.example'))).toBe(false);
    });

    it('keeps every property it does not map (PRIORITY, COLOR, CATEGORIES, CLASS, URL, GEO, RFC 7986…) through CRM edits', async () => {
      const lines = (ics: string): string[] => ics.split(/\r?\n/).filter(Boolean);
      // Thunderbird / Apple style: properties of RFC 5545 and RFC 7986 the connector does not sync, and values of
      // mapped properties written in forms the connector would not write (CLASS:CONFIDENTIAL, LOCATION;ALTREP).
      const other = [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN',
        'BEGIN:VEVENT',
        'UID:other-client-props-1',
        'CREATED:20270101T110000Z',
        'DTSTAMP:20270101T120000Z',
        'LAST-MODIFIED:20270101T120000Z',
        'DTSTART:20270410T090000Z',
        'DTEND:20270410T100000Z',
        'SUMMARY:Pipeline review',
        'DESCRIPTION:Bring the forecast',
        'LOCATION;ALTREP="https://rooms.example/12":Room 12',
        'CLASS:CONFIDENTIAL',
        'TRANSP:TRANSPARENT',
        'PRIORITY:3',
        'COLOR:mediumseagreen',
        'CATEGORIES:Customer,Q2',
        'URL;VALUE=URI:https://example.com/agenda',
        'GEO:48.137154;11.576124',
        'RESOURCES:Projector,Whiteboard',
        'STATUS:CONFIRMED',
        'CONFERENCE;VALUE=URI;FEATURE=AUDIO,VIDEO;LABEL=Join:https://meet.example/abc',
        'IMAGE;VALUE=URI;DISPLAY=BADGE:https://example.com/badge.png',
        'ATTACH;FMTTYPE=application/pdf:https://example.com/forecast.pdf',
        'CONTACT:Jim Dolittle\\, ABC Industries\\, +1-919-555-1234',
        'COMMENT:Seen by legal',
        'X-MOZ-GENERATION:3',
        'X-MOZ-LASTACK:20270101T120000Z',
        'X-CRM-CONNECTOR-ID:crm-props',
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n');
      await radicale.seed(calendarId, [{ name: 'other-client-props-1.ics', ics: other }]);
      const [found] = await open().findByTag(calendarId, ['crm-props']);
      if (!found) throw new Error('seeded event not found');
      expect(found.fields).toMatchObject({ visibility: 'private', showAs: 'free', location: 'Room 12' });
      const before = lines(await raw(found.id));
      // What the connector maps and rewrites when it changes; everything else must stay as the server stored it.
      const mapped =
        /^(SUMMARY|DTSTART|DTEND|DESCRIPTION|DTSTAMP|LAST-MODIFIED|SEQUENCE|ACTION|TRIGGER|X-CRM-CONNECTOR-ALARM)[;:]|^(BEGIN|END):VALARM$/;
      const keptBefore = before.filter((l) => !mapped.test(l));
      for (const l of ['PRIORITY:3', 'COLOR:mediumseagreen', 'CLASS:CONFIDENTIAL', 'TRANSP:TRANSPARENT'])
        expect(keptBefore).toContain(l);

      // Several CRM edits: subject, time, description, reminder — never visibility, place, free/busy or priority.
      const same = { visibility: 'private' as const, showAs: 'free' as const, location: 'Room 12', attendees: [] };
      const moved = {
        kind: 'timed' as const,
        start: '2027-04-11T13:00:00.000Z',
        end: '2027-04-11T14:00:00.000Z',
        timeZone: 'UTC',
      };
      const original = {
        kind: 'timed' as const,
        start: '2027-04-10T09:00:00.000Z',
        end: '2027-04-10T10:00:00.000Z',
        timeZone: 'UTC',
      };
      const edits: Partial<SyncedFields>[] = [
        {
          ...same,
          subject: 'Pipeline review (v2)',
          body: 'Bring the forecast',
          reminderMinutes: null,
          timing: original,
        },
        { ...same, subject: 'Pipeline review (v2)', body: 'Bring the forecast', reminderMinutes: null, timing: moved },
        { ...same, subject: 'Pipeline review (v3)', body: 'Bring the forecast and the pipeline', timing: moved },
        {
          ...same,
          subject: 'Pipeline review (v3)',
          body: 'Bring the forecast and the pipeline',
          timing: moved,
          reminderMinutes: 5,
        },
      ];
      let version = found.version;
      for (const over of edits) {
        const [w] = await open().writeEvents(calendarId, [
          { op: 'update', id: found.id, ifMatch: version, draft: draft('crm-props', over, { crmUrl: null }) },
        ]);
        if (!w?.ok || !w.value) throw new Error(`update failed: ${JSON.stringify(w)}`);
        version = w.value.version;
        const now = lines(await raw(found.id));
        // Byte for byte (after unfolding): every line the connector does not own, after each edit.
        expect(now.filter((l) => !mapped.test(l)).sort()).toEqual([...keptBefore].sort());
      }
      const [reread] = await open().findByTag(calendarId, ['crm-props']);
      expect(reread!.fields).toMatchObject({
        subject: 'Pipeline review (v3)',
        reminderMinutes: 5,
        visibility: 'private',
      });

      // A CRM priority is the connector's to write (PRIORITY/COLOR), and a visibility change rewrites CLASS; the
      // rest still stays.
      const [p] = await open().writeEvents(calendarId, [
        {
          op: 'update',
          id: found.id,
          ifMatch: version,
          draft: draft('crm-props', { ...edits[3], visibility: 'normal' }, { crmUrl: null, priority: 'high' }),
        },
      ]);
      if (!p?.ok || !p.value) throw new Error('update failed');
      const final = lines(await raw(found.id));
      expect(final).toEqual(expect.arrayContaining(['PRIORITY:1', 'COLOR:red', 'CLASS:PUBLIC']));
      for (const l of ['PRIORITY:3', 'COLOR:mediumseagreen', 'CLASS:CONFIDENTIAL']) expect(final).not.toContain(l);
      const untouched = keptBefore.filter((l) => !/^(PRIORITY|COLOR|CLASS)[;:]/.test(l));
      expect(final).toEqual(expect.arrayContaining(untouched));
    });

    it('finds events by tag exactly (text-match is a substring match)', async () => {
      const p = open();
      await p.writeEvents(calendarId, [
        { op: 'create', idempotencyKey: 'tag-42', draft: draft('crm-42', { attendees: [] }) },
        { op: 'create', idempotencyKey: 'tag-421', draft: draft('crm-421', { attendees: [] }) },
      ]);
      const found = await open().findByTag(calendarId, ['crm-42']);
      expect(found.map((e) => e.crmTag)).toEqual(['crm-42']);
      const many = await open().findByTag(
        calendarId,
        Array.from({ length: 12 }, (_, i) => `crm-4${i}`).concat('crm-42', 'crm-421'),
      );
      expect(many.map((e) => e.crmTag).sort()).toEqual(['crm-42', 'crm-421']);
    });

    it('refuses hrefs that lead to a host the allow-list does not name, as a provider error', async () => {
      const p = open();
      await expect(p.listChanges('http://169.254.169.254/latest/', null, window)).rejects.toMatchObject({
        name: 'ProviderError',
        kind: 'permanent',
      });
      await expect(p.findByTag('https://10.0.0.1/cal/', ['crm-x'])).rejects.toMatchObject({ kind: 'permanent' });
    });

    it('lets the server schedule when invitations are allowed, and silences it before a delete without cancellations', async () => {
      const [c] = await open().writeEvents(calendarId, [
        { op: 'create', idempotencyKey: 'invite-1', draft: draft('crm-invite', {}, { sendInvitations: true }) },
      ]);
      if (!c?.ok || !c.value) throw new Error('create failed');
      expect(await raw(c.value.id)).not.toContain('SCHEDULE-AGENT');
      const counter = newCounter();
      const [d] = await open(counter).writeEvents(calendarId, [
        { op: 'delete', id: c.value.id, ifMatch: c.value.version, sendCancellations: false },
      ]);
      expect(d).toEqual({ ok: true, value: null });
      // GET (the stored attendees), PUT with SCHEDULE-AGENT=CLIENT, then DELETE.
      expect(counter).toEqual({ requests: 3, writes: 2, sent: ['GET', 'PUT', 'DELETE'] });
    });

    it('leaves events outside the window out of a full listing', async () => {
      const p = open();
      await p.writeEvents(calendarId, [
        {
          op: 'create',
          idempotencyKey: 'old',
          draft: draft('crm-old', {
            timing: {
              kind: 'timed',
              start: '2019-01-01T09:00:00.000Z',
              end: '2019-01-01T10:00:00.000Z',
              timeZone: 'UTC',
            },
          }),
        },
      ]);
      const listed = await open().listChanges(calendarId, null, window);
      expect(listed.upserts.some((e) => e.crmTag === 'crm-old')).toBe(false);
    });

    it('a listing filter: each multiget answer is filtered as it comes; a rejected series keeps its moved occurrence', async () => {
      const bulk = await radicale.makeCalendar('alice', 'bulk', 'Bulk');
      // Resources three at a time per calendar-multiget, so the full listing below takes several requests.
      const small = (counter?: RequestCounter) =>
        new CalDavCalendarProvider({
          client: new DavClient(testEnv([radicale.hostPort], counter).safeFetch, {
            username: 'alice',
            password: 'alice-app-password',
          }),
          homeUrl: connection.url!,
          self: { addresses: [] },
          account: 'alice',
          now: worldClock,
          multigetSize: 3,
        });
      for (const k of [1, 2, 3, 4, 5]) {
        const timing = {
          kind: 'timed' as const,
          start: `2027-06-0${k}T09:00:00.000Z`,
          end: `2027-06-0${k}T10:00:00.000Z`,
          timeZone: 'UTC',
        };
        await open().writeEvents(bulk, [
          { op: 'create', idempotencyKey: `bulk-${k}`, draft: draft(`crm-bulk-${k}`, { timing }) },
        ]);
      }
      const p = open();
      const series = draft('crm-kept-series', {
        timing: { kind: 'timed', start: '2027-04-05T07:00:00.000Z', end: '2027-04-05T07:30:00.000Z', timeZone: 'UTC' },
        recurrence: { rrule: 'FREQ=WEEKLY;COUNT=6;BYDAY=MO', exdates: [] },
        attendees: [],
      });
      const [created] = await p.writeEvents(bulk, [{ op: 'create', idempotencyKey: 'kept-series', draft: series }]);
      if (!created?.ok || !created.value) throw new Error('create failed');
      const moved = draft(
        'crm-kept-series',
        {
          subject: 'Moved',
          timing: {
            kind: 'timed',
            start: '2027-04-12T09:00:00.000Z',
            end: '2027-04-12T09:30:00.000Z',
            timeZone: 'UTC',
          },
          attendees: [],
        },
        { occurrence: { seriesId: created.value.id, originalStart: '2027-04-12T07:00:00.000Z' } },
      );
      const [occ] = await p.writeEvents(bulk, [{ op: 'create', idempotencyKey: 'kept-occ', draft: moved }]);
      if (!occ?.ok || !occ.value) throw new Error('override failed');
      // From after the moved occurrence: it is listed only because its master is.
      const late: ListWindow = { from: '2027-04-20T00:00:00.000Z', to: null };
      const all = await small().listChanges(bulk, null, late);
      expect(all.upserts).toHaveLength(7);
      expect(all.upserts.map((e) => e.id)).toEqual(expect.arrayContaining([created.value.id, occ.value.id]));
      const rejected = new Set([created.value.id, ...all.upserts.filter((_, n) => n % 2 === 0).map((e) => e.id)]);
      rejected.delete(occ.value.id);
      const counter = newCounter();
      const asked: string[] = [];
      let firstAskAt = -1;
      const lister = small(counter);
      const kept = await lister.listChanges(bulk, null, late, (ev) => {
        if (firstAskAt < 0) firstAskAt = counter.requests;
        asked.push(ev.id);
        return !rejected.has(ev.id);
      });
      expect(asked.sort()).toEqual(all.upserts.map((e) => e.id).sort());
      expect(kept.upserts).toEqual(all.upserts.filter((e) => !rejected.has(e.id)));
      expect(kept.upserts.map((e) => e.id)).toContain(occ.value.id);
      expect(kept.nextCursor).toBe(all.nextCursor);
      expect(firstAskAt).toBeLessThan(counter.requests); // the first answer is filtered before the next is asked for
      // What the filter left out is not held, yet still found by its tag and writable (read again first).
      const left = all.upserts.find((e) => rejected.has(e.id) && e.crmTag?.startsWith('crm-bulk-'))!;
      expect((await lister.findByTag(bulk, [left.crmTag!])).map((e) => e.id)).toEqual([left.id]);
      const [updated] = await lister.writeEvents(bulk, [
        { op: 'update', id: left.id, ifMatch: left.version, draft: draft(left.crmTag!, { subject: 'Renamed' }) },
      ]);
      expect(updated).toMatchObject({ ok: true, value: { id: left.id, fields: { subject: 'Renamed' } } });
    });
  });

  it('reads multigets in smaller slices when an answer is larger than one request may read', async () => {
    const cal = await radicale.makeCalendar('alice', 'large-answers');
    const timing = (k: number) => ({
      kind: 'timed' as const,
      start: `2027-06-0${k}T09:00:00.000Z`,
      end: `2027-06-0${k}T10:00:00.000Z`,
      timeZone: 'UTC',
    });
    for (const k of [1, 2, 3, 4]) {
      await open().writeEvents(cal, [
        { op: 'create', idempotencyKey: `large-${k}`, draft: draft(`crm-large-${k}`, { timing: timing(k) }) },
      ]);
    }
    // One event whose data alone is over the bound (random text: gzip cannot shrink it below).
    const noise = Array.from({ length: 6000 }, (_, i) => ((i * 2654435761) % 4294967296).toString(36)).join(' ');
    const [big] = await open().writeEvents(cal, [
      { op: 'create', idempotencyKey: 'large-big', draft: draft('crm-large-big', { timing: timing(5), body: noise }) },
    ]);
    if (!big?.ok || !big.value) throw new Error('create failed');
    const bound = createSafeFetch({ allowedPrivateHosts: [radicale.hostPort] }, { maxResponseBytes: 20_000 });
    const bounded = new CalDavCalendarProvider({
      client: new DavClient(bound, { username: 'alice', password: 'alice-app-password' }),
      homeUrl: connection.url!,
      self: { addresses: [] },
      account: 'alice',
      now: worldClock,
      multigetSize: 200,
    });
    const listed = await bounded.listChanges(cal, null, window);
    expect(listed.upserts.map((e) => e.crmTag).sort()).toEqual([1, 2, 3, 4].map((k) => `crm-large-${k}`));
    expect(listed.skipped).toEqual([
      { id: big.value.id, reason: expect.stringMatching(/larger than one request may read/) },
    ]);
    expect(listed.removedIds).toEqual([]);
  });

  describe('a steady listing asks the ctag first', () => {
    const auth = `Basic ${Buffer.from('alice:alice-app-password').toString('base64')}`;
    const counted = (): [CalendarProvider, RequestCounter] => {
      const counter = newCounter();
      return [open(counter), counter];
    };
    async function created(p: CalendarProvider, cal: string, key: string) {
      const [c] = await p.writeEvents(cal, [{ op: 'create', idempotencyKey: key, draft: draft(`crm-${key}`) }]);
      if (!c?.ok || !c.value) throw new Error('create failed');
      return c.value;
    }
    /** Another client renames an event (a plain PUT of its stored body). */
    async function renameElsewhere(href: string, subject: string): Promise<void> {
      const body = (await raw(href)).replace(/^SUMMARY:.*$/m, `SUMMARY:${subject}`);
      const res = await fetch(`${radicale.origin}${href}`, {
        method: 'PUT',
        headers: { authorization: auth, 'content-type': 'text/calendar; charset=utf-8' },
        body,
      });
      expect(res.status).toBeLessThan(300);
    }

    it('an unchanged calendar costs one PROPFIND; a change elsewhere is still listed through sync-collection', async () => {
      const cal = await radicale.makeCalendar('alice', 'ctag-steady');
      const a = await created(open(), cal, 'ctag-a');
      const first = await open().listChanges(cal, null, window);
      expect(JSON.parse(first.nextCursor)).toMatchObject({ mode: 'sync', ctag: expect.stringMatching(/.+/) });

      const [quiet, quietCount] = counted();
      const unchanged = await quiet.listChanges(cal, first.nextCursor, window);
      expect(unchanged).toMatchObject({ full: false, upserts: [], removedIds: [] });
      expect(quietCount.sent).toEqual(['PROPFIND']);
      expect(JSON.parse(unchanged.nextCursor)).toEqual(JSON.parse(first.nextCursor));

      await renameElsewhere(a.id, 'Renamed elsewhere');
      const [busy, busyCount] = counted();
      const changed = await busy.listChanges(cal, unchanged.nextCursor, window);
      expect(changed.upserts.map((e) => e.fields.subject)).toEqual(['Renamed elsewhere']);
      expect(busyCount.sent).toEqual(['PROPFIND', 'REPORT sync-collection', 'REPORT calendar-multiget']);

      // The ctag kept is the one read before that listing: the next run is quiet again.
      const [after, afterCount] = counted();
      expect((await after.listChanges(cal, changed.nextCursor, window)).upserts).toEqual([]);
      expect(afterCount.sent).toEqual(['PROPFIND']);
    });

    it('the ctag probe asks for its few bytes uncompressed', async () => {
      const cal = await radicale.makeCalendar('alice', 'ctag-identity');
      await created(open(), cal, 'ctag-identity');
      const first = await open().listChanges(cal, null, window);
      const env = testEnv([radicale.hostPort]);
      const seen: { method: string; depth?: string; asked?: string; answered: string | null }[] = [];
      const p = caldavConnector.open(
        connection,
        {
          ...env,
          safeFetch: async (input, init) => {
            const res = await env.safeFetch(input, init);
            const headers = (init?.headers ?? {}) as Record<string, string>;
            seen.push({
              method: init?.method ?? 'GET',
              depth: headers.depth,
              asked: headers['accept-encoding'],
              answered: res.headers.get('content-encoding'),
            });
            return res;
          },
        },
        { saveSecrets: async () => {} },
      );
      expect((await p.listChanges(cal, first.nextCursor, window)).upserts).toEqual([]);
      expect(seen).toEqual([{ method: 'PROPFIND', depth: '0', asked: 'identity', answered: null }]);
    });

    it('our own creates since the last listing are confirmed by sync-collection whatever the ctag says', async () => {
      const cal = await radicale.makeCalendar('alice', 'ctag-pending');
      const first = await open().listChanges(cal, null, window);
      const writer = open();
      const x = await created(writer, cal, 'ctag-x');
      const cursor = writer.cursorAfterWrites?.(cal, first.nextCursor) ?? first.nextCursor;
      const [p, count] = counted();
      const next = await p.listChanges(cal, cursor, window);
      expect(next.upserts.map((e) => e.id)).toEqual([x.id]);
      expect(count.sent.slice(0, 2)).toEqual(['PROPFIND', 'REPORT sync-collection']);
      expect(JSON.parse(next.nextCursor).pending).toBeUndefined();
    });

    it('a cursor written before the ctag was kept is listed as before and gains one', async () => {
      const cal = await radicale.makeCalendar('alice', 'ctag-old-cursor');
      await created(open(), cal, 'ctag-old');
      const first = await open().listChanges(cal, null, window);
      const { ctag: _dropped, ...old } = JSON.parse(first.nextCursor) as Record<string, unknown>;
      const [p, count] = counted();
      const next = await p.listChanges(cal, JSON.stringify(old), window);
      expect(next.upserts).toEqual([]);
      expect(count.sent).toEqual(['PROPFIND', 'REPORT sync-collection']);
      expect(JSON.parse(next.nextCursor)).toMatchObject({ ctag: expect.stringMatching(/.+/) });
    });

    it('a server that offers no ctag is asked for one once, then listed by sync-collection alone', async () => {
      // Answers every PROPFIND without getctag (as a server without CalendarServer's extension would).
      const proxy = await startDavProxy(radicale.origin, {
        response: (method, _request, body) =>
          method === 'PROPFIND' ? body.replace(/<(\w+:)?getctag>[^<]*<\/\1getctag>/g, '') : body,
      });
      try {
        const conn = await caldavConnector.connect!(
          { method: 'app-password', url: proxy.origin, fields: { username: 'alice', password: 'alice-app-password' } },
          testEnv([proxy.host]),
        );
        const cal = await radicale.makeCalendar('alice', 'ctag-none');
        const first = await caldavConnector
          .open(conn, testEnv([proxy.host]), { saveSecrets: async () => {} })
          .listChanges(cal, null, window);
        expect(JSON.parse(first.nextCursor)).toMatchObject({ mode: 'sync', ctag: '' });
        const counter = newCounter();
        const p = caldavConnector.open(conn, testEnv([proxy.host], counter), { saveSecrets: async () => {} });
        await p.listChanges(cal, first.nextCursor, window);
        expect(counter.sent).toEqual(['REPORT sync-collection']);
      } finally {
        await proxy.close();
      }
    });
  });

  describe('answers other servers give (a proxy in front of the real one)', () => {
    const user = { username: 'alice', password: 'alice-app-password' };
    async function remove(href: string): Promise<void> {
      const res = await fetch(`${radicale.origin}${href}`, {
        method: 'DELETE',
        headers: { authorization: `Basic ${Buffer.from('alice:alice-app-password').toString('base64')}` },
      });
      expect(res.status).toBeLessThan(300);
    }
    async function through(proxy: DavProxy) {
      const conn = await caldavConnector.connect!(
        { method: 'app-password', url: proxy.origin, fields: user },
        testEnv([proxy.host]),
      );
      return () => caldavConnector.open(conn, testEnv([proxy.host]), { saveSecrets: async () => {} });
    }
    async function created(p: CalendarProvider, cal: string, key: string) {
      const [c] = await p.writeEvents(cal, [{ op: 'create', idempotencyKey: key, draft: draft(`crm-${key}`) }]);
      if (!c?.ok || !c.value) throw new Error('create failed');
      return c.value;
    }

    it('an unknown sync token answered with a full listing (not 403) does not hide a deletion', async () => {
      // Every sync-collection is answered as if its token were unknown: a complete listing, no 404 members.
      const proxy = await startDavProxy(radicale.origin, {
        response: (method, request, body) =>
          method === 'REPORT' && request.includes('sync-collection') ? withoutNotFound(body) : body,
        request: (method, body) =>
          method === 'REPORT' && body.includes('sync-collection')
            ? body.replace(/<D:sync-token>[^<]*<\/D:sync-token>/, '<D:sync-token></D:sync-token>')
            : body,
      });
      try {
        const p = await through(proxy);
        const cal = await radicale.makeCalendar('alice', 'lenient-tokens');
        const a = await created(p(), cal, 'lenient-a');
        const b = await created(p(), cal, 'lenient-b');
        const first = await p().listChanges(cal, null, window);
        expect(first.upserts.map((e) => e.id).sort()).toEqual([a.id, b.id].sort());
        await remove(a.id);
        const second = await p().listChanges(cal, first.nextCursor, window);
        expect(second.removedIds).toEqual([a.id]);
      } finally {
        await proxy.close();
      }
    });

    it('answers that leave deleted members out still show the deletion of an event the connector created', async () => {
      const proxy = await startDavProxy(radicale.origin, {
        response: (method, _request, body) => (method === 'REPORT' ? withoutNotFound(body) : body),
      });
      try {
        const p = await through(proxy);
        const cal = await radicale.makeCalendar('alice', 'left-out');
        await created(p(), cal, 'left-out-keep');
        const first = await p().listChanges(cal, null, window);
        const writer = p();
        const x = await created(writer, cal, 'left-out-x');
        // The engine stores the cursor the provider gives after the run's writes.
        const cursor = writer.cursorAfterWrites?.(cal, first.nextCursor) ?? first.nextCursor;
        await remove(x.id);
        const second = await p().listChanges(cal, cursor, window);
        expect(second.removedIds).toEqual([x.id]);
        expect(second.upserts).toEqual([]);
      } finally {
        await proxy.close();
      }
    });
  });

  describe('a server without sync-collection', () => {
    let proxy: http.Server;
    let proxyOrigin: string;
    beforeAll(async () => {
      // Stands in for servers that lack RFC 6578: refuses the REPORT, forwards everything else to Radicale.
      proxy = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          if (req.method === 'REPORT' && body.toString().includes('sync-collection')) {
            res.writeHead(403, { 'content-type': 'text/plain' }).end('sync-collection not supported');
            return;
          }
          const upstream = http.request(
            `${radicale.origin}${req.url}`,
            { method: req.method, headers: req.headers },
            (up) => {
              res.writeHead(up.statusCode ?? 502, up.headers);
              up.pipe(res);
            },
          );
          upstream.end(body);
        });
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      proxyOrigin = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((r) => proxy.close(r));
    });

    it('falls back to ctag + etag listing and still sees changes and deletions', async () => {
      const host = new URL(proxyOrigin).host;
      const conn = await caldavConnector.connect!(
        { method: 'app-password', url: proxyOrigin, fields: { username: 'alice', password: 'alice-app-password' } },
        testEnv([host]),
      );
      const env = testEnv([host]);
      const p = () => caldavConnector.open(conn, env, { saveSecrets: async () => {} });
      const cal = await radicale.makeCalendar('alice', 'legacy');
      const first = await p().listChanges(cal, null, window);
      expect(JSON.parse(first.nextCursor)).toMatchObject({ mode: 'etag' });
      const [c] = await p().writeEvents(cal, [{ op: 'create', idempotencyKey: 'legacy-1', draft: draft('crm-l1') }]);
      if (!c?.ok || !c.value) throw new Error('create failed');
      const counter = newCounter();
      const unchanged = await caldavConnector
        .open(conn, testEnv([host], counter), { saveSecrets: async () => {} })
        .listChanges(cal, (await p().listChanges(cal, first.nextCursor, window)).nextCursor, window);
      expect(unchanged.upserts).toEqual([]);
      expect(counter.requests).toBe(1); // the ctag alone says nothing changed
      const second = await p().listChanges(cal, first.nextCursor, window);
      expect(second.upserts.map((e) => e.crmTag)).toEqual(['crm-l1']);
      await p().writeEvents(cal, [{ op: 'delete', id: c.value.id, ifMatch: c.value.version, sendCancellations: true }]);
      const third = await p().listChanges(cal, second.nextCursor, window);
      expect(third.removedIds).toEqual([c.value.id]);
    });
  });
});
