/**
 * A CRM without recurrence against the Google double (SPEC §5): a Google series becomes one activity per
 * occurrence; a CRM edit of one of them patches that instance (sendUpdates=none), nothing else.
 */
import { defaultSettings } from '../../../src/shared/settings';
import { runSync, type EngineContext } from '../../../src/sync';
import { MemoryStatusStore } from '../../../src/sync/testing';
import type { MemoryCrm } from '../../../src/sync/testing';
import type { SyncedFields } from '../../../src/sync/model';
import { googleWorld } from './engine-world';

// The world's clock starts 2026-11-21 09:00 UTC: the series starts three days later.
const start = new Date(Date.parse('2026-11-21T09:00:00.000Z') + 3 * 86_400_000);
start.setUTCHours(9, 0, 0, 0);

function seriesFields(): SyncedFields {
  return {
    subject: 'Weekly pipeline review',
    timing: {
      kind: 'timed',
      start: start.toISOString(),
      end: new Date(start.getTime() + 3_600_000).toISOString(),
      timeZone: 'Europe/Berlin',
    },
    body: 'Agenda',
    location: '',
    visibility: 'normal',
    showAs: 'busy',
    attendees: [{ email: 'client@acme.test' }],
    recurrence: { rrule: 'FREQ=WEEKLY;COUNT=3', exdates: [] },
    reminderMinutes: 15,
  };
}

test('a Google series in a CRM without recurrence: one activity per occurrence, CRM edits patch the instance', async () => {
  const w = await googleWorld({ crmCapabilities: { recurrence: false } });
  try {
    const crm = w.crm as MemoryCrm;
    const seriesId = await w.calendarControl.create(w.calendarId, { fields: seriesFields(), isOrganizer: true });
    const ctx: EngineContext = {
      crm,
      calendar: w.calendar,
      store: new MemoryStatusStore(),
      settings: { ...defaultSettings },
      userEmail: w.userEmail,
      calendars: { targetCalendarId: w.calendarId, sourceCalendarIds: [w.calendarId] },
      sleep: async () => undefined,
      now: w.clock,
    };
    const r = await runSync(ctx, { trigger: 'manual' });
    expect(r.errors).toEqual([]);
    const items = crm.all().sort((a, b) => (a.iCalUId! < b.iCalUId! ? -1 : 1));
    expect(items).toHaveLength(3);
    expect(items.every((i) => i.fields.recurrence === null && i.iCalUId?.includes('#'))).toBe(true);

    crm.userUpdate(items[1]!.id, { body: 'Bring the Q4 forecast' });
    const r2 = await runSync(ctx, { trigger: 'manual' });
    expect(r2.errors).toEqual([]);
    expect(r2.calendar.updated).toBe(1);
    const listed = await w.calendarControl.list(w.calendarId);
    const exceptions = listed.filter((e) => e.occurrence?.seriesId === seriesId);
    expect(exceptions).toHaveLength(1);
    expect(exceptions[0]!.fields.body).toBe('Bring the Q4 forecast');
    expect(listed.find((e) => e.id === seriesId)!.fields.body).toBe('Agenda');

    const writes = crm.writeLog.length;
    const r3 = await runSync(ctx, { trigger: 'manual' });
    expect(r3.errors).toEqual([]);
    expect(r3.calendar.updated).toBe(0);
    expect(crm.writeLog.length).toBe(writes);
    expect(crm.all()).toHaveLength(3);
  } finally {
    await w.cleanup();
  }
});
