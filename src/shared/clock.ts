/**
 * The one place the connector reads the wall clock.
 *
 * Everything that needs "now" (the engine, the server's stores, jobs and handlers, the providers, the pane's relative
 * times) takes a `Clock` from whoever builds it, and only the composition roots (the server's runtime, the CLI, the
 * pane's entry) hand it `systemClock`. Tests hand in their own clock, so no test depends on the day it runs; the lint
 * rule `no-restricted-syntax` (eslint.config.mjs) refuses `new Date()` and `Date.now()` anywhere else.
 * Durations are measured with `performance.now()`, which is monotonic and says nothing about the date.
 */
export type Clock = () => Date;

// eslint-disable-next-line no-restricted-syntax -- the wall clock's only reader
export const systemClock: Clock = () => new Date();

/** A clock for tests and tools: starts at `start` and moves only when told (or by `stepMs` on each read). */
export function fixedClock(
  start: Date | string,
  stepMs = 0,
): Clock & { advance(ms: number): void; set(to: Date | string): void } {
  let t = typeof start === 'string' ? Date.parse(start) : start.getTime();
  if (!Number.isFinite(t)) throw new Error(`fixedClock: not an instant: ${String(start)}`);
  const read = (): Date => {
    const d = new Date(t);
    t += stepMs;
    return d;
  };
  return Object.assign(read, {
    advance(ms: number) {
      t += ms;
    },
    set(to: Date | string) {
      t = typeof to === 'string' ? Date.parse(to) : to.getTime();
    },
  });
}
