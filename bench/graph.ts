import { defaultSettings } from '../src/shared/settings';
import { runSync, type EngineContext } from '../src/sync';
import { MemoryCrm, MemoryStatusStore } from '../src/sync/testing';
import type { SyncedFields } from '../src/sync/model';
import { openGraphProvider } from '../src/providers/calendar/graph';
import { GraphDouble } from '../test/support/graph-double/server';
import { timed, type BenchSection } from './section';

const ITEMS = 10_000;
const CHANGES = 100;
const USER = 'sam@contoso.example';

function fields(i: number, now: number): SyncedFields {
  const start = now + 86_400_000 + i * 3_600_000;
  return {
    subject: `CRM meeting ${i}`,
    timing: {
      kind: 'timed',
      start: new Date(start).toISOString(),
      end: new Date(start + 1_800_000).toISOString(),
      timeZone: 'Europe/Berlin',
    },
    body: `Agenda for meeting ${i}`,
    location: 'Online',
    visibility: 'normal',
    showAs: 'busy',
    attendees: [{ email: `contact${i % 500}@customer.test` }],
    recurrence: null,
    reminderMinutes: 15,
  };
}

/**
 * Graph section (issue 5): the engine's runSync with the Graph provider against the Graph double on loopback.
 * Counts HTTP requests as Graph would meter them (top-level requests, and the sub-requests carried in $batch).
 */
export const graphBench: BenchSection = {
  name: 'graph',
  async run() {
    const double = new GraphDouble(USER);
    const baseUrl = await double.start();
    try {
      const clock = { now: new Date('2026-11-21T08:00:00.000Z') };
      const stats = { requests: 0, throttled: 0, batchedRequests: 0 };
      const provider = openGraphProvider(
        {
          account: USER,
          env: { fetch: (u, i) => fetch(u, i), graphBaseUrl: baseUrl, now: () => clock.now },
          getToken: () => Promise.resolve(double.token),
        },
        { stats },
      );
      const crm = new MemoryCrm({ userEmail: USER, now: () => clock.now });
      const ids: string[] = [];
      for (let i = 0; i < ITEMS; i++)
        ids.push(crm.userCreate({ type: 'meeting', fields: fields(i, clock.now.getTime()) }).id);
      const cal = double.state.defaultCalendarId;
      const ctx: EngineContext = {
        crm,
        calendar: provider,
        store: new MemoryStatusStore(),
        settings: { ...defaultSettings, invitations: 'never' },
        userEmail: USER,
        calendars: { targetCalendarId: cal, sourceCalendarIds: [cal] },
        now: () => clock.now,
      };
      let n = 0;
      const measure = async (label: string) => {
        const before = { top: double.topLevel().length, batched: stats.batchedRequests, deltas: deltaCount() };
        const { ms, value } = await timed(() => runSync(ctx, { runId: `bench-${++n}`, trigger: 'manual' }));
        return {
          label,
          status: value.status,
          errors: value.errors.length,
          calendarCreated: value.calendar.created,
          calendarUpdated: value.calendar.updated,
          httpRequests: double.topLevel().length - before.top,
          batchedSubRequests: stats.batchedRequests - before.batched,
          deltaRequests: deltaCount() - before.deltas,
          wallMs: Math.round(ms),
        };
      };
      const deltaCount = () => double.topLevel().filter((l) => l.url.includes('/calendarView/delta')).length;

      const initialPush = await measure('initial push');
      // Graph's delta reports our own creates once: the run after the push reads them back.
      const afterPush = await measure('first run after the push (reads back our own creates)');
      const noOp = await measure('no-op');
      for (let i = 0; i < CHANGES; i++) crm.userUpdate(ids[i * (ITEMS / CHANGES)]!, { location: `Room ${i}` });
      const changes = await measure(`${CHANGES} CRM changes among ${ITEMS}`);
      return {
        items: ITEMS,
        targets: {
          initialPushMaxRequests: ITEMS / 20 + Math.ceil(ITEMS / 200),
          noOpDeltaRequests: 1,
        },
        initialPush,
        afterPush,
        noOp,
        changes,
        eventsInMailbox: double.state.events.size,
        mailsSent: double.mails.length,
        throttled: stats.throttled,
      };
    } finally {
      await double.stop();
    }
  },
};
