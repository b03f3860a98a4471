/**
 * `npm run bench [section…]`: runs the benchmark sections and prints one JSON document to stdout.
 * Each issue adds its section to the list below. Performance targets live here, never in timed test assertions.
 */
import { peakRssMb, timed, type BenchSection } from './section';
import { serverStart } from './server-start';
import { engineBench } from './engine';
import { graphBench } from './graph';
import { caldavBench } from './caldav';
import { caldavPairingBench } from './caldav-pairing';
import { caldavWritesBench } from './caldav-writes';
import { serverBench } from './server';
import { pane } from './pane';
import { vsVdirsyncer } from './vs-vdirsyncer';
import { systemClock } from '../src/shared/clock';

const sections: BenchSection[] = [
  serverStart,
  engineBench,
  graphBench,
  caldavBench,
  caldavPairingBench,
  caldavWritesBench,
  serverBench,
  pane,
  vsVdirsyncer,
];

/** `npm run bench -- --help`: what each section measures (docs/BENCHMARKS.md has the figures). */
const help: Record<string, string> = {
  'server-start': 'cold start of the embedded default: SQLite file, migrations, listen, /healthz answered',
  engine: 'engine alone, vendors in another process: initial 1k/10k/100k, no-ops, 100 changes, cleanup of 50k',
  graph: 'engine + Graph provider + Graph double: 10,000 CRM meetings pushed, after-push, no-op, 100 changes',
  caldav: 'engine + CalDAV provider + real Radicale: 1,000 CRM meetings pushed, after-push, no-op, 10 changes',
  'caldav-pairing': 're-pairing 10,000 events already in Radicale after a reset (CALDAV_PAIRING_ITEMS)',
  'caldav-writes':
    'CalDAV creates at 1/2/4/8 in flight and 10 updates, on Radicale and Xandikos (BENCH_CALDAV_WRITES_N)',
  server: 'HTTP API throughput, no-op runs/s on SQLite and PostgreSQL (1 and 2 workers), recovery times',
  pane: 'pane JavaScript size and time to the first interactive view in headless Chromium',
  'vs-vdirsyncer': 'whole CLI commands side by side with vdirsyncer on Radicale (BENCH_VS_VDIRSYNCER_N=1000,10000)',
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  if (wanted.includes('--help') || wanted.includes('-h')) {
    process.stdout.write(
      `npm run bench [section…]   (no section: all of them; JSON on stdout)\n\n${sections
        .map((s) => `  ${s.name.padEnd(16)}${help[s.name] ?? ''}`)
        .join('\n')}\n`,
    );
    return;
  }
  const unknown = wanted.filter((w) => !sections.some((s) => s.name === w));
  if (unknown.length) {
    process.stderr.write(
      `bench: unknown section(s) ${unknown.join(', ')}; known: ${sections.map((s) => s.name).join(', ')}\n`,
    );
    process.exitCode = 2;
    return;
  }
  const results: Record<string, unknown> = {};
  for (const section of sections.filter((s) => wanted.length === 0 || wanted.includes(s.name))) {
    const { ms, value } = await timed(() => section.run());
    results[section.name] = { ...value, wallMs: Math.round(ms), peakRssMb: peakRssMb() };
  }
  process.stdout.write(
    `${JSON.stringify({ node: process.version, cpus: (await import('node:os')).cpus().length, at: systemClock().toISOString(), sections: results }, null, 2)}\n`,
  );
}

void main();
