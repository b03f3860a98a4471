/**
 * In CI every fast-check property runs on one fixed seed (the engine harness's CI_SEED), so CI's verdict is repeatable
 * and a red build always replays; elsewhere each run draws fresh seeds. New bugs are hunted with fresh seeds on
 * purpose: `npm run test:explore`, or any local `npx jest`. A property that names its own seed keeps it.
 */
import fc from 'fast-check';

/** Same value as CI_SEED in test/support/engine-properties.ts (not imported: this runs before every test file). */
const ciSeed = 20261121;

if (process.env.CI && !process.env.FAST_CHECK_SEED) fc.configureGlobal({ seed: ciSeed });
else if (process.env.FAST_CHECK_SEED) fc.configureGlobal({ seed: Number(process.env.FAST_CHECK_SEED) });
