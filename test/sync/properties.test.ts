import { describeEngineProperties } from '../support/engine-properties';
import { memoryWorld } from './memory-world';

const scale = Number(process.env.ENGINE_PROPERTY_RUNS ?? '1');

describeEngineProperties({ name: 'memory providers', numRuns: Math.round(600 * scale), makeWorld: memoryWorld() });
describeEngineProperties({
  name: 'memory providers without idempotent create, flag field, archive, recurrence or CRM reminders',
  numRuns: Math.round(250 * scale),
  makeWorld: memoryWorld({
    cal: { idempotentCreate: false, maxBatch: 2 },
    crm: { syncFlagField: false, archive: false, reminders: false, maxBatch: 3, invitees: false, recurrence: false },
  }),
});
describeEngineProperties({
  name: 'memory providers with batch size 1',
  numRuns: Math.round(200 * scale),
  makeWorld: memoryWorld({ cal: { maxBatch: 1 }, crm: { maxBatch: 1 } }),
});
describeEngineProperties({
  name: "memory providers, a calendar that mails attendees on any write to the user's meetings (as Graph does)",
  numRuns: Math.round(250 * scale),
  makeWorld: memoryWorld({}, { notifying: true }),
});
