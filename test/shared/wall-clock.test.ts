import fc from 'fast-check';
import { instantOf, wallClockAt } from '../../src/shared/wall-clock';

describe('wall clock ↔ instant', () => {
  test('the eve of a change: 16:00 in Sydney the day before daylight saving starts is 06:00Z', () => {
    expect(
      new Date(
        instantOf({ year: 2026, month: 10, day: 3, hour: 16, minute: 0, second: 0 }, 'Australia/Sydney'),
      ).toISOString(),
    ).toBe('2026-10-03T06:00:00.000Z');
  });

  test('a gap is read with the offset after the change; an overlap gives the first instant', () => {
    // Berlin 2027-03-28 02:30 does not exist (clocks go 02:00 → 03:00).
    expect(
      new Date(
        instantOf({ year: 2027, month: 3, day: 28, hour: 2, minute: 30, second: 0 }, 'Europe/Berlin'),
      ).toISOString(),
    ).toBe('2027-03-28T00:30:00.000Z');
    // Berlin 2026-10-25 02:30 happens twice (CEST, then CET): the first one.
    expect(
      new Date(
        instantOf({ year: 2026, month: 10, day: 25, hour: 2, minute: 30, second: 0 }, 'Europe/Berlin'),
      ).toISOString(),
    ).toBe('2026-10-25T00:30:00.000Z');
  });

  test('property: every instant (whole minutes) reads back from its wall clock', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney', 'Pacific/Chatham', 'UTC'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2025-01-01'), max: Date.parse('2030-01-01') }).map((t) => t - (t % 60000)),
        fc.constantFrom(...zones),
        (t, zone) => {
          const w = wallClockAt(t, zone);
          const back = instantOf(w, zone);
          expect(wallClockAt(back, zone)).toEqual(w);
          // Only an overlap may read back an earlier instant, and never by more than the change.
          expect(t - back).toBeGreaterThanOrEqual(0);
          expect(t - back).toBeLessThanOrEqual(3_600_000);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
