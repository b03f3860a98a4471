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

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
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
