import type { CategoryColor, OutlookCategory } from '@microsoft/microsoft-graph-types';
import type { Priority } from '../../../sync/model';
import type { GraphApi } from './api';

/** Task priority shown as an Outlook colour category (SPEC §5). */
export const priorityCategories: Record<Priority, { name: string; color: CategoryColor }> = {
  high: { name: 'CRM: High priority', color: 'preset0' },
  normal: { name: 'CRM: Normal priority', color: 'preset3' },
  low: { name: 'CRM: Low priority', color: 'preset7' },
};

const ourNames = new Set(Object.values(priorityCategories).map((c) => c.name));

export function isOurCategory(name: string): boolean {
  return ourNames.has(name);
}

/**
 * Creates the master categories for the priorities a write needs, once per provider instance. Outlook shows an
 * event's category without a colour when the mailbox's master list lacks it.
 */
export class CategoryEnsurer {
  private known: Set<string> | null = null;

  constructor(private readonly api: GraphApi) {}

  async ensure(priorities: Iterable<Priority>): Promise<void> {
    const wanted = [...new Set(priorities)].map((p) => priorityCategories[p]);
    if (wanted.length === 0) return;
    if (!this.known) {
      const list = await this.api.get<{ value: OutlookCategory[] }>('/me/outlook/masterCategories');
      this.known = new Set(list.value.map((c) => (c.displayName ?? '').toLowerCase()));
    }
    for (const c of wanted) {
      if (this.known.has(c.name.toLowerCase())) continue;
      await this.api.post('/me/outlook/masterCategories', { displayName: c.name, color: c.color });
      this.known.add(c.name.toLowerCase());
    }
  }
}
