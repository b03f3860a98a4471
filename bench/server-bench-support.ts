import type { CalendarConnector, CrmConnector } from '../src/providers/connector';
import type { ProviderRegistry } from '../src/server/connections/connection-service';
import { MemoryCalendar, MemoryCrm } from '../src/sync/testing';
import { systemClock } from '../src/shared/clock';

/** Connectors over the engine's in-memory providers, one account each, for the server benchmarks. */
export function memoryRegistry(): ProviderRegistry {
  const calendars = new Map<string, MemoryCalendar>();
  const crms = new Map<string, MemoryCrm>();
  const calendar: CalendarConnector = {
    descriptor: {
      id: 'memcal',
      side: 'calendar',
      label: 'Memory calendar',
      authMethods: [{ id: 'none', kind: 'none', label: 'None', fields: [] }],
      customUrl: 'none',
      capabilities: { activityTypes: [], recurrence: true, invitees: true, webhooks: false, calendars: true },
    },
    connect: async (input) => ({ secrets: {}, account: input.fields.account ?? 'x', url: null, expiresAt: null }),
    open: (conn) => {
      let c = calendars.get(conn.account);
      if (!c) calendars.set(conn.account, (c = new MemoryCalendar({ userEmail: conn.account, now: systemClock })));
      return c;
    },
  };
  const crm: CrmConnector = {
    descriptor: {
      id: 'memcrm',
      side: 'crm',
      label: 'Memory CRM',
      authMethods: [{ id: 'none', kind: 'none', label: 'None', fields: [] }],
      customUrl: 'none',
      capabilities: { activityTypes: ['meeting'], recurrence: true, invitees: true, webhooks: false, calendars: false },
    },
    connect: async (input) => ({ secrets: {}, account: input.fields.account ?? 'x', url: null, expiresAt: null }),
    open: (conn) => {
      let c = crms.get(conn.account);
      if (!c) crms.set(conn.account, (c = new MemoryCrm({ userEmail: conn.account, now: systemClock })));
      return c;
    },
  };
  return { calendar: [calendar], crm: [crm] };
}
