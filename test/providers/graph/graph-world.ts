/** The engine property harness's world on the Graph provider and the Graph double (calendar) + memory CRM. */
import type { Event } from '@microsoft/microsoft-graph-types';
import { MemoryCrm } from '../../../src/sync/testing';
import type { SyncedFields } from '../../../src/sync/model';
import { openGraphProvider } from '../../../src/providers/calendar/graph';
import { tagPropertyId, toCalendarEvent } from '../../../src/providers/calendar/graph/mapping';
import { GraphDouble } from '../../support/graph-double/server';
import type { EngineWorld } from '../../support/engine-properties';

function utcWall(iso: string): string {
  return iso.slice(0, 19);
}

/** What Outlook would store for fields a user typed (attendees as real attendees: the user is not the connector). */
function toGraph(f: Partial<SyncedFields>): Event {
  const ev: Event = {};
  if (f.subject !== undefined) ev.subject = f.subject;
  if (f.body !== undefined) ev.body = { contentType: 'text', content: f.body };
  if (f.location !== undefined) ev.location = { displayName: f.location };
  if (f.visibility !== undefined) ev.sensitivity = f.visibility === 'private' ? 'private' : 'normal';
  if (f.showAs !== undefined) ev.showAs = f.showAs;
  if (f.reminderMinutes !== undefined) {
    ev.isReminderOn = f.reminderMinutes !== null;
    if (f.reminderMinutes !== null) ev.reminderMinutesBeforeStart = f.reminderMinutes;
  }
  if (f.attendees !== undefined) {
    ev.attendees = f.attendees.map((p) => ({
      emailAddress: { address: p.email, ...(p.name ? { name: p.name } : {}) },
      type: 'required',
    }));
  }
  if (f.timing) {
    if (f.timing.kind === 'all-day') {
      ev.isAllDay = true;
      ev.start = { dateTime: `${f.timing.startDate}T00:00:00`, timeZone: 'UTC' };
      ev.end = { dateTime: `${f.timing.endDate}T00:00:00`, timeZone: 'UTC' };
    } else {
      ev.isAllDay = false;
      ev.start = { dateTime: utcWall(f.timing.start), timeZone: 'UTC' };
      ev.end = { dateTime: utcWall(f.timing.end), timeZone: 'UTC' };
    }
  }
  if (f.recurrence) throw new Error('the Graph world does not generate user-made series');
  return ev;
}

export function graphWorld() {
  return async (): Promise<EngineWorld> => {
    const userEmail = 'me@example.com';
    const double = new GraphDouble(userEmail);
    const baseUrl = await double.start();
    // One clock for both sides, one second per read, so modification times order edits (most-recent-wins).
    let t = Date.parse('2026-11-21T09:00:00.000Z');
    const now = (): Date => new Date((t += 1000));
    double.state.now = now;
    const crm = new MemoryCrm({ userEmail, now });
    const calendar = openGraphProvider(
      {
        account: userEmail,
        env: { fetch: (u, i) => fetch(u, i), graphBaseUrl: baseUrl, now },
        getToken: () => Promise.resolve(double.token),
      },
      { sleep: async () => undefined },
    );
    const calendarId = double.state.defaultCalendarId;
    return {
      crm,
      calendar,
      calendarId,
      userEmail,
      now: new Date(t),
      clock: now,
      calendarControl: {
        create: async (cal, input) => {
          const s = double.userCreate(toGraph(input.fields), cal);
          if (input.fields.timing.kind === 'timed') s.ev.originalStartTimeZone = input.fields.timing.timeZone;
          if (!input.isOrganizer) {
            s.ev.isOrganizer = false;
            s.ev.organizer = { emailAddress: { address: 'organizer@elsewhere.test' } };
          }
          return s.ev.id!;
        },
        update: async (id, patch) => {
          // Outlook keeps a meeting's time zone when something else changes; the double's update does not.
          const before = double.state.events.get(id)?.ev.originalStartTimeZone;
          const zone = patch.timing?.kind === 'timed' ? patch.timing.timeZone : before;
          double.userUpdate(id, toGraph(patch));
          if (zone) double.state.events.get(id)!.ev.originalStartTimeZone = zone;
        },
        cancel: async (id) => {
          const s = double.state.events.get(id)!;
          s.ev.isCancelled = true;
          double.state.touch(s);
        },
        delete: async (id) => double.userDelete(id),
        list: async (cal) => double.snapshot(cal, tagPropertyId).map((ev) => toCalendarEvent(ev, cal, userEmail)),
      },
      crmControl: {
        create: async (input) => crm.userCreate(input).id,
        update: async (id, patch) => void crm.userUpdate(id, patch),
        setFlag: async (id, value) => crm.userSetFlag(id, value),
        archive: async (id) => crm.userArchive(id),
        delete: async (id) => crm.userDelete(id),
        list: async () => crm.all(),
      },
      cleanup: async () => {
        // Never-mode runs must not have mailed anyone; the harness checks the writes, this checks Graph's side.
        await double.stop();
      },
    };
  };
}
