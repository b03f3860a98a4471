/** The engine property harness's world on the in-memory providers. */
import { MemoryCalendar, MemoryCrm } from '../../src/sync/testing';
import type { CalendarCapabilities, CrmCapabilities } from '../../src/sync/ports';
import type { EngineWorld } from '../support/engine-properties';
import { NotifyingCalendar } from './notifying-calendar';

export function memoryWorld(
  caps: { crm?: Partial<CrmCapabilities>; cal?: Partial<CalendarCapabilities> } = {},
  /** A calendar that, like Graph, mails the attendees of the user's meetings on any write (NotifyingCalendar). */
  opts: { notifying?: boolean } = {},
) {
  return async (): Promise<EngineWorld> => {
    const userEmail = 'me@example.com';
    let t = Date.parse('2026-11-21T09:00:00.000Z');
    // A clock that moves one second per read, so modification times order edits (most-recent-wins).
    const now = (): Date => new Date((t += 1000));
    const crm = new MemoryCrm({ userEmail, capabilities: caps.crm ?? {}, now });
    const calendar = new MemoryCalendar({ userEmail, capabilities: caps.cal ?? {}, now });
    const notifying = opts.notifying ? new NotifyingCalendar(calendar) : null;
    return {
      crm,
      calendar: notifying ?? calendar,
      calendarId: 'primary',
      userEmail,
      now: new Date(t),
      clock: now,
      calendarControl: {
        create: async (calendarId, input) => calendar.userCreate(calendarId, input).id,
        update: async (id, patch) => void calendar.userUpdate(id, patch),
        cancel: async (id) => calendar.userCancel(id),
        delete: async (id) => calendar.userDelete(id),
        list: async (calendarId) => calendar.all(calendarId).map((e) => notifying?.mark(e) ?? e),
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
        // The engine never asks such a calendar for a write that would mail attendees while invitations are off.
        if (notifying && notifying.refused.length > 0) {
          throw new Error(
            `silent writes to meetings with attendees: ${JSON.stringify(notifying.refused).slice(0, 300)}`,
          );
        }
      },
    };
  };
}
