/** An in-memory CrmItemTags (the server keeps them in the crm_item_tags table: src/server/store/item-tags.ts). */
import type { CrmItemTags } from '../../../src/providers/connector';

export function memoryItemTags(): CrmItemTags & { all(): Map<string, string> } {
  const tags = new Map<string, string>();
  return {
    find: async (wanted) => [...tags].filter(([, t]) => wanted.includes(t)).map(([itemId, tag]) => ({ itemId, tag })),
    tagsOf: async (ids) => new Map([...tags].filter(([id]) => ids.includes(id))),
    put: async (itemId, tag) => void tags.set(itemId, tag),
    all: () => tags,
  };
}
