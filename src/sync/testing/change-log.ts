/**
 * A change log with sequence numbers: what the in-memory providers use to answer incremental listings the way
 * Graph delta, Google sync tokens and CalDAV sync-collection do (an opaque cursor, upserts and explicit removals).
 */
export class ChangeLog {
  private seq = 0;
  /** id → sequence number of its last change, and whether that change was a removal. */
  private last = new Map<string, { seq: number; removed: boolean }>();
  /** Cursors older than this are expired (the provider answers with a full listing). */
  private oldestValid = 0;

  record(id: string, removed: boolean): void {
    this.seq += 1;
    this.last.set(id, { seq: this.seq, removed });
  }

  get cursor(): string {
    return String(this.seq);
  }

  /** Makes every cursor handed out so far invalid (Google 410 Gone, an expired Graph delta link). */
  expireCursors(): void {
    this.oldestValid = this.seq;
  }

  /** Parses a cursor; null when it is absent, malformed or expired. */
  parse(cursor: string | null): number | null {
    if (cursor === null || !/^\d+$/.test(cursor)) return null;
    const n = Number(cursor);
    return n < this.oldestValid || n > this.seq ? null : n;
  }

  since(from: number): { changed: string[]; removed: string[] } {
    const changed: string[] = [];
    const removed: string[] = [];
    for (const [id, e] of this.last) {
      if (e.seq <= from) continue;
      (e.removed ? removed : changed).push(id);
    }
    return { changed, removed };
  }
}

/** A monotonic version counter rendered as an etag-like string. */
export function nextVersion(prev: string | null): string {
  const n = prev ? Number(prev.replace(/\D/g, '')) || 0 : 0;
  return `v${n + 1}`;
}

export function timingEnd(t: { kind: 'timed'; end: string } | { kind: 'all-day'; endDate: string }): string {
  return t.kind === 'timed' ? t.end : `${t.endDate}T00:00:00.000Z`;
}

export function timingStart(t: { kind: 'timed'; start: string } | { kind: 'all-day'; startDate: string }): string {
  return t.kind === 'timed' ? t.start : `${t.startDate}T00:00:00.000Z`;
}
