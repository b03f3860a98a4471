/**
 * CalDAV against a real Radicale: the initial sync of 1,000 CRM items, a no-op run, and a run with 10 changes
 * among the 1,000 (engine + CalDAV provider + in-memory CRM and status store). Wall time and HTTP requests.
 */
import { caldavConnector } from '../src/providers/calendar/caldav/connector';
import type { ProviderEnv } from '../src/providers/connector';
import { createSafeFetch, type FetchLike } from '../src/providers/http';
import { defaultSettings } from '../src/shared/settings';
import { runSync, type EngineContext } from '../src/sync';
import { MemoryCrm, MemoryStatusStore } from '../src/sync/testing';
import { startRadicale } from '../test/support/radicale';
import { timed, type BenchSection } from './section';
import { systemClock } from '../src/shared/clock';

const items = 1000;
const changes = 10;
const user = 'alice@example.com';

export const caldavBench: BenchSection = {
  name: 'caldav',
  async run() {
    const radicale = await startRadicale({ alice: 'bench-password' });
    try {
      const calendarId = await radicale.makeCalendar('alice', 'crm');
      const counter = { requests: 0, writes: 0, httpMs: 0 };
      const safe = createSafeFetch({ allowedPrivateHosts: [radicale.hostPort] });
      // Counts requests and the time spent waiting for Radicale (request to last body byte).
      const safeFetch: FetchLike = async (input, init) => {
        counter.requests++;
        if (/^(PUT|DELETE)$/i.test(init?.method ?? 'GET')) counter.writes++;
        const t0 = performance.now();
        const res = await safe(input, init);
        const body = await res.arrayBuffer();
        counter.httpMs += performance.now() - t0;
        return new Response(body.byteLength ? body : null, { status: res.status, headers: res.headers });
      };
      const env: ProviderEnv = {
        safeFetch,
        fetch: (i, init) => fetch(i, init),
        publicUrl: 'https://connector.example',
        graphBaseUrl: 'https://graph.invalid',
        now: systemClock,
      };
      const connection = await caldavConnector.connect!(
        { method: 'app-password', url: radicale.origin, fields: { username: 'alice', password: 'bench-password' } },
        env,
      );
      const crm = new MemoryCrm({ userEmail: user, now: systemClock });
      const base = systemClock().getTime() + 24 * 3_600_000;
      const ids: string[] = [];
      for (let i = 0; i < items; i++) {
        const start = new Date(base + i * 3_600_000);
        start.setUTCMinutes(0, 0, 0);
        const item = crm.userCreate({
          type: 'meeting',
          ownerEmails: [user],
          fields: {
            subject: `Customer meeting ${i}`,
            timing: {
              kind: 'timed',
              start: start.toISOString(),
              end: new Date(start.getTime() + 1_800_000).toISOString(),
              timeZone: 'Europe/Berlin',
            },
            body: `Notes for meeting ${i}`,
            location: 'Office',
            visibility: 'normal',
            showAs: 'busy',
            attendees: [{ email: `client${i}@customer.example`, name: `Client ${i}` }],
            recurrence: null,
            reminderMinutes: 15,
          },
        });
        ids.push(item.id);
      }
      const ctx: EngineContext = {
        crm,
        calendar: caldavConnector.open(connection, env, { saveSecrets: async () => {} }),
        store: new MemoryStatusStore(),
        settings: { ...defaultSettings },
        userEmail: user,
        calendars: { targetCalendarId: calendarId, sourceCalendarIds: [calendarId] },
        sleep: async () => undefined,
        now: systemClock,
      };
      let runNo = 0;
      const measure = async () => {
        ctx.calendar = caldavConnector.open(connection, env, { saveSecrets: async () => {} });
        const before = { ...counter };
        const { ms, value } = await timed(() => runSync(ctx, { runId: `bench-${++runNo}`, trigger: 'manual' }));
        const httpMs = counter.httpMs - before.httpMs;
        return {
          wallMs: Math.round(ms),
          waitingForServerMs: Math.round(httpMs),
          connectorMs: Math.round(ms - httpMs),
          httpRequests: counter.requests - before.requests,
          httpWrites: counter.writes - before.writes,
          status: value.status,
          calendarCreated: value.calendar.created,
          calendarUpdated: value.calendar.updated,
          errors: value.errors.length,
        };
      };
      const initial = await measure();
      // The first run after the initial sync still reads back the 1,000 events it wrote (they are changes in the
      // collection since the cursor); the second one is the steady-state no-op.
      const echo = await measure();
      const noop = await measure();
      for (const id of ids.slice(0, changes).map((_, k) => ids[k * Math.floor(items / changes)] ?? ids[0]!)) {
        crm.userUpdate(id, { subject: `Changed ${id}` });
      }
      const tenChanges = await measure();
      return { items, initialSync: initial, firstRunAfter: echo, noopRun: noop, tenChanges };
    } finally {
      await radicale.stop();
    }
  },
};
