/**
 * The engine's model-based properties (SPEC §10 guarantees 1–7, test/support/engine-properties.ts) with real CRM
 * connector on the CRM side: the Sandbox CRM over its SQLite store. (SuiteCRM runs the engine's scenarios in
 * engine-scenarios.test.ts; under the property harness it cannot converge on what SuiteCRM has no field for —
 * a task holds one contact — see docs/crm.md.)
 */
import { describeEngineProperties, type EngineWorld } from '../../support/engine-properties';
import { MemoryCalendar } from '../../../src/sync';
import type { CalendarProvider } from '../../../src/sync/ports';
import { SandboxCrmProvider, type SandboxItemData } from '../../../src/providers/crm/sandbox';
import { openSandboxDb } from './sandbox/sandbox-support';

const scale = Number(process.env.ENGINE_PROPERTY_RUNS ?? '1');
const everything = { from: '1970-01-01T00:00:00.000Z', to: null };

function calendarSide(userEmail: string): {
  calendar: CalendarProvider;
  calendarControl: EngineWorld['calendarControl'];
} {
  const calendar = new MemoryCalendar({ userEmail });
  return {
    calendar,
    calendarControl: {
      create: async (calendarId, input) => calendar.userCreate(calendarId, input).id,
      update: async (id, patch) => void calendar.userUpdate(id, patch),
      cancel: async (id) => calendar.userCancel(id),
      delete: async (id) => calendar.userDelete(id),
      list: async (calendarId) => calendar.all(calendarId),
    },
  };
}

async function sandboxWorld(): Promise<EngineWorld> {
  const userEmail = 'me@example.com';
  const { db, repoFor } = await openSandboxDb();
  const repo = repoFor({ tenantId: 'props', userEmail });
  const crm = new SandboxCrmProvider(repo, 'https://connector.example');
  return {
    crm,
    ...calendarSide(userEmail),
    calendarId: 'primary',
    userEmail,
    now: new Date(),
    crmControl: {
      async create(input) {
        const data: SandboxItemData = {
          type: input.type,
          ...input.fields,
          completed: input.completed ?? false,
          priority: 'normal',
          syncToCalendar: input.syncToCalendar,
          archived: false,
          iCalUId: null,
          origin: 'crm',
          occurrence: null,
          links: { contactIds: [], companyIds: [] },
        };
        const [item] = await repo.createItems([{ data }]);
        return item!.id;
      },
      update: async (id, patch) => void (await repo.updateItem(id, patch)),
      setFlag: async (id, value) => void (await repo.updateItem(id, { syncToCalendar: value })),
      archive: async (id) => void (await repo.updateItem(id, { archived: true })),
      delete: (id) => repo.deleteItem(id),
      list: async () => (await crm.listChanges(null, everything)).upserts,
    },
    cleanup: () => db.close(),
  };
}

describeEngineProperties({
  name: 'Sandbox CRM (SQLite)',
  numRuns: Math.round(60 * scale),
  makeWorld: sandboxWorld,
  timeoutMs: 300_000,
});
