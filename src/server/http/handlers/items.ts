import type { HandlerGroup } from '../handler-types';

/** The item panel's routes: the use case is the item panel service (src/server/services/item-panel.ts). */
export const itemHandlers: HandlerGroup<'lookupItems' | 'setItemSyncFlag'> = {
  lookupItems: ({ runtime, auth, query }) => runtime.sync.items.lookup(auth.user, query),
  setItemSyncFlag: ({ runtime, auth, params, body }) =>
    runtime.sync.items.setSyncFlag(auth.user, params.crmId, body.enabled),
};
