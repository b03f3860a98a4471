/**
 * Chaos (issue 16, SPEC §2 and §10): real `crm-sync worker` processes on an embedded PostgreSQL, the product's own
 * providers (the Sandbox CRM, CalDAV against a real Radicale behind a fault-injecting proxy), and for a bounded time,
 * from one printed seed: workers SIGKILLed at random moments and restarted, PostgreSQL stopped and started, CalDAV
 * answering 429 / 503 / hangs / resets / applied-then-lost answers, the Sandbox CRM answering 429 / 503 / timeouts /
 * applied-then-timed-out writes, and users creating and editing items on both sides meanwhile. Then the faults stop
 * and the §10 guarantees are checked against what Radicale and the Sandbox really hold (not the connector's store):
 * no duplicate, nothing lost, convergence (and a last run that writes nothing), no stuck run or job, no overlapping
 * runs, and no request that could mail an attendee in *never* mode.
 *
 * Size: CHAOS_USERS (default 4), CHAOS_SECONDS (default 30); CHAOS_SEED=<n> replays a run, CHAOS_SEED=random explores.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { sql } from 'kysely';
import { loadConfig } from '../../src/server/config';
import { calendarChoice, chooseCalendars } from '../../src/server/connections/calendar-choice';
import { engine } from '../../src/server/runs/engine';
import { createRuntime, type Runtime } from '../../src/server/runtime';
import { kyselySandboxRepositories } from '../../src/server/sandbox/repository';
import { addItem, updateItem } from '../../src/server/sandbox/service';
import type { SandboxItem } from '../../src/providers/crm/sandbox';
import type { RunReport } from '../../src/shared/run-report';
import { systemClock } from '../../src/shared/clock';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { startRadicale, type RadicaleServer } from '../support/radicale';
import { seededRandom, seedFrom } from '../support/seeded-random';
import { pgCluster, type Child, type PgCluster } from './support/pg-processes';
import type { UserRecord } from '../../src/server/store/users';

const seed = seedFrom(process.env.CHAOS_SEED, 20261216);
const userCount = Number(process.env.CHAOS_USERS ?? '4');
const chaosMs = Number(process.env.CHAOS_SECONDS ?? '30') * 1000;
const tenantId = 'chaos';

jest.setTimeout(chaosMs + 240_000);

interface CalEvent {
  href: string;
  uid: string;
  summary: string;
  dtstart: string;
  tag: string | null;
  attendees: string[];
}

/** The VEVENTs of one calendar as Radicale holds them (read directly, past the proxy). */
async function readCalendar(radicale: RadicaleServer, user: string, calPath: string): Promise<CalEvent[]> {
  const auth = `Basic ${Buffer.from(`${user}:${radicale.users[user]}`).toString('base64')}`;
  const res = await fetch(`${radicale.origin}${calPath}`, {
    method: 'REPORT',
    headers: { authorization: auth, depth: '1', 'content-type': 'application/xml; charset=utf-8' },
    body: '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>',
  });
  if (res.status !== 207) throw new Error(`REPORT ${calPath}: ${res.status}`);
  const xml = await res.text();
  const events: CalEvent[] = [];
  for (const m of xml.matchAll(/<(?:\w+:)?response>([\s\S]*?)<\/(?:\w+:)?response>/g)) {
    const part = m[1]!;
    const href = /<(?:\w+:)?href>([^<]+)</.exec(part)?.[1] ?? '';
    const data = /<(?:\w+:)?calendar-data[^>]*>([\s\S]*?)<\/(?:\w+:)?calendar-data>/.exec(part)?.[1];
    if (!data) continue;
    const text = data
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
      .replace(/\r?\n[ \t]/g, '');
    const vevent = /BEGIN:VEVENT[\s\S]*?END:VEVENT/.exec(text)?.[0] ?? '';
    const prop = (name: string) => new RegExp(`^${name}(?:;[^:\\r\\n]*)?:(.*)$`, 'm').exec(vevent)?.[1]?.trim() ?? null;
    events.push({
      href,
      uid: prop('UID') ?? '',
      summary: (prop('SUMMARY') ?? '').replace(/\\,/g, ',').replace(/\\;/g, ';'),
      dtstart: prop('DTSTART') ?? '',
      tag: prop('X-CRM-CONNECTOR-ID'),
      attendees: [...vevent.matchAll(/^ATTENDEE[^\r\n]*$/gm)].map((a) => a[0]),
    });
  }
  return events;
}

