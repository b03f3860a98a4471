/**
 * The engine property harness's world on the Google double: the Google provider (connected through the real
 * OAuth code exchange), and a "user" editing events in Google Calendar's UI (the double's user* methods).
 */
import { googleConnector } from '../../../src/providers/calendar/google/connector';
import {
  eventBody,
  toCalendarEvent,
  type GoogleEvent,
  type MappingContext,
} from '../../../src/providers/calendar/google/event-mapping';
import { MemoryCrm } from '../../../src/sync/testing';
import type { SyncedFields } from '../../../src/sync/model';
import type { CrmCapabilities } from '../../../src/sync/ports';
import type { EngineWorld } from '../../support/engine-properties';
import { GoogleDouble } from '../../support/google-double/server';
import { connectGoogle, googleEnv } from '../../support/google-double/connect';
import { fixedClock } from '../../../src/shared/clock';

const calendarId = 'crm-items@group.calendar.google.com';

export async function googleWorld(options: { crmCapabilities?: Partial<CrmCapabilities> } = {}): Promise<EngineWorld> {
  // One clock for both sides, one second per read, so modification times order edits (most-recent-wins).
  const clock = fixedClock('2026-11-21T09:00:00.000Z', 1000);
  const google = await new GoogleDouble({ now: clock }).start();
  const env = googleEnv(google, clock);
  let connection = await connectGoogle(google, env);
  const calendar = googleConnector.open(connection, env, {
    saveSecrets: async (secrets) => {
      connection = { ...connection, secrets };
    },
  });
  const crm = new MemoryCrm({ userEmail: google.user, capabilities: options.crmCapabilities ?? {}, now: clock });
  const ctx: MappingContext = { calendarId, calendarZone: 'UTC', defaultReminderMinutes: null, selfEmail: google.user };
  const body = (fields: SyncedFields, tag: string | null) =>
    eventBody({ fields, crmTag: tag ?? '', crmUrl: null, sendInvitations: false, priority: null }, null);
  const mapped = (id: string) => {
    const raw = google.event(calendarId, id) as GoogleEvent | undefined;
    const ev = raw ? toCalendarEvent(raw, ctx) : null;
    if (!ev) throw new Error(`no event ${id}`);
    return ev;
  };
  return {
    crm,
    calendar,
    calendarId,
    userEmail: google.user,
    now: new Date('2026-11-21T09:00:00.000Z'),
    clock,
    calendarControl: {
      async create(calId, input) {
        const data = body(input.fields, null);
        if (!input.isOrganizer) data.organizer = { email: 'boss@client.test' };
        return String(google.userInsert(calId, data).id);
      },
      async update(id, patch) {
        const ev = mapped(id);
        google.userPatch(calendarId, id, body({ ...ev.fields, ...patch }, ev.crmTag));
      },
      // Google has no "cancelled but kept" state for an event: cancelling is deleting.
      cancel: async (id) => google.userDelete(calendarId, id),
      delete: async (id) => google.userDelete(calendarId, id),
      async list(calId) {
        // Google keeps deleted events as status "cancelled" for incremental sync only: they are not in the calendar.
        return google
          .eventsIn(calId)
          .filter((e) => e.status !== 'cancelled')
          .map((e) => toCalendarEvent(e as unknown as GoogleEvent, ctx))
          .filter((e): e is NonNullable<typeof e> => e !== null);
      },
    },
    crmControl: {
      create: async (input) => crm.userCreate({ ...input, ownerEmails: [google.user] }).id,
      update: async (id, patch) => void crm.userUpdate(id, patch),
      setFlag: async (id, value) => crm.userSetFlag(id, value),
      archive: async (id) => crm.userArchive(id),
      delete: async (id) => crm.userDelete(id),
      list: async () => crm.all(),
    },
    cleanup: () => google.stop(),
  };
}
