/**
 * Model-based property test for series in a CRM without recurrence (SPEC §5, §10): random series in the calendar
 * (daily/weekly, counted or open-ended, timed or all-day), random cancelled and modified occurrences, shortened
 * and deleted series, CRM edits and deletions of occurrence activities, days passing, crashes, lost creates and
 * 429 storms. After every step and a clean run:
 * - no duplicates: one live activity per occurrence (iCalUId = series UID + original start);
 * - nothing lost: every occurrence of a live series inside [window start, horizon) has its activity, unless the
 *   user deleted that activity in the CRM;
 * - nothing left behind: a live activity whose occurrence is gone (cancelled, rule shortened, series deleted) is
 *   one that only left the window;
 * - the activity shows its occurrence (subject, start; body both ways);
 * - a run without changes writes nothing; no mail, ever (invitations never).
 * Replay a failure with OCCURRENCE_PROPERTY_SEED=<seed> (and OCCURRENCE_PROPERTY_PATH=<path>).
 */
import fc from 'fast-check';
import { defaultSettings, type SyncSettings } from '../../src/shared/settings';
import type { CalendarEvent, CrmItem, SyncedFields, Timing } from '../../src/sync/model';
import { runSync, type EngineContext } from '../../src/sync';
import { MemoryCalendar, MemoryCrm, MemoryStatusStore } from '../../src/sync/testing';
import { crashableStore, FaultPlan, faultyCalendar, faultyCrm, SimulatedCrash } from '../../src/sync/testing/faults';
import { expandRecurrence, occurrenceICalUId, OCCURRENCE_HORIZON_DAYS } from '../../src/sync/occurrences';
import { CI_SEED } from '../support/engine-properties';

const USER = 'me@example.com';
const DAY = 86_400_000;
const START = Date.parse('2026-11-21T09:00:00.000Z');

type Edit =
  | { kind: 'series'; freq: 'DAILY' | 'WEEKLY'; count: number | null; day: number; hour: number; allDay: boolean }
  | { kind: 'exdate' | 'modify' | 'crm-body' | 'crm-delete'; pick: number; n: number }
  | { kind: 'shorten' | 'rename' | 'delete-series' | 'cancel-series'; pick: number; n: number }
  | { kind: 'days'; days: number };

type Fault =
  | { kind: 'none' }
  | { kind: 'crash'; after: number; when: 'before' | 'after' }
  | { kind: 'lost-create'; count: number }
  | { kind: 'rate-limit'; calls: number };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('series' as const),
      freq: fc.constantFrom('DAILY' as const, 'WEEKLY' as const),
      count: fc.option(fc.integer({ min: 1, max: 8 }), { nil: null }),
      day: fc.integer({ min: -10, max: 20 }),
      hour: fc.integer({ min: 7, max: 18 }),
      allDay: fc.boolean(),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom(
        'exdate' as const,
        'modify' as const,
        'crm-body' as const,
        'crm-delete' as const,
        'shorten' as const,
        'rename' as const,
        'delete-series' as const,
        'cancel-series' as const,
      ),
      pick: fc.nat(20),
      n: fc.nat(1000),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('days' as const), days: fc.integer({ min: 1, max: 12 }) }) },
);

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('crash' as const),
      after: fc.nat(6),
      when: fc.constantFrom('before' as const, 'after' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('lost-create' as const), count: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('rate-limit' as const), calls: fc.integer({ min: 1, max: 6 }) }),
  },
);

const scenarioArb = fc.record({
  conflictPolicy: fc.constantFrom('crm-wins' as const, 'most-recent-wins' as const, 'calendar-wins' as const),
  initial: fc.array(editArb, { minLength: 1, maxLength: 4 }),
  steps: fc.array(fc.record({ edits: fc.array(editArb, { maxLength: 3 }), fault: faultArb }), {
    minLength: 1,
    maxLength: 5,
  }),
});

class Violation extends Error {}
function must(cond: boolean, what: string): void {
  if (!cond) throw new Violation(what);
}

function timingStart(t: Timing): string {
  return t.kind === 'timed' ? t.start : t.startDate;
}

/** The occurrences the calendar holds now, as an attendee reads them: series + its exceptions. */
function expected(cal: MemoryCalendar, now: Date, pastWindowDays: number) {
  const range = {
    from: new Date(now.getTime() - pastWindowDays * DAY).toISOString(),
    to: new Date(now.getTime() + OCCURRENCE_HORIZON_DAYS * DAY).toISOString(),
  };
  const all = cal.all('primary');
  const out = new Map<string, { subject: string; body: string; start: string }>();
  for (const m of all) {
    if (!m.fields.recurrence || m.cancelled) continue;
    const x = expandRecurrence({ timing: m.fields.timing, recurrence: m.fields.recurrence }, range)!;
    for (const o of x.occurrences) {
      const ex = all.find((e) => e.occurrence?.seriesId === m.id && e.occurrence.originalStart === o.originalStart);
      const f = ex ? ex.fields : { ...m.fields, timing: o.timing };
      out.set(occurrenceICalUId(m.iCalUId, o.originalStart), {
        subject: f.subject,
        body: f.body,
        start: timingStart(f.timing),
      });
    }
  }
  return { occurrences: out, windowStart: range.from };
}

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

