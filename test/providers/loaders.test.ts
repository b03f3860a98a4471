import { connectorLoaders } from '../../src/providers/loaders';
import { calendarConnectors, crmConnectors } from '../../src/providers/registry';

describe('provider loaders', () => {
  it('load, by the same ids and in the same order, the connectors the registry lists', async () => {
    for (const side of ['calendar', 'crm'] as const) {
      const listed = (side === 'calendar' ? calendarConnectors : crmConnectors).map((c) => c.descriptor.id);
      const loaders = connectorLoaders[side];
      expect(Object.keys(loaders)).toEqual(listed);
      for (const [id, load] of Object.entries(loaders)) {
        const connector = await load();
        expect(connector.descriptor.id).toBe(id);
      }
    }
  });
});
