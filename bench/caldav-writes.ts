/**
 * CalDAV writes on both real servers the suites use (Radicale and Xandikos): N creates through the provider's
 * writeEvents at 1, 2, 4 and 8 writes in flight, each into a fresh calendar, the rounds interleaved so that a change
 * in the machine's load hits every width alike; then 10 updates of events the listing did not hold, with the requests
 * the server received. This is the measurement behind the provider's `defaultWriteConcurrency`.
 *
 * `npm run bench caldav-writes`; BENCH_CALDAV_WRITES_N sets N (default 300), BENCH_CALDAV_WRITES_ROUNDS the rounds
 * (default 2), BENCH_CALDAV_WRITES_WIDTHS the writes in flight measured (default `1,2,4,8`).
 */
import os from 'node:os';
import { DavClient } from '../src/providers/calendar/caldav/dav-client';
import { CalDavCalendarProvider, writeBatch } from '../src/providers/calendar/caldav/provider';
import { createSafeFetch } from '../src/providers/http';
import { systemClock } from '../src/shared/clock';
import type { EventDraft } from '../src/sync/model';
import type { EventWrite } from '../src/sync/ports';
import { startCalDavServer, type CalDavServerKind, type CalDavTestServer } from '../test/support/caldav-server';
import type { BenchSection } from './section';

/** Writes in flight measured: `BENCH_CALDAV_WRITES_WIDTHS` (comma-separated), default 1, 2, 4 and 8. */
const widths = (process.env.BENCH_CALDAV_WRITES_WIDTHS ?? '1,2,4,8')
  .split(',')
  .map(Number)
  .filter((w) => Number.isInteger(w) && w >= 1);

function draft(i: number, base: number, subject = `Customer meeting ${i}`): EventDraft {
  const start = new Date(base + i * 3_600_000);
  return {
    fields: {
      subject,
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
    crmTag: `crm-${i}`,
    crmUrl: null,
    sendInvitations: false,
    priority: null,
  };
}

function provider(server: CalDavTestServer, writeConcurrency: number): CalDavCalendarProvider {
  const client = new DavClient(createSafeFetch({ allowedPrivateHosts: [server.hostPort] }), {
    username: 'alice',
    password: server.users.alice ?? '',
  });
  return new CalDavCalendarProvider({
    client,
    homeUrl: `${server.origin}${server.homePath('alice')}`,
    self: { addresses: ['alice@example.com'] },
    account: 'alice',
    now: systemClock,
    writeConcurrency,
  });
}

/** N creates in batches of the engine's size, as a run hands them over; ms for the whole push. */
async function push(server: CalDavTestServer, width: number, n: number, tag: string): Promise<number> {
  const calendarId = await server.makeCalendar('alice', `w${width}-${tag}`);
  const p = provider(server, width);
  const base = systemClock().getTime() + 86_400_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i += writeBatch) {
    const writes: EventWrite[] = [];
    for (let k = i; k < Math.min(n, i + writeBatch); k++) {
      writes.push({ op: 'create', idempotencyKey: `bench-${tag}-${k}`, draft: draft(k, base) });
    }
    const results = await p.writeEvents(calendarId, writes);
    const failed = results.find((r) => !r.ok);
    if (failed && !failed.ok) throw new Error(`create failed on ${server.kind}: ${failed.error.message}`);
  }
  return Math.round(performance.now() - t0);
}

/** 10 updates of events written by an earlier provider (nothing held): requests the server saw, and ms. */
async function tenUpdates(server: CalDavTestServer): Promise<{ ms: number; requests: number; writes: number }> {
  const calendarId = await server.makeCalendar('alice', 'updates');
  const base = systemClock().getTime() + 86_400_000;
  const created = await provider(server, 1).writeEvents(
    calendarId,
    Array.from({ length: 10 }, (_, i) => ({
      op: 'create' as const,
      idempotencyKey: `upd-${i}`,
      draft: draft(i, base),
    })),
  );
  const p = provider(server, 1);
  const writes: EventWrite[] = created.map((r, i) => {
    if (!r.ok || !r.value) throw new Error('create failed');
    return { op: 'update', id: r.value.id, ifMatch: r.value.version, draft: draft(i, base, `Moved meeting ${i}`) };
  });
  const before = server.requestCount();
  const t0 = performance.now();
  const results = await p.writeEvents(calendarId, writes);
  const ms = Math.round(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 200)); // Radicale logs a request after answering it
  if (results.some((r) => !r.ok)) throw new Error(`an update failed on ${server.kind}`);
  return { ms, requests: server.requestCount() - before, writes: writes.length };
}

export const caldavWritesBench: BenchSection = {
  name: 'caldav-writes',
  async run() {
    const n = Number(process.env.BENCH_CALDAV_WRITES_N ?? 300);
    const rounds = Number(process.env.BENCH_CALDAV_WRITES_ROUNDS ?? 2);
    const out: Record<string, unknown> = { creates: n, rounds, loadAverageBefore: os.loadavg() };
    for (const kind of ['radicale', 'xandikos'] as CalDavServerKind[]) {
      const server = await startCalDavServer(kind, { alice: 'bench-writes-password' }, { logRequests: true });
      try {
        const ms: Record<string, number[]> = Object.fromEntries(widths.map((w) => [`inFlight${w}`, []]));
        for (let r = 0; r < rounds; r++) {
          // Alternating order per round: neither end of the list always runs on the warmer server.
          for (const w of r % 2 === 0 ? widths : [...widths].reverse()) {
            ms[`inFlight${w}`]!.push(await push(server, w, n, `r${r}`));
          }
        }
        const best = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, Math.min(...v)]));
        out[kind] = {
          pushMs: ms,
          bestPushMs: best,
          msPerCreate: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Math.round((v / n) * 10) / 10])),
          tenUpdates: await tenUpdates(server),
        };
      } finally {
        await server.stop();
      }
    }
    out.loadAverageAfter = os.loadavg();
    return out;
  },
};
