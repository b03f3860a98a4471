/**
 * Re-pairing at scale on a real Radicale (issue 19, point 0): 10,000 CRM meetings and a calendar that already holds
 * their 10,000 tagged events, as after a reset. The first run lists the whole calendar (sync-collection + 50
 * calendar-multiget answers of ~0.5 MB each, every one followed by Radicale closing the connection) and links every
 * pair without a write; then a no-op run and a run with 10 CRM changes. The events are written into Radicale's
 * storage folder (a PUT each would take hours: Radicale checks every upload's UID against the whole collection).
 *
 * `npm run bench caldav-pairing`; CALDAV_PAIRING_ITEMS sets the size (default 10,000).
 */
import { caldavConnector } from '../src/providers/calendar/caldav/connector';
import { renderNewResource } from '../src/providers/calendar/caldav/ical-event';
import type { ProviderEnv } from '../src/providers/connector';
import { createSafeFetch, type FetchLike } from '../src/providers/http';
import { systemClock } from '../src/shared/clock';
import { defaultSettings } from '../src/shared/settings';
import { resetSync, runSync, type EngineContext } from '../src/sync';
import { MemoryCrm, MemoryStatusStore } from '../src/sync/testing';
import type { SyncedFields } from '../src/sync/model';
import { startRadicale } from '../test/support/radicale';
import { timed, type BenchSection } from './section';

const user = 'alice@example.com';

function fieldsFor(i: number, base: number): SyncedFields {
  const start = new Date(base + i * 3_600_000);
  return {
    subject: `Customer meeting ${i}`,
    timing: {
      kind: 'timed',
      start: start.toISOString(),
      end: new Date(start.getTime() + 1_800_000).toISOString(),
      timeZone: 'Europe/Berlin',
    },
    body: `Notes for meeting ${i}: ${'agenda, numbers, next steps. '.repeat(4)}`,
    location: 'Office',
    visibility: 'normal',
    showAs: 'busy',
    attendees: [{ email: `client${i}@customer.example`, name: `Client ${i}` }],
    recurrence: null,
    reminderMinutes: 15,
  };
}

export const caldavPairingBench: BenchSection = {
  name: 'caldav-pairing',
  async run() {
    const items = Number(process.env.CALDAV_PAIRING_ITEMS ?? '10000');
    const radicale = await startRadicale({ alice: 'bench-password' });
    try {
      const calendarId = await radicale.makeCalendar('alice', 'crm');
      const counter = { requests: 0, writes: 0, serverMs: 0 };
      const safe = createSafeFetch({ allowedPrivateHosts: [radicale.hostPort] });
      // Counts requests and the time to each answer's headers (Radicale builds its whole answer before sending it);
      // the body is left to the provider, read as it reads it.
      const safeFetch: FetchLike = async (input, init) => {
        counter.requests++;
        if (/^(PUT|DELETE)$/i.test(init?.method ?? 'GET')) counter.writes++;
        const t0 = performance.now();
        const res = await safe(input, init);
        counter.serverMs += performance.now() - t0;
        return res;
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
      const base = Math.ceil((systemClock().getTime() + 24 * 3_600_000) / 3_600_000) * 3_600_000;
      const ids: string[] = [];
      const resources: { name: string; ics: string }[] = [];
      const seeding = await timed(async () => {
        for (let i = 0; i < items; i++) {
          const fields = fieldsFor(i, base);
          const item = crm.userCreate({ type: 'meeting', ownerEmails: [user], fields });
          ids.push(item.id);
          const ics = renderNewResource(
            `pairing-${i}@bench`,
            { fields, crmTag: item.id, crmUrl: null, sendInvitations: false, priority: null },
            { self: { addresses: [user] }, now: new Date(base) },
          );
          resources.push({ name: `pairing-${i}.ics`, ics });
        }
        await radicale.seed(calendarId, resources);
      });
      const store = new MemoryStatusStore();
      await resetSync({ store, now: systemClock });
      const ctx: EngineContext = {
        crm,
        calendar: caldavConnector.open(connection, env, { saveSecrets: async () => {} }),
        store,
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
        const crmWrites = crm.writeLog.length;
        const cpu = process.cpuUsage();
        const { ms, value } = await timed(() => runSync(ctx, { runId: `pairing-${++runNo}`, trigger: 'manual' }));
        return {
          wallMs: Math.round(ms),
          waitingForServerMs: Math.round(counter.serverMs - before.serverMs),
          // This process's CPU time (connector, engine, in-memory CRM and store); the rest is Radicale's.
          connectorCpuMs: Math.round(((c) => (c.user + c.system) / 1000)(process.cpuUsage(cpu))),
          httpRequests: counter.requests - before.requests,
          httpWrites: counter.writes - before.writes,
          crmWrites: crm.writeLog.length - crmWrites,
          status: value.status,
          calendarCreated: value.calendar.created,
          calendarUpdated: value.calendar.updated,
          crmCreated: value.crm.created,
          errors: value.errors.length,
          firstError: value.errors[0]?.message ?? null,
        };
      };
      const pairing = await measure();
      const linked = (await store.loadLinks()).length;
      const noop = await measure();
      for (let k = 0; k < 10; k++) {
        const id = ids[k * Math.floor(items / 10)];
        if (id) crm.userUpdate(id, { subject: `Changed ${id}` });
      }
      const tenChanges = await measure();
      return { items, seedMs: Math.round(seeding.ms), pairing, linked, noopRun: noop, tenChanges };
    } finally {
      await radicale.stop();
    }
  },
};
