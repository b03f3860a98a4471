import fc from 'fast-check';
import type { TrailEntry } from '../../src/sync/status-store';
import { TrailLog } from '../../src/sync/testing/trail-log';

/** Few distinct values, so filters hit; some with quotes, escapes and wide characters (batches may be escaped). */
const id = fc.constantFrom('c1', 'c"2', 'é3', '’4', '😀5', 'a\\b', '\u20ac', 'x\ny');
const entry: fc.Arbitrary<TrailEntry> = fc.record({
  runId: fc.constantFrom('r1', 'r2', 'r’3'),
  at: fc.constantFrom('2026-11-21T09:00:00.000Z', 't'),
  crmId: fc.option(id),
  eventId: fc.option(id),
  action: fc.constantFrom('calendar:create', 'crm:update', 'calendar:skip'),
  reason: fc.oneof(fc.constantFrom('In scope: a calendar event is created.', 'The new event’s iCalUId…'), fc.string()),
});
const filter = fc.record({ crmId: id, eventId: id, runId: fc.constantFrom('r1', 'r2', 'r’3') }, { requiredKeys: [] });

/** The contract's meaning: newest first, every given field equal, at most limit entries. */
function reference(all: TrailEntry[], f: { crmId?: string; eventId?: string; runId?: string }, limit: number) {
  return all
    .filter(
      (e) =>
        (f.crmId === undefined || e.crmId === f.crmId) &&
        (f.eventId === undefined || e.eventId === f.eventId) &&
        (f.runId === undefined || e.runId === f.runId),
    )
    .reverse()
    .slice(0, limit);
}

describe('memory status store trail log', () => {
  test('lists what a plain list of entries would: filters, newest first, limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(entry, { minLength: 0, maxLength: 30 }), { maxLength: 6 }),
        filter,
        fc.integer({ min: 0, max: 40 }),
        (batches, f, limit) => {
          const log = new TrailLog();
          for (const b of batches) log.add(b);
          expect(log.list(f, limit)).toEqual(reference(batches.flat(), f, limit));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('entries come back as copies', () => {
    const log = new TrailLog();
    const e: TrailEntry = { runId: 'r', at: 't', crmId: 'c', eventId: null, action: 'a', reason: 'why' };
    log.add([e]);
    e.reason = 'changed';
    const [listed] = log.list({}, 1);
    listed!.action = 'changed too';
    expect(log.list({}, 1)).toEqual([{ runId: 'r', at: 't', crmId: 'c', eventId: null, action: 'a', reason: 'why' }]);
  });
});
