/**
 * The in-memory store's trail: every batch handed to addTrail is kept as one compact JSON text, like a log file.
 *
 * A run writes one entry per item it touched (200,000 at 100k items after an initial sync); as objects they took
 * about 80 bytes each plus their id strings. In a batch the run id, instant, action and reason repeat (one sentence
 * per rule), so a batch stores each distinct combination once and every entry as that combination's index plus its
 * two ids (about 25 characters) plus the item's subject, which History names the line with. Listing parses the
 * batches newest first; a batch that cannot hold a match (the wanted id does not occur in its text) is skipped
 * unparsed. Batches are kept in V8's one-byte form when that is smaller (compactJson): the reason sentences contain
 * a ’, which would double the size of every batch.
 */
import type { TrailEntry } from '../status-store';
import { compactJson, escapeWide } from './plain';

type TrailFilter = { crmId?: string; eventId?: string; runId?: string };

/** What repeats across a batch: [runId, at, action, reason]. */
type Kind = [string, string, string, string];

/** A batch as stored: its distinct kinds, then per entry (in order) its kind's index, crmId, eventId and subject. */
type Batch = [Kind[], ...(number | string | null)[]];

const PER_ENTRY = 4;

function encodeBatch(entries: TrailEntry[]): string {
  const kinds: Kind[] = [];
  const kindIndex = new Map<string, number>();
  const cells: (number | string | null)[] = [];
  for (const e of entries) {
    const kind: Kind = [e.runId, e.at, e.action, e.reason];
    const key = JSON.stringify(kind);
    let k = kindIndex.get(key);
    if (k === undefined) {
      k = kinds.length;
      kinds.push(kind);
      kindIndex.set(key, k);
    }
    cells.push(k, e.crmId, e.eventId, e.subject ?? null);
  }
  return compactJson(JSON.stringify([kinds, ...cells]));
}

/**
 * A necessary condition, checked on the text: a string value occurs in a JSON text as its JSON form (with its wide
 * characters escaped when compactJson escaped the batch).
 */
function mayMatch(text: string, filter: TrailFilter): boolean {
  for (const wanted of [filter.crmId, filter.eventId, filter.runId]) {
    if (wanted === undefined) continue;
    const json = JSON.stringify(wanted);
    if (!text.includes(json) && !text.includes(escapeWide(json))) return false;
  }
  return true;
}

function matches(e: TrailEntry, f: TrailFilter): boolean {
  return (
    (f.crmId === undefined || e.crmId === f.crmId) &&
    (f.eventId === undefined || e.eventId === f.eventId) &&
    (f.runId === undefined || e.runId === f.runId)
  );
}

export class TrailLog {
  private batches: string[] = [];

  add(entries: TrailEntry[]): void {
    if (entries.length > 0) this.batches.push(encodeBatch(entries));
  }

  /** Newest first, at most `limit` entries. */
  list(filter: TrailFilter, limit: number): TrailEntry[] {
    const out: TrailEntry[] = [];
    for (let b = this.batches.length - 1; b >= 0 && out.length < limit; b--) {
      const text = this.batches[b]!;
      if (!mayMatch(text, filter)) continue;
      const [kinds, ...cells] = JSON.parse(text) as Batch;
      for (let i = cells.length - PER_ENTRY; i >= 0 && out.length < limit; i -= PER_ENTRY) {
        const [runId, at, action, reason] = kinds[cells[i] as number]!;
        const entry: TrailEntry = {
          runId,
          at,
          crmId: cells[i + 1] as string | null,
          eventId: cells[i + 2] as string | null,
          action,
          reason,
        };
        const subject = cells[i + 3];
        if (typeof subject === 'string') entry.subject = subject;
        if (matches(entry, filter)) out.push(entry);
      }
    }
    return out;
  }
}
