/** The engine property harness's world on the in-memory providers. */
import { MemoryCalendar, MemoryCrm } from '../../src/sync';
import type { CalendarCapabilities, CrmCapabilities } from '../../src/sync/ports';
import type { EngineWorld } from '../support/engine-properties';

export function memoryWorld(caps: { crm?: Partial<CrmCapabilities>; cal?: Partial<CalendarCapabilities> } = {}) {
  return async (): Promise<EngineWorld> => {
    const userEmail = 'me@example.com';
    let t = Date.parse('2026-11-21T09:00:00.000Z');
    // A clock that moves one second per read, so modification times order edits (most-recent-wins).
    const now = (): Date => new Date((t += 1000));
    const crm = new MemoryCrm({ userEmail, capabilities: caps.crm ?? {}, now });
    const calendar = new MemoryCalendar({ userEmail, capabilities: caps.cal ?? {}, now });
    return {
      crm,
      calendar,
      calendarId: 'primary',
      userEmail,
      now: new Date(t),
      calendarControl: {
        create: async (calendarId, input) => calendar.userCreate(calendarId, input).id,
        update: async (id, patch) => void calendar.userUpdate(id, patch),
        cancel: async (id) => calendar.userCancel(id),
        delete: async (id) => calendar.userDelete(id),
        list: async (calendarId) => calendar.all(calendarId),
      },
      crmControl: {
        create: async (input) => crm.userCreate(input).id,
        update: async (id, patch) => void crm.userUpdate(id, patch),
        setFlag: async (id, value) => crm.userSetFlag(id, value),
        archive: async (id) => crm.userArchive(id),
        delete: async (id) => crm.userDelete(id),
        list: async () => crm.all(),
      },
      cleanup: async () => undefined,
    };
  };
}