async function runScenario(sc: Scenario): Promise<void> {
  const clock = { t: START };
  // Moves one second per read so modification times order edits (most-recent-wins).
  const now = (): Date => new Date((clock.t += 1000));
  const crm = new MemoryCrm({ userEmail: USER, capabilities: { recurrence: false }, now });
  const cal = new MemoryCalendar({ userEmail: USER, now });
  const faults = new FaultPlan();
  const settings: SyncSettings = { ...defaultSettings, syncRecords: 'all', conflictPolicy: sc.conflictPolicy };
  const ctx: EngineContext = {
    crm: faultyCrm(crm, faults),
    calendar: faultyCalendar(cal, faults),
    store: crashableStore(new MemoryStatusStore(), faults),
    settings,
    userEmail: USER,
    calendars: { targetCalendarId: 'primary', sourceCalendarIds: ['primary'] },
    now: () => new Date(clock.t),
    sleep: async () => undefined,
  };
  /** iCalUIds of occurrences whose activity the user deleted in the CRM: never imported again. */
  const crmDeleted = new Set<string>();
  let seq = 0;

  const series = (): CalendarEvent[] => cal.all('primary').filter((e) => e.fields.recurrence && !e.cancelled);
  const liveItems = (): CrmItem[] => crm.all().filter((i) => !i.archived);

  const apply = (e: Edit): void => {
    seq += 1;
    if (e.kind === 'days') {
      clock.t += e.days * DAY;
      return;
    }
    if (e.kind === 'series') {
      const start = START + e.day * DAY + e.hour * 3_600_000 - 9 * 3_600_000;
      const day = new Date(start).toISOString().slice(0, 10);
      const timing: Timing = e.allDay
        ? { kind: 'all-day', startDate: day, endDate: new Date(Date.parse(day) + DAY).toISOString().slice(0, 10) }
        : {
            kind: 'timed',
            start: new Date(start).toISOString(),
            end: new Date(start + 3_600_000).toISOString(),
            timeZone: 'Europe/Berlin',
          };
      const fields: SyncedFields = {
        subject: `Series ${seq}`,
        timing,
        body: `Agenda ${seq}`,
        location: '',
        visibility: 'normal',
        showAs: 'busy',
        attendees: [{ email: `client${seq}@acme.test` }],
        recurrence: { rrule: `FREQ=${e.freq}${e.count ? `;COUNT=${e.count}` : ''}`, exdates: [] },
        reminderMinutes: 15,
      };
      cal.userCreate('primary', { fields });
      return;
    }
    if (e.kind === 'crm-body' || e.kind === 'crm-delete') {
      const items = liveItems();
      if (items.length === 0) return;
      const item = items[e.pick % items.length]!;
      if (e.kind === 'crm-body') crm.userUpdate(item.id, { body: `CRM notes ${seq}` });
      else {
        crm.userDelete(item.id);
        if (item.iCalUId) crmDeleted.add(item.iCalUId);
      }
      return;
    }
    const list = series();
    if (list.length === 0) return;
    const m = list[e.pick % list.length]!;
    const now = new Date(clock.t);
    const occ = expandRecurrence(
      { timing: m.fields.timing, recurrence: m.fields.recurrence! },
      { from: new Date(now.getTime() - 30 * DAY).toISOString(), to: new Date(now.getTime() + 60 * DAY).toISOString() },
    )!.occurrences;
    const o = occ.length > 0 ? occ[e.n % occ.length]! : null;
    switch (e.kind) {
      case 'exdate':
        if (o) {
          cal.userUpdate(m.id, {
            recurrence: { ...m.fields.recurrence!, exdates: [...m.fields.recurrence!.exdates, o.originalStart] },
          });
        }
        return;
      case 'modify': {
        if (!o) return;
        const existing = cal
          .all('primary')
          .find((x) => x.occurrence?.seriesId === m.id && x.occurrence.originalStart === o.originalStart);
        const subject = `Moved ${seq}`;
        const timing: Timing =
          o.timing.kind === 'timed'
            ? {
                ...o.timing,
                start: new Date(Date.parse(o.timing.start) + 3_600_000).toISOString(),
                end: new Date(Date.parse(o.timing.end) + 3_600_000).toISOString(),
              }
            : o.timing;
        if (existing) cal.userUpdate(existing.id, { subject, timing });
        else {
          cal.userCreate('primary', {
            fields: { ...m.fields, subject, timing, recurrence: null },
            iCalUId: `${m.iCalUId}-ex-${seq}`,
            occurrence: { seriesId: m.id, originalStart: o.originalStart },
          });
        }
        return;
      }
      case 'shorten': {
        const freq = /FREQ=(\w+)/.exec(m.fields.recurrence!.rrule)![1];
        const recurrence = { ...m.fields.recurrence!, rrule: `FREQ=${freq};COUNT=${1 + (e.n % 3)}` };
        cal.userUpdate(m.id, { recurrence });
        // As calendars do: modified occurrences the shorter series no longer has are deleted with them.
        const kept = new Set(
          expandRecurrence(
            { timing: m.fields.timing, recurrence },
            { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' },
          )!.occurrences.map((x) => x.originalStart),
        );
        for (const x of cal.all('primary')) {
          if (x.occurrence?.seriesId === m.id && !kept.has(x.occurrence.originalStart)) cal.userDelete(x.id);
        }
        return;
      }
      case 'rename':
        cal.userUpdate(m.id, { subject: `Renamed ${seq}` });
        return;
      case 'delete-series':
        cal.userDelete(m.id);
        return;
      case 'cancel-series':
        cal.userCancel(m.id);
        return;
    }
  };

  const run = async (fault: Fault) => {
    faults.reset();
    faults.sent.crm.length = 0;
    faults.sent.calendar.length = 0;
    if (fault.kind === 'crash') faults.crash = { side: 'any', remaining: fault.after, when: fault.when };
    if (fault.kind === 'lost-create') faults.lostCreates.crm = fault.count;
    if (fault.kind === 'rate-limit') {
      faults.rateLimit.crm = fault.calls;
      faults.rateLimit.calendar = fault.calls;
    }
    let report = null;
    try {
      report = await runSync(ctx, {
        trigger: 'schedule',
        ...(fault.kind === 'none' ? { confirmDeletions: true } : {}),
      });
    } catch (err) {
      if (!(err instanceof SimulatedCrash)) throw err;
    }
    faults.reset();
    must(cal.sentMail.length === 0, `mail was sent: ${JSON.stringify(cal.sentMail)}`);
    return report;
  };

  const check = (): void => {
    const { occurrences, windowStart } = expected(cal, new Date(clock.t), settings.pastWindowDays);
    const byUid = new Map<string, CrmItem>();
    for (const i of liveItems()) {
      must(i.iCalUId !== null, `activity ${i.id} has no iCalUId`);
      must(!byUid.has(i.iCalUId!), `two live activities for ${i.iCalUId}`);
      byUid.set(i.iCalUId!, i);
    }
    for (const [uid, o] of occurrences) {
      const item = byUid.get(uid);
      if (crmDeleted.has(uid)) {
        must(!item, `an occurrence whose activity the user deleted came back: ${uid}`);
        continue;
      }
      must(item !== undefined, `occurrence ${uid} (“${o.subject}”) has no activity`);
      must(item!.fields.subject === o.subject, `${uid}: subject ${item!.fields.subject} vs ${o.subject}`);
      must(
        timingStart(item!.fields.timing!) === o.start,
        `${uid}: start ${timingStart(item!.fields.timing!)} vs ${o.start}`,
      );
      must(
        item!.fields.body === o.body,
        `${uid}: body ${JSON.stringify(item!.fields.body)} vs ${JSON.stringify(o.body)}`,
      );
    }
    for (const [uid, i] of byUid) {
      if (occurrences.has(uid)) continue;
      const t = i.fields.timing!;
      const end = t.kind === 'timed' ? t.end : `${t.endDate}T00:00:00.000Z`;
      must(end <= windowStart, `activity for a gone occurrence is still live: ${uid} (“${i.fields.subject}”)`);
    }
  };

  const settle = async (): Promise<void> => {
    const r = await run({ kind: 'none' });
    must(r?.status === 'succeeded', `clean run ended ${r?.status}: ${JSON.stringify(r?.errors)}`);
    check();
    await run({ kind: 'none' });
    must(
      faults.sent.crm.length === 0 && faults.sent.calendar.length === 0,
      `a run without changes wrote: ${JSON.stringify([...faults.sent.crm, ...faults.sent.calendar]).slice(0, 400)}`,
    );
  };

  for (const e of sc.initial) apply(e);
  await settle();
  for (const step of sc.steps) {
    for (const e of step.edits) apply(e);
    await run(step.fault);
    await settle();
  }
}

test('series in a CRM without recurrence: no duplicates, nothing lost, quiet when unchanged', async () => {
  const seedEnv = process.env.OCCURRENCE_PROPERTY_SEED ?? (process.env.CI ? String(CI_SEED) : undefined);
  const pathEnv = process.env.OCCURRENCE_PROPERTY_PATH;
  await fc.assert(
    fc.asyncProperty(scenarioArb, (sc) => runScenario(sc)),
    {
      numRuns: Number(process.env.OCCURRENCE_PROPERTY_RUNS ?? 150),
      ...(seedEnv ? { seed: Number(seedEnv) } : {}),
      ...(pathEnv ? { path: pathEnv } : {}),
      reporter: (details) => {
        if (details.failed) {
          throw new Error(
            `occurrence property failed. Replay: OCCURRENCE_PROPERTY_SEED=${details.seed} ` +
              `OCCURRENCE_PROPERTY_PATH=${details.counterexamplePath ?? ''}\n${String(details.errorInstance)}\n` +
              fc.defaultReportMessage(details),
          );
        }
      },
    },
  );
}, 240_000);
