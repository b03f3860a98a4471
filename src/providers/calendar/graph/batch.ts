import { ProviderError } from '../../../sync/errors';
import { parseRetryAfter } from '../../http/retry-after';
import { providerErrorFromStatus, type GraphApi } from './api';
import { mergePrefer } from './transport';

/** Graph's limit on requests in one $batch (SPEC §12). */
export const maxBatchSize = 20;
const maxRounds = 6;

export interface SubRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the version root, starting with "/", query already encoded. */
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** The event this request touches: two requests for one event never share a batch, so they run in order. */
  key?: string;
}

/** Consecutive slices of at most 20 in which no key repeats. */
function chunksOf(indexes: number[], requests: SubRequest[]): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  let keys = new Set<string>();
  for (const idx of indexes) {
    const key = requests[idx]!.key;
    if (cur.length === maxBatchSize || (key !== undefined && keys.has(key))) {
      out.push(cur);
      cur = [];
      keys = new Set();
    }
    cur.push(idx);
    if (key !== undefined) keys.add(key);
  }
  if (cur.length) out.push(cur);
  return out;
}

export type SubResult =
  { ok: true; status: number; body: unknown; headers: Record<string, string> } | { ok: false; error: ProviderError };

interface BatchResponseItem {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

function header(h: Record<string, string> | undefined, name: string): string | undefined {
  if (!h) return undefined;
  const key = Object.keys(h).find((k) => k.toLowerCase() === name);
  return key ? h[key] : undefined;
}

const retryStatuses = new Set([424, 429, 503, 504]);

/**
 * Runs sub-requests through POST /$batch, 20 at a time, one batch in flight per mailbox. Each batch is fully parallel
 * (concepts/json-batching.md: "Batch should be either fully sequential or fully parallel"; a sequential one turns
 * one failure into 424s for everything after it): no dependsOn, and two requests for one event never share a batch.
 * Sub-requests Graph throttled (429/503/504, each evaluated on its own: json-batching.md, "Batch size limitations")
 * are resubmitted after the longest Retry-After. Results line up with `requests`.
 */
export async function runBatch(api: GraphApi, requests: SubRequest[]): Promise<SubResult[]> {
  const results: (SubResult | undefined)[] = new Array<SubResult | undefined>(requests.length);
  let pending = requests.map((_, i) => i);
  for (let round = 1; pending.length > 0; round++) {
    const again: number[] = [];
    let waitMs: number | undefined;
    // A request held back for another round holds back later requests for the same event, to keep their order.
    const deferredKeys = new Set<string>();
    for (const planned of chunksOf(pending, requests)) {
      const chunk = planned.filter((idx) => {
        const key = requests[idx]!.key;
        if (key === undefined || !deferredKeys.has(key)) return true;
        again.push(idx);
        return false;
      });
      if (chunk.length === 0) continue;
      const body = {
        requests: chunk.map((idx, pos) => {
          const r = requests[idx]!;
          const headers: Record<string, string> = { ...(r.headers ?? {}) };
          if (r.body !== undefined) headers['Content-Type'] = 'application/json';
          // Preferences are per request inside a batch too (SPEC §12: on every call).
          headers['Prefer'] = mergePrefer(headers['Prefer'] ?? null);
          return {
            id: String(pos + 1),
            method: r.method,
            url: r.url,
            headers,
            ...(r.body !== undefined ? { body: r.body } : {}),
          };
        }),
      };
      api.transport.countBatched(chunk.length);
      let answer: { responses?: BatchResponseItem[] };
      try {
        answer = await api.post<{ responses?: BatchResponseItem[] }>('/$batch', body);
      } catch (e) {
        const error =
          e instanceof ProviderError ? e : new ProviderError('transient', String(e), { cause: e, uncertain: true });
        for (const idx of chunk) results[idx] = { ok: false, error };
        continue;
      }
      const byId = new Map((answer.responses ?? []).map((r) => [r.id, r]));
      chunk.forEach((idx, pos) => {
        const r = byId.get(String(pos + 1));
        if (!r) {
          results[idx] = {
            ok: false,
            error: new ProviderError('transient', 'Graph $batch answer lacks a response', { uncertain: true }),
          };
          return;
        }
        // A 412 on a GET is Exchange's ErrorIrresolvableConflict on a read: retried like throttling.
        const retry = retryStatuses.has(r.status) || (r.status === 412 && requests[idx]!.method === 'GET');
        if (retry && round < maxRounds) {
          again.push(idx);
          const key = requests[idx]!.key;
          if (key !== undefined) deferredKeys.add(key);
          const ra = parseRetryAfter(header(r.headers, 'retry-after'));
          if (ra !== undefined) waitMs = Math.max(waitMs ?? 0, ra);
          return;
        }
        results[idx] =
          r.status >= 200 && r.status < 300
            ? { ok: true, status: r.status, body: r.body ?? null, headers: r.headers ?? {} }
            : {
                ok: false,
                error: providerErrorFromStatus(
                  r.status,
                  r.body,
                  header(r.headers, 'retry-after'),
                  undefined,
                  requests[idx]!.method,
                ),
              };
      });
    }
    pending = again.sort((a, b) => a - b);
    if (pending.length) await api.transport.backoff(waitMs, round);
  }
  return results.map(
    (r) =>
      r ?? { ok: false, error: new ProviderError('transient', 'Graph $batch gave no answer', { uncertain: true }) },
  );
}
