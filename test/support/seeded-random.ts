/**
 * A small seeded PRNG (mulberry32) for the chaos and soak tests: every random choice they make comes from one seed
 * the test prints, so a red run replays with `CHAOS_SEED=<seed>`.
 */
export interface Random {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  /** true with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
  };
}

/**
 * The seed of a test run: `envValue` when given (a number, or "random" for a fresh one), else `fixed`, so CI always
 * replays the same run and a local run can explore.
 */
export function seedFrom(envValue: string | undefined, fixed: number): number {
  if (!envValue) return fixed;
  if (envValue === 'random') return crypto.getRandomValues(new Uint32Array(1))[0]!;
  const n = Number(envValue);
  if (!Number.isInteger(n)) throw new Error(`seed must be an integer or "random", got ${envValue}`);
  return n >>> 0;
}
