/**
 * The engine with the CalDAV provider on a real CalDAV server (Radicale or Xandikos) and the engine's in-memory CRM and status store:
 * one calendar per world, and helpers that act as another CalDAV client (a user in Apple Calendar, Thunderbird…).
 */
import { randomUUID } from 'node:crypto';
import { caldavConnector } from '../../../src/providers/calendar/caldav/connector';
import type { Connection } from '../../../src/providers/connector';
import { defaultSettings, type SyncSettings } from '../../../src/shared/settings';
import type { RunReport } from '../../../src/shared/run-report';
import { runSync, type EngineContext } from '../../../src/sync';
import { MemoryCrm, MemoryStatusStore } from '../../../src/sync/testing';
import type { SyncedFields } from '../../../src/sync/model';
import type { CalendarProvider, CrmCapabilities } from '../../../src/sync/ports';
import { parseMultistatus, propText } from '../../../src/providers/calendar/caldav/multistatus';
import type { CalDavTestServer } from '../../support/caldav-server';
import { newCounter, testEnv, WORLD_START, worldClock, type RequestCounter } from './env';

export const USER = 'alice@example.com';

export { WORLD_START, worldClock };

/** An instant `h` hours after the world's start, on the hour. */
export function hoursFromNow(h: number): string {
  const d = new Date(Date.parse(WORLD_START) + h * 3_600_000);
  d.setUTCMinutes(0, 0, 0);
  return d.toISOString();
}

export function meetingFields(over: Partial<SyncedFields> = {}, startH = 48): SyncedFields {
  return {
    subject: 'Quarterly review',
    timing: { kind: 'timed', start: hoursFromNow(startH), end: hoursFromNow(startH + 1), timeZone: 'Europe/Berlin' },
    body: 'Agenda',
    location: 'Room 1',
    visibility: 'normal',
    showAs: 'busy',
    attendees: [{ email: 'client@acme.test', name: 'Client' }],
    recurrence: null,
    reminderMinutes: 15,
    ...over,
  };
}

export interface CalDavWorld {
  calendarId: string;
  crm: MemoryCrm;
  store: MemoryStatusStore;
  ctx: EngineContext;
  counter: RequestCounter;
  /** `hideRemovals`: the listing leaves removed events out, as a server whose token misses a deletion would. */
  run(opts?: { confirmDeletions?: boolean; hideRemovals?: boolean }): Promise<RunReport>;
  setSettings(s: Partial<SyncSettings>): void;
  /** As another CalDAV client: raw resource access with the user's credentials. */
  raw: {
    list(): Promise<{ href: string; ics: string; etag: string }[]>;
    get(href: string): Promise<{ ics: string; etag: string }>;
    put(href: string, ics: string, etag?: string): Promise<number>;
    remove(href: string): Promise<number>;
  };
}

let worldNo = 0;

export async function makeWorld(
  radicale: CalDavTestServer,
  connection: Connection,
  settings: Partial<SyncSettings> = {},
  crmCapabilities: Partial<CrmCapabilities> = {},
): Promise<CalDavWorld> {
  const calendarId = await radicale.makeCalendar('alice', `w${++worldNo}-${randomUUID().slice(0, 8)}`);
  const counter = newCounter();
  const calendar = caldavConnector.open(connection, testEnv([radicale.hostPort], counter, worldClock), {
    saveSecrets: async () => {},
  });
  const crm = new MemoryCrm({ userEmail: USER, capabilities: crmCapabilities, now: worldClock });
  const store = new MemoryStatusStore();
  const ctx: EngineContext = {
    crm,
    calendar,
    store,
    settings: { ...defaultSettings, ...settings },
    userEmail: USER,
    calendars: { targetCalendarId: calendarId, sourceCalendarIds: [calendarId] },
    sleep: async () => undefined,
    now: worldClock,
  };
  const auth = `Basic ${Buffer.from(`alice:${radicale.users.alice ?? ''}`).toString('base64')}`;
  const url = (href: string): string => `${radicale.origin}${href}`;
  let runNo = 0;
  return {
    calendarId,
    crm,
    store,
    ctx,
    counter,
    // A fresh provider per run, as the server opens one per run (no state carried between runs).
    run: ({ hideRemovals, ...opts } = {}) => {
      const calendar = caldavConnector.open(connection, testEnv([radicale.hostPort], counter, worldClock), {
        saveSecrets: async () => {},
      });
      ctx.calendar = hideRemovals
        ? Object.assign(Object.create(calendar) as CalendarProvider, {
            listChanges: async (...args: Parameters<CalendarProvider['listChanges']>) => ({
              ...(await calendar.listChanges(...args)),
              removedIds: [],
            }),
          })
        : calendar;
      return runSync(ctx, { runId: `r${++runNo}`, trigger: 'manual', ...opts });
    },
    setSettings: (s) => {
      ctx.settings = { ...ctx.settings, ...s };
    },
    raw: {
      async list() {
        const res = await fetch(url(calendarId), {
          method: 'REPORT',
          headers: { authorization: auth, depth: '1', 'content-type': 'application/xml' },
          body: '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>',
        });
        // Each server spells its XML differently (Radicale: default namespace; Xandikos: ns0: prefixes).
        const ms = parseMultistatus(await res.text(), url(calendarId));
        const out: { href: string; ics: string; etag: string }[] = [];
        for (const r of ms.responses) {
          const ics = propText(r, 'calendar-data');
          if (ics)
            out.push({
              href: r.href,
              ics: unfold(ics.replace(/\r\n/g, '\n').replace(/\n/g, '\r\n')),
              etag: propText(r, 'getetag'),
            });
        }
        return out;
      },
      async get(href) {
        const res = await fetch(url(href), { headers: { authorization: auth } });
        return { ics: unfold(await res.text()), etag: res.headers.get('etag') ?? '' };
      },
      async put(href, ics, etag) {
        const res = await fetch(url(href), {
          method: 'PUT',
          headers: { authorization: auth, 'content-type': 'text/calendar', ...(etag ? { 'if-match': etag } : {}) },
          body: ics,
        });
        await res.body?.cancel();
        return res.status;
      },
      async remove(href) {
        const res = await fetch(url(href), { method: 'DELETE', headers: { authorization: auth } });
        await res.body?.cancel();
        return res.status;
      },
    },
  };
}

function unfold(ics: string): string {
  return ics.replace(/\r?\n[ \t]/g, '');
}

/** Replaces (or adds, before END:VEVENT of the first component) one property line. */
export function setLine(ics: string, name: string, value: string): string {
  const re = new RegExp(`^${name}(;[^:\\r\\n]*)?:.*$`, 'm');
  if (re.test(ics)) return ics.replace(re, `${name}:${value}`);
  return ics.replace(/END:VEVENT/, `${name}:${value}\r\nEND:VEVENT`);
}

/** Marks "the user edited this now" as real clients do (LAST-MODIFIED, DTSTAMP). */
export function touch(ics: string): string {
  const stamp = `${worldClock().toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
  return setLine(setLine(ics, 'LAST-MODIFIED', stamp), 'DTSTAMP', stamp);
}