/** 2026-12-24T09:00:00.000Z → 20261224T090000Z */
const icsTime = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.\d{3}/, '');

// The time-travel run (scripts/time-travel.sh, faketime) checks date logic; this one has none and runs in `npm test`.
const underTimeTravel = !!process.env.FAKETIME;
if (underTimeTravel) process.stdout.write('chaos: skipped under time travel (it runs in the normal suite)\n');

(underTimeTravel ? describe.skip : describe)(`chaos (seed ${seed}, ${userCount} users, ${chaosMs / 1000} s)`, () => {
  let pg: TestPostgres;
  let radicale: RadicaleServer;
  let proxy: FaultProxy;
  let cluster: PgCluster;
  let runtime: Runtime;
  let flagDir: string;

  afterAll(async () => {
    await runtime?.stop().catch(() => {});
    await cluster?.close().catch(() => {});
    await proxy?.stop();
    await radicale?.stop();
    await pg?.stop();
    if (flagDir) fs.rmSync(flagDir, { recursive: true, force: true });
  });

  it('keeps the §10 guarantees on the real Radicale and Sandbox through kills, restarts and provider faults', async () => {
    const started = performance.now();
    const random = seededRandom(seed);
    process.stdout.write(
      `chaos: seed ${seed} (replay with CHAOS_SEED=${seed}), ${userCount} users, ${chaosMs / 1000} s of faults\n`,
    );
    const passwords = Object.fromEntries(Array.from({ length: userCount }, (_, i) => [`u${i}`, `pw-${i}-secret`]));
    [pg, radicale] = await Promise.all([startPostgres(), startRadicale(passwords)]);
    proxy = await startFaultProxy(radicale.origin, seededRandom(seed + 1), { rate: 0.15, hangMs: 10_000 });
    flagDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-flag-'));
    const faultsFlag = path.join(flagDir, 'faults-on');

    cluster = await pgCluster(pg, {
      users: 0,
      env: {
        CHILD_PROVIDERS: 'shipped',
        CHILD_HTTP_TIMEOUT_MS: '2500',
        CHILD_FAULTS_FLAG: faultsFlag,
        CHILD_FAULT_RATE: '0.15',
        HOLD_MS: '0',
        ALLOWED_PRIVATE_HOSTS: proxy.hostPort,
        RUN_LEASE_SECONDS: '4',
        RUN_JOB_EXPIRY_SECONDS: '30',
        WORKER_MAINTENANCE_SECONDS: '1',
        WORKER_CONCURRENCY: '4',
      },
    });
    const config = loadConfig({
      DATABASE_URL: cluster.url,
      CONNECTOR_MASTER_KEY: cluster.env.CONNECTOR_MASTER_KEY!,
      AUTH_MODE: 'dev',
      LOG_LEVEL: 'silent',
      ALLOWED_PRIVATE_HOSTS: proxy.hostPort,
    });
    // The test's own runtime: the users connect through the real connection service (the shipped registry).
    runtime = await createRuntime(config, cluster.db, { engine, logger: pino({ level: 'silent' }) });
    const sandbox = kyselySandboxRepositories(cluster.db.kysely, systemClock);

    // --- Users, connections, calendars and their starting data on both sides.
    interface ChaosUser {
      record: UserRecord;
      name: string;
      calPath: string;
      /** Sandbox item id → the subject it must end with. */
      crmItems: Map<string, string>;
      /** Event UID → summary, for events the user made in the calendar. */
      calEvents: Map<string, string>;
    }
    const users: ChaosUser[] = [];
    const now = systemClock().getTime();
    let serial = 0;
    const slot = () => {
      const start = new Date(now + (2 + (serial++ % 40)) * 86_400_000);
      start.setUTCHours(8 + (serial % 9), 0, 0, 0);
      return { start: start.toISOString(), end: new Date(start.getTime() + 3_600_000).toISOString() };
    };
    const addCrmItem = async (u: ChaosUser, subject: string) => {
      const repo = sandbox({ tenantId, userEmail: u.record.email });
      const item = await addItem(repo, {
        type: 'meeting',
        subject,
        ...slot(),
        invitees: [`guest${serial}@customer.example`],
      });
      u.crmItems.set(item.id, subject);
    };
    const addCalEvent = async (u: ChaosUser, summary: string) => {
      const uid = `chaos-${crypto.randomUUID()}`;
      const { start, end } = slot();
      const ics = [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//chaos test//EN',
        'BEGIN:VEVENT',
        `UID:${uid}`,
        `DTSTAMP:${icsTime(new Date(now).toISOString())}`,
        `DTSTART:${icsTime(start)}`,
        `DTEND:${icsTime(end)}`,
        `SUMMARY:${summary}`,
        `ORGANIZER:mailto:${u.record.email}`,
        `ATTENDEE;CN=Guest;PARTSTAT=NEEDS-ACTION:mailto:visitor${serial}@partner.example`,
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n');
      const res = await fetch(`${radicale.origin}${u.calPath}${uid}.ics`, {
        method: 'PUT',
        headers: {
          authorization: `Basic ${Buffer.from(`${u.name}:${passwords[u.name]}`).toString('base64')}`,
          'content-type': 'text/calendar; charset=utf-8',
          'if-none-match': '*',
        },
        body: ics,
      });
      if (res.status !== 201) throw new Error(`PUT event: ${res.status}`);
      u.calEvents.set(uid, summary);
    };

    for (let i = 0; i < userCount; i++) {
      const name = `u${i}`;
      const record = await runtime.users.create({ tenantId, email: `${name}@chaos.test` });
      await runtime.connectionService.connect(
        tenantId,
        record.id,
        'crm',
        { provider: 'sandbox', method: 'none', fields: {} },
        record.email,
      );
      await runtime.connectionService.connect(tenantId, record.id, 'calendar', {
        provider: 'caldav',
        method: 'app-password',
        url: `${proxy.origin}/`,
        fields: { username: name, password: passwords[name]! },
      });
      const calPath = await radicale.makeCalendar(name, 'crm', 'CRM');
      const id = (await calendarChoice(runtime, tenantId, record.id)).calendars.find((c) => c.id.endsWith(calPath))?.id;
      if (!id) throw new Error(`calendar ${calPath} not listed`);
      await chooseCalendars(runtime, tenantId, record.id, { targetCalendarId: id, sourceCalendarIds: [id] });
      const u: ChaosUser = { record, name, calPath, crmItems: new Map(), calEvents: new Map() };
      users.push(u);
      for (let j = 0; j < 3; j++) await addCrmItem(u, `CRM meeting ${name}-${j}`);
      for (let j = 0; j < 2; j++) await addCalEvent(u, `Calendar meeting ${name}-${j}`);
    }

    // --- Two workers, then the chaos.
    const workers: Child[] = [];
    let childSeed = seed * 16;
    const spawnWorker = async () => {
      const w = await cluster.spawn({ CHILD_FAULT_SEED: String(++childSeed) });
      workers.push(w);
      return w;
    };
    await spawnWorker();
    await spawnWorker();
    fs.writeFileSync(faultsFlag, 'on');
    proxy.enabled = true;

    const enqueued: string[] = [];
    const outages: string[] = [];
    const tally = { kills: 0, pgRestarts: 0, enqueueRefused: 0, crmCreates: 0, crmEdits: 0, calCreates: 0 };
    const chaosStart = performance.now();
    const chaosEnd = chaosStart + chaosMs;
    // At least one of each, at a random moment: a short or unlucky seed still kills a worker and restarts PostgreSQL.
    const forcedKillAt = chaosStart + random.int(chaosMs * 0.1, chaosMs * 0.5);
    const forcedRestartAt = chaosStart + random.int(chaosMs * 0.3, chaosMs * 0.8);
    // The chaos lasts its time, and longer (up to twice) until every CalDAV fault kind has happened at least once.
    const missingKinds = () => Object.entries(proxy.counts).some(([k, n]) => k !== 'passed' && n === 0);
    while (performance.now() < chaosEnd || (missingKinds() && performance.now() < chaosStart + 2 * chaosMs)) {
      await new Promise((r) => setTimeout(r, random.int(200, 1200)));
      const t = performance.now();
      const roll =
        tally.kills === 0 && t > forcedKillAt
          ? 0
          : tally.pgRestarts === 0 && t > forcedRestartAt
            ? 0.13
            : random.next();
      if (roll < 0.12) {
        // SIGKILL a worker at a random moment, then start a new one (after a short random pause).
        const live = workers.filter((w) => w.alive());
        if (live.length === 0) continue;
        const victim = random.pick(live);
        victim.process.kill('SIGKILL');
        await victim.exited;
        tally.kills++;
        await new Promise((r) => setTimeout(r, random.int(0, 1500)));
        await spawnWorker();
      } else if (roll >= 0.12 && roll < 0.17 && tally.pgRestarts < 3) {
        tally.pgRestarts++;
        const down = random.int(300, 2500);
        outages.push(`${systemClock().toISOString()} +${down} ms`);
        await pg.restart(down);
      } else if (roll < 0.32) {
        const u = random.pick(users);
        const kind = random.int(0, 2);
        if (kind === 0) {
          await addCrmItem(u, `CRM meeting ${u.name}-c${serial}`);
          tally.crmCreates++;
        } else if (kind === 1) {
          const [id] = [...u.crmItems.keys()].slice(random.int(0, u.crmItems.size - 1));
          const subject = `CRM meeting ${u.name} edited ${serial++}`;
          await updateItem(sandbox({ tenantId, userEmail: u.record.email }), id!, { subject });
          u.crmItems.set(id!, subject);
          tally.crmEdits++;
        } else {
          await addCalEvent(u, `Calendar meeting ${u.name}-c${serial}`);
          tally.calCreates++;
        }
      } else {
        // Sync now for a few users (the API would queue them the same way); refused while PostgreSQL is down.
        for (const u of users)
          if (random.chance(0.5))
            try {
              enqueued.push(await cluster.enqueue(u.record));
            } catch {
              tally.enqueueRefused++;
            }
      }
    }

    // --- The faults stop: every worker restarted clean, the database up.
    fs.rmSync(faultsFlag, { force: true });
    proxy.enabled = false;
    while (workers.filter((w) => w.alive()).length < 2) await spawnWorker();
    const chaosDone = performance.now();

    /** What was left, printed only when the settle below times out. */
    const dump = async () => {
      const jobs = await sql<{
        state: string;
        n: string;
        oldest: string;
      }>`select state, count(*) as n, min(created_on)::text as oldest from pgboss.job where name = 'crm-sync-run' group by state`.execute(
        cluster.db.kysely,
      );
      const runs = (await cluster.runs()).filter((r) => r.status === 'running' || r.status === 'queued');
      const leases = await cluster.db.kysely
        .selectFrom('sync_state')
        .select(['user_id', 'lease_owner', 'lease_until'])
        .execute()
        .catch((e) => String(e));
      process.stdout.write(
        `dump: jobs ${JSON.stringify(jobs.rows)} open runs ${JSON.stringify(runs.map((r) => [r.user_id, r.status]))} leases ${JSON.stringify(leases)} workers ${JSON.stringify(workers.map((w) => [w.pid, w.alive(), w.stderr().slice(-300)]))}\n`,
      );
    };
    await cluster
      .until(
        'every queued job done and no run left running (no stuck run, no lost job)',
        async () => {
          const states = await cluster.jobStates();
          const runs = await cluster.runs();
          return (
            !states.created &&
            !states.active &&
            !states.retry &&
            runs.every((r) => r.status !== 'running' && r.status !== 'queued')
          );
        },
        150_000,
      )
      .catch(async (e: unknown) => {
        await dump().catch(() => {});
        throw e;
      });
    const recorded = new Map((await cluster.runs()).map((r) => [r.run_id, r]));
    // Every run someone asked for was recorded and ended.
    expect(enqueued.filter((id) => !recorded.has(id))).toEqual([]);
    const chaosRuns = [...recorded.values()].map((r) => JSON.parse(r.data) as RunReport);
    expect(chaosRuns.filter((r) => r.finishedAt === null)).toEqual([]);

    // --- Convergence: rounds of Sync now until one round writes nothing anywhere (bounded).
    let quietRound = -1;
    for (let round = 0; round < 5 && quietRound < 0; round++) {
      const ids: string[] = [];
      for (const u of users) ids.push(await cluster.enqueue(u.record));
      await cluster.until(
        `convergence round ${round}`,
        async () => {
          const runs = new Map((await cluster.runs()).map((r) => [r.run_id, r.status]));
          return ids.every((id) => ['succeeded', 'partial', 'failed', 'interrupted'].includes(runs.get(id) ?? ''));
        },
        90_000,
      );
      const reports = (await cluster.runs())
        .filter((r) => ids.includes(r.run_id))
        .map((r) => JSON.parse(r.data) as RunReport);
      const writes = (r: RunReport) =>
        r.crm.created +
        r.crm.updated +
        r.crm.deleted +
        r.crm.archived +
        r.calendar.created +
        r.calendar.updated +
        r.calendar.deleted;
      if (reports.every((r) => r.status === 'succeeded' && writes(r) === 0)) quietRound = round;
    }
    expect(quietRound).toBeGreaterThanOrEqual(0);

    // --- The §10 guarantees on the real state of both sides.
    for (const u of users) {
      const events = await readCalendar(radicale, u.name, u.calPath);
      const items = (
        await sandbox({ tenantId, userEmail: u.record.email }).listItems({ includeArchived: true })
      ).filter((i: SandboxItem) => !i.archived);
      const where = { user: u.name };

      // No duplicate: one event per CRM item (by tag), one CRM item per event (by iCalUId), one resource per UID.
      const tags = events.map((e) => e.tag).filter((t): t is string => t !== null);
      expect({ ...where, duplicateTags: tags.filter((t, i) => tags.indexOf(t) !== i) }).toEqual({
        ...where,
        duplicateTags: [],
      });
      const uids = events.map((e) => e.uid);
      expect({ ...where, duplicateUids: uids.filter((t, i) => uids.indexOf(t) !== i) }).toEqual({
        ...where,
        duplicateUids: [],
      });
      const icalUids = items.map((i) => i.iCalUId).filter((x): x is string => x !== null);
      expect({ ...where, duplicateICalUIds: icalUids.filter((t, i) => icalUids.indexOf(t) !== i) }).toEqual({
        ...where,
        duplicateICalUIds: [],
      });
      const expectedTotal = u.crmItems.size + u.calEvents.size;
      expect({ ...where, events: events.length, items: items.length }).toEqual({
        ...where,
        events: expectedTotal,
        items: expectedTotal,
      });

      // Nothing lost, and converged: each CRM item is still there with its last subject, and its event agrees.
      for (const [id, subject] of u.crmItems) {
        const item = items.find((i) => i.id === id);
        expect({ ...where, id, subject: item?.subject }).toEqual({ ...where, id, subject });
        const event = events.find((e) => e.tag !== null && e.tag.includes(id));
        expect({ ...where, id, event: event?.summary, start: event?.dtstart }).toEqual({
          ...where,
          id,
          event: subject,
          start: item?.timing?.kind === 'timed' ? icsTime(item.timing.start) : undefined,
        });
      }
      // Each event the user made is still in the calendar and became exactly one CRM activity with its subject.
      for (const [uid, summary] of u.calEvents) {
        expect({ ...where, uid, summary: events.find((e) => e.uid === uid)?.summary }).toEqual({
          ...where,
          uid,
          summary,
        });
        expect({ ...where, uid, activities: items.filter((i) => i.iCalUId === uid).map((i) => i.subject) }).toEqual({
          ...where,
          uid,
          activities: [summary],
        });
      }
      // No surprise mail (invitations "never"): every attendee the connector wrote is SCHEDULE-AGENT=CLIENT.
      const written = new Set(proxy.writes.filter((w) => w.method === 'PUT').map((w) => w.path));
      for (const e of events.filter((ev) => written.has(ev.href)))
        expect({
          ...where,
          href: e.href,
          unscheduled: e.attendees.filter((a) => !/SCHEDULE-AGENT=CLIENT/i.test(a)),
        }).toEqual({ ...where, href: e.href, unscheduled: [] });
    }
    // …and no request it sent during the chaos carried a schedulable attendee either, nor did any run count one.
    const attendeeLines = proxy.writes.flatMap((w) =>
      [...w.body.replace(/\r?\n[ \t]/g, '').matchAll(/^ATTENDEE[^\r\n]*$/gm)].map((m) => m[0]),
    );
    expect(attendeeLines.length).toBeGreaterThan(0);
    expect(attendeeLines.filter((a) => !/SCHEDULE-AGENT=CLIENT/i.test(a))).toEqual([]);
    const allRuns = (await cluster.runs()).map((r) => JSON.parse(r.data) as RunReport);
    expect(allRuns.filter((r) => r.invitationsSent > 0)).toEqual([]);

    // No overlap: per user, run starts and ends alternate (a killed run has a start without an end).
    const log = (await cluster.log()).filter((l) => l.event === 'start' || l.event === 'end');
    const byUser = new Map<string, { pid: number; event: string; at: string }[]>();
    for (const l of log) byUser.set(l.user_email, [...(byUser.get(l.user_email) ?? []), l]);
    const killed = new Set(workers.filter((w) => !w.alive()).map((w) => w.pid));
    for (const [user, events] of byUser) {
      const open: { pid: number; at: string }[] = [];
      const overlaps: string[] = [];
      for (const e of events) {
        if (e.event === 'start') {
          // A run still "open" from a killed process ended with it.
          const stillOpen = open.filter((o) => !killed.has(o.pid));
          if (stillOpen.length)
            overlaps.push(
              `pid ${e.pid} started at ${e.at} while pid ${stillOpen[0]!.pid}'s run from ${stillOpen[0]!.at} ran`,
            );
          open.length = 0;
          open.push(e);
        } else {
          const i = open.findIndex((o) => o.pid === e.pid);
          if (i >= 0) open.splice(i, 1);
        }
      }
      expect({ user, overlaps, outages }).toEqual({ user, overlaps: [], outages });
    }

    // Every fault kind really happened (else the seed or the size proves little).
    const crmFaults = (await cluster.log()).filter((l) => l.event.startsWith('crm-fault:'));
    const crmCounts: Record<string, number> = {};
    for (const l of crmFaults) crmCounts[l.event.slice(10)] = (crmCounts[l.event.slice(10)] ?? 0) + 1;
    const leases = await cluster.db.kysely.selectFrom('sync_state').select('lease_owner').execute();
    expect(leases.filter((l) => l.lease_owner !== null)).toEqual([]);
    const byStatus: Record<string, number> = {};
    for (const r of allRuns) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    process.stdout.write(
      `chaos: seed ${seed}: ${JSON.stringify({ ...tally, enqueued: enqueued.length, runs: byStatus, caldavFaults: proxy.counts, crmFaults: crmCounts, convergedAfterRounds: quietRound + 1, settleSeconds: Math.round((performance.now() - chaosDone) / 1000), wallSeconds: Math.round((performance.now() - started) / 1000) })}\n`,
    );
    expect(tally.kills).toBeGreaterThan(0);
    expect(tally.pgRestarts).toBeGreaterThan(0);
    expect(Object.entries(proxy.counts).filter(([, n]) => n === 0)).toEqual([]);
    expect(Object.keys(crmCounts).length).toBeGreaterThan(0);
  });
});
