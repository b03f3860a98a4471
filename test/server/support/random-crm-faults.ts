/**
 * Random provider faults on the CRM side for the chaos test's worker processes. The Sandbox CRM lives in the
 * connector's own database (no HTTP between the worker and it), so its faults are injected at the provider port,
 * the way src/sync/memory/faults.ts does, but drawn from a seeded PRNG on every call while `enabled()`: a 429 with a
 * retry hint, a 503, a timeout before the call reached the CRM, and a write the CRM applied whose answer was lost
 * (an uncertain timeout: the engine must look before it writes again).
 */
import { ProviderError } from '../../../src/sync/errors';
import type { CrmProvider } from '../../../src/sync/ports';
import type { Random } from '../../support/seeded-random';

export type CrmFaultKind = 'status-429' | 'status-503' | 'timeout' | 'applied-then-timeout';
const kinds: readonly CrmFaultKind[] = ['status-429', 'status-503', 'timeout', 'applied-then-timeout'];

export function randomCrmFaults(
  inner: CrmProvider,
  random: Random,
  o: { rate: number; enabled: () => boolean; onFault?: (kind: CrmFaultKind) => void },
): CrmProvider {
  const draw = (): CrmFaultKind | null => {
    if (!o.enabled() || !random.chance(o.rate)) return null;
    const k = random.pick(kinds);
    o.onFault?.(k);
    return k;
  };
  const refuse = (k: CrmFaultKind): never => {
    if (k === 'status-429')
      throw new ProviderError('transient', 'Too many requests', { status: 429, retryAfterMs: 300 });
    if (k === 'status-503') throw new ProviderError('transient', 'Service unavailable', { status: 503 });
    throw new ProviderError('transient', 'Timed out waiting for the answer', {
      uncertain: k === 'applied-then-timeout',
    });
  };
  /** Reads: a fault before the call, or the answer lost after it ran. */
  const read =
    <A extends unknown[], R>(call: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const k = draw();
      if (k && k !== 'applied-then-timeout') refuse(k);
      const r = await call(...a);
      if (k) refuse(k);
      return r;
    };
  const p: CrmProvider = {
    kind: inner.kind,
    capabilities: inner.capabilities,
    testConnection: () => inner.testConnection(),
    listChanges: read((cursor, window, keep) => inner.listChanges(cursor, window, keep)),
    findByICalUId: read((ids) => inner.findByICalUId(ids)),
    lookupPeople: read((emails) => inner.lookupPeople(emails)),
    async writeItems(writes) {
      const k = draw();
      if (k && k !== 'applied-then-timeout') refuse(k);
      const results = await inner.writeItems(writes);
      if (!k) return results;
      // Every write took effect, and not one answer came back.
      return results.map((r) =>
        r.ok
          ? {
              ok: false as const,
              error: new ProviderError('transient', 'Timed out waiting for the answer', { uncertain: true }),
            }
          : r,
      );
    },
  };
  if (inner.createContact) {
    const create = inner.createContact.bind(inner);
    p.createContact = read((person) => create(person));
  }
  return p;
}
