import type { StatusStore } from '../../sync/status-store';
import type { RunReport } from '../../shared/run-report';

/** Thrown by a run's store once its lease is lost: the run must not write anything more. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/** What History shows for a run that stopped because its lease was lost (the run is `interrupted`). */
export const leaseLostMessages = {
  taken:
    'This sync stopped: its run lease was taken over (it had expired, and the run janitor or another worker took it), ' +
    'so it stopped before writing anything more. It runs again automatically.',
  expired:
    'This sync stopped: its run lease could not be renewed before it expired (the database could not be reached), ' +
    'so it stopped before writing anything more. It runs again automatically.',
} as const;

/**
 * Keeps a run's lease: renews it every third of its time to live and, when a renewal says the lease is no longer
 * this run's (the janitor or another worker took it after it expired, or the row names another run), or when no
 * renewal reached the database within the time to live (someone may take it now), marks it lost and aborts the run.
 * From then on `check` throws, and the run's store (`guardWrites`) refuses every write.
 */
export class RunLease {
  private lostReason: string | null = null;
  /** When the last take or renewal that held was sent (monotonic ms): the lease is ours until this plus the TTL. */
  private heldSince: number;
  private renewing = false;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly o: {
      ttlMs: number;
      /** When the statement that took the lease was sent (monotonic ms, `performance.now()`). */
      heldSince?: number;
      /** One renewal: true when the lease is still this run's. */
      renew: () => Promise<boolean>;
      /** Called once, when the lease is lost (the run's AbortController aborts with it). */
      onLost: (err: LeaseLostError) => void;
    },
  ) {
    this.heldSince = o.heldSince ?? this.now();
  }

  private now(): number {
    return performance.now();
  }

  /** The reason the lease was lost, or null while it is held. */
  get lost(): string | null {
    return this.lostReason;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.o.ttlMs / 3)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Throws LeaseLostError once the lease is lost. */
  check(): void {
    if (this.lostReason !== null) throw new LeaseLostError(this.lostReason);
  }

  /** One renewal (the timer's; tests call it directly). */
  async tick(): Promise<void> {
    if (this.lostReason !== null) return;
    if (this.renewing) {
      // The previous renewal hangs (the database is away): past the TTL someone may take the lease.
      if (this.now() - this.heldSince >= this.o.ttlMs) this.lose(leaseLostMessages.expired);
      return;
    }
    this.renewing = true;
    const sent = this.now();
    try {
      if (await this.o.renew()) this.heldSince = sent;
      else this.lose(leaseLostMessages.taken);
    } catch {
      // The database did not answer: the lease still stands until its expiry, then it is not ours to count on.
      if (this.now() - this.heldSince >= this.o.ttlMs) this.lose(leaseLostMessages.expired);
    } finally {
      this.renewing = false;
    }
  }

  private lose(reason: string): void {
    if (this.lostReason !== null) return;
    this.lostReason = reason;
    this.stop();
    this.o.onLost(new LeaseLostError(reason));
  }
}

/** Store methods that only read; every other method writes and is refused once the lease is lost. */
const readOnly = /^(load|list|get|prefetch)/;

/**
 * The run's status store, refusing every write once `check` throws (its lease is lost: another run of the user may
 * be writing now). Reads go through. The latest report the engine saved (or tried to) is kept in `report`, so an
 * interrupted run is recorded with what it did.
 */
export function guardWrites<S extends StatusStore>(
  store: S,
  check: () => void,
): { store: S; lastReport: () => RunReport | null } {
  let report: RunReport | null = null;
  const guarded = new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      // Called on the store itself, so its own internal calls do not come back through this proxy.
      if (typeof prop !== 'string' || readOnly.test(prop)) return (...args: unknown[]) => method.apply(target, args);
      return (...args: unknown[]) => {
        if (prop === 'saveRun') report = args[0] as RunReport;
        try {
          check();
        } catch (e) {
          // Every write is async: refused as a rejected promise, as a failed statement would be.
          return Promise.reject(e as Error);
        }
        return method.apply(target, args);
      };
    },
  });
  return { store: guarded, lastReport: () => report };
}

/** The provider calls that write (ports.ts): refused once the lease is lost, like the store's writes. */
const providerWrites = new Set(['writeEvents', 'writeItems', 'createContact']);

/** A run's CRM or calendar provider whose writes are refused once `check` throws (reads go through). */
export function guardProviderWrites<P extends object>(provider: P, check: () => void): P {
  return new Proxy(provider, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (typeof prop !== 'string' || !providerWrites.has(prop))
        return (...args: unknown[]) => method.apply(target, args);
      return (...args: unknown[]) => {
        try {
          check();
        } catch (e) {
          return Promise.reject(e as Error);
        }
        return method.apply(target, args);
      };
    },
  });
}
