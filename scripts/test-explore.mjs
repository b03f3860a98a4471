#!/usr/bin/env node
/**
 * npm run test:explore [-- --runs N] [-- --scale S] [-- --suite PATH ...]
 *
 * Looks for new engine bugs without making CI flaky: runs the model-based property suites N times (default 5),
 * each time with a fresh random seed, and prints every failing seed with the line that replays it. CI never does
 * this: it runs the fixed CI_SEED, so its verdict is repeatable. Exit code 1 when any seed failed.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const runs = Number(opt('runs', '5'));
const scale = opt('scale', '1');
if (!Number.isInteger(runs) || runs < 1) {
  console.error('--runs must be a positive integer');
  process.exit(2);
}
const chosen = args.flatMap((a, i) => (args[i - 1] === '--suite' ? [a] : []));

/** Each property suite, the environment variables its seed and path are read from, and what it covers. */
const suites = [
  { file: 'test/sync/properties.test.ts', seedVar: 'ENGINE_PROPERTY_SEED', pathVar: 'ENGINE_PROPERTY_PATH' },
  {
    file: 'test/sync/occurrence-properties.test.ts',
    seedVar: 'OCCURRENCE_PROPERTY_SEED',
    pathVar: 'OCCURRENCE_PROPERTY_PATH',
  },
  {
    file: 'test/providers/crm/engine-properties.test.ts',
    seedVar: 'ENGINE_PROPERTY_SEED',
    pathVar: 'ENGINE_PROPERTY_PATH',
  },
  { file: 'test/providers/graph/properties.test.ts', seedVar: 'ENGINE_PROPERTY_SEED', pathVar: 'ENGINE_PROPERTY_PATH' },
  {
    file: 'test/providers/google/engine-properties.test.ts',
    seedVar: 'ENGINE_PROPERTY_SEED',
    pathVar: 'ENGINE_PROPERTY_PATH',
  },
].filter((s) => chosen.length === 0 || chosen.some((c) => s.file.includes(c)));

const failures = [];
for (let n = 1; n <= runs; n++) {
  for (const suite of suites) {
    // A 31-bit seed, as fast-check prints them.
    const seed = crypto.randomInt(-(2 ** 31), 2 ** 31 - 1);
    const env = { ...process.env, [suite.seedVar]: String(seed), ENGINE_PROPERTY_RUNS: scale };
    delete env.CI;
    delete env[suite.pathVar];
    process.stdout.write(`run ${n}/${runs} ${suite.file} seed ${seed} … `);
    const r = spawnSync('npx', ['jest', suite.file, '--silent'], {
      cwd: root,
      env,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    if (r.status === 0) {
      console.log('ok');
      continue;
    }
    const replays = [...new Set(out.match(/Replay: [A-Z_]+=-?\d+ [A-Z_]+=[\d:]*/g) ?? [])];
    console.log('FAILED');
    failures.push({ suite: suite.file, seed, replays: replays.length ? replays : [`${suite.seedVar}=${seed}`] });
  }
}

console.log('');
if (failures.length === 0) {
  console.log(`no failing seed in ${runs * suites.length} runs`);
} else {
  console.log(`${failures.length} failing run(s):`);
  for (const f of failures) {
    for (const line of f.replays) {
      console.log(`  ${f.suite}: ${line.replace(/^Replay: /, '')} npx jest ${f.suite}`);
    }
  }
  process.exitCode = 1;
}
