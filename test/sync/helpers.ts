/** A small world for engine unit tests: memory CRM + calendar + store, a fixed clock, no-wait sleep. */
import { defaultSettings, type SyncSettings } from '../../src/shared/settings';
import type { CrmItem, SyncedFields } from '../../src/sync/model';
import type { CalendarCapabilities, CrmCapabilities } from '../../src/sync/ports';
import { previewSync, runSync, type EngineContext } from '../../src/sync';
import { MemoryCalendar, MemoryCrm, MemoryStatusStore } from '../../src/sync/testing';
import type { RunReport } from '../../src/shared/run-report';

export const USER = 'me@example.com';
export const NOW = new Date('2026-11-21T09:00:00.000Z');

export function hoursFromNow(h: number, base = NOW): string {
  return new Date(base.getTime() + h * 3_600_000).toISOString();
}

export function fields(over: Partial<SyncedFields> = {}, startH = 24, durH = 1): SyncedFields {
  return {
    subject: 'Quarterly review',
    timing: { kind: 'timed', start: hoursFromNow(startH), end: hoursFromNow(startH + durH), timeZone: 'Europe/Berlin' },
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

export interface World {
  crm: MemoryCrm;
  cal: MemoryCalendar;
  store: MemoryStatusStore;
  ctx: EngineContext;
  clock: { now: Date };
  run(opts?: { confirmDeletions?: boolean }): Promise<RunReport>;
  preview(): ReturnType<typeof previewSync>;
  setSettings(s: Partial<SyncSettings>): void;
  crmCreate(over?: Partial<Parameters<MemoryCrm['userCreate']>[0]>, f?: Partial<SyncedFields>): CrmItem;
  eventsFor(crmId: string): ReturnType<MemoryCalendar['all']>;
  writes(): { crm: number; calendar: number };
}

export function makeWorld(
  settings: Partial<SyncSettings> = {},
  caps: { crm?: Partial<CrmCapabilities>; cal?: Partial<CalendarCapabilities> } = {},
): World {
  const clock = { now: NOW };
  const now = (): Date => clock.now;
  const crm = new MemoryCrm({ userEmail: USER, capabilities: caps.crm ?? {}, now });
  const cal = new MemoryCalendar({ userEmail: USER, capabilities: caps.cal ?? {}, now });
  const store = new MemoryStatusStore();
  const ctx: EngineContext = {
    crm,
    calendar: cal,
    store,
    settings: { ...defaultSettings, ...settings },
    userEmail: USER,
    calendars: { targetCalendarId: 'primary', sourceCalendarIds: ['primary'] },
    now,
    sleep: async () => undefined,
  };
  let runNo = 0;
  return {
    crm,
    cal,
    store,
    ctx,
    clock,
    run: (opts = {}) => runSync(ctx, { runId: `r${++runNo}`, trigger: 'manual', ...opts }),
    preview: () => previewSync(ctx),
    setSettings: (s) => {
      ctx.settings = { ...ctx.settings, ...s };
    },
    crmCreate: (over = {}, f = {}) => crm.userCreate({ type: 'meeting', fields: fields(f), ...over }),
    eventsFor: (crmId) => cal.all().filter((e) => e.crmTag === crmId),
    writes: () => ({ crm: crm.writeLog.length, calendar: cal.writeLog.length }),
  };
}
