/**
 * Fault injection around any provider and status store (tests, demos): 429 storms with a retry hint, creates
 * whose answer is lost after they took effect (timeouts), a side that lists nothing, and process crashes at a
 * chosen write (before or after the provider applied it). A crash freezes the wrapped store, exactly as a killed
 * process stops writing, and throws SimulatedCrash out of the engine.
 */
import type { CalendarProvider, CrmProvider, CrmWrite, EventWrite, WriteResult } from '../ports';
import type { StatusStore } from '../status-store';
import { ProviderError } from '../errors';

export class SimulatedCrash extends Error {
  constructor() {
    super('simulated crash');
    this.name = 'SimulatedCrash';
  }
}

export type FaultSide = 'crm' | 'calendar';

export class FaultPlan {
  /** Calls (listings, lookups, writes) that still fail with 429 before the side answers normally. */
  rateLimit: Record<FaultSide, number> = { crm: 0, calendar: 0 };
  retryAfterMs = 1_000;
  /** Creates that still take effect but answer with an uncertain timeout. */
  lostCreates: Record<FaultSide, number> = { crm: 0, calendar: 0 };
  /** Full listings that still come back empty. */
  listNothing: Record<FaultSide, number> = { crm: 0, calendar: 0 };
  /** Crash at the n-th write from now (0 = the next one) on a side, before or after it takes effect. */
  crash: { side: FaultSide | 'any'; remaining: number; when: 'before' | 'after' } | null = null;
  crashed = false;
  /** Every write request that reached the provider. */
  readonly sent: { crm: CrmWrite[]; calendar: EventWrite[] } = { crm: [], calendar: [] };

  reset(): void {
    this.rateLimit = { crm: 0, calendar: 0 };
    this.lostCreates = { crm: 0, calendar: 0 };
    this.listNothing = { crm: 0, calendar: 0 };
    this.crash = null;
    this.crashed = false;
  }

  throttle(side: FaultSide): void {
    if (this.crashed) throw new SimulatedCrash();
    if (this.rateLimit[side] > 0) {
      this.rateLimit[side] -= 1;
      throw new ProviderError('transient', 'Too many requests', { status: 429, retryAfterMs: this.retryAfterMs });
    }
  }

  /** How many of these writes go through, and whether the process dies right after them. */
  crashCut(side: FaultSide, count: number): { cut: number; crash: boolean } {
    const c = this.crash;
    if (!c || (c.side !== 'any' && c.side !== side)) return { cut: count, crash: false };
    if (c.remaining >= count) {
      c.remaining -= count;
      return { cut: count, crash: false };
    }
    return { cut: c.remaining + (c.when === 'after' ? 1 : 0), crash: true };
  }

  crashNow(): never {
    this.crashed = true;
    this.crash = null;
    throw new SimulatedCrash();
  }
}

async function faultyWrites<W extends { op: string }, R>(
  faults: FaultPlan,
  side: FaultSide,
  writes: W[],
  call: (ws: W[]) => Promise<WriteResult<R>[]>,
): Promise<WriteResult<R>[]> {
  faults.throttle(side);
  const { cut, crash } = faults.crashCut(side, writes.length);
  const sent = writes.slice(0, cut);
  (faults.sent[side] as unknown as W[]).push(...sent);
  const results = sent.length > 0 ? await call(sent) : [];
  if (crash) faults.crashNow();
  return results.map((r, i) => {
    if (r.ok && writes[i]!.op === 'create' && faults.lostCreates[side] > 0) {
      faults.lostCreates[side] -= 1;
      return {
        ok: false as const,
        error: new ProviderError('transient', 'Timed out waiting for the answer', { uncertain: true }),
      };
    }
    return r;
  });
}

export function faultyCalendar(inner: CalendarProvider, faults: FaultPlan): CalendarProvider {
  return {
    kind: inner.kind,
    capabilities: inner.capabilities,
    testConnection: () => inner.testConnection(),
    listCalendars: () => inner.listCalendars(),
    async listChanges(calendarId, cursor, window, keep) {
      faults.throttle('calendar');
      if (faults.listNothing.calendar > 0) {
        faults.listNothing.calendar -= 1;
        // Without the filter: a side that lists nothing has not seen anything unchanged either.
        const real = await inner.listChanges(calendarId, cursor, window);
        return { upserts: [], removedIds: [], full: true, nextCursor: real.nextCursor };
      }
      return inner.listChanges(calendarId, cursor, window, keep);
    },
    async findByTag(calendarId, crmIds) {
      faults.throttle('calendar');
      return inner.findByTag(calendarId, crmIds);
    },
    writeEvents: (calendarId, writes) =>
      faultyWrites(faults, 'calendar', writes, (ws) => inner.writeEvents(calendarId, ws)),
  };
}

export function faultyCrm(inner: CrmProvider, faults: FaultPlan): CrmProvider {
  const p: CrmProvider = {
    kind: inner.kind,
    capabilities: inner.capabilities,
    testConnection: () => inner.testConnection(),
    async listChanges(cursor, window, keep) {
      faults.throttle('crm');
      if (faults.listNothing.crm > 0) {
        faults.listNothing.crm -= 1;
        const real = await inner.listChanges(cursor, window);
        return { upserts: [], removedIds: [], full: true, nextCursor: real.nextCursor };
      }
      return inner.listChanges(cursor, window, keep);
    },
    async findByICalUId(ids) {
      faults.throttle('crm');
      return inner.findByICalUId(ids);
    },
    async lookupPeople(emails) {
      faults.throttle('crm');
      return inner.lookupPeople(emails);
    },
    writeItems: (writes) => faultyWrites(faults, 'crm', writes, (ws) => inner.writeItems(ws)),
  };
  if (inner.createContact) {
    const create = inner.createContact.bind(inner);
    p.createContact = async (person) => {
      faults.throttle('crm');
      return create(person);
    };
  }
  return p;
}

/** A store that stops accepting anything once the plan has crashed (what a killed process would have written). */
export function crashableStore(inner: StatusStore, faults: FaultPlan): StatusStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (faults.crashed) return Promise.reject(new SimulatedCrash());
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
