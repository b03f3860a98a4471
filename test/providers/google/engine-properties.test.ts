/** The engine's SPEC §10 property harness with the Google provider against the Google double. */
import { describeEngineProperties } from '../../support/engine-properties';
import { googleWorld } from './engine-world';

const scale = Number(process.env.ENGINE_PROPERTY_RUNS ?? '1');

describeEngineProperties({
  name: 'Google Calendar double',
  numRuns: Math.max(1, Math.round(25 * scale)),
  timeoutMs: 300_000,
  makeWorld: () => googleWorld(),
});
