import type { Handlers } from '../handler-types';
import { accountHandlers } from './account';
import { adminHandlers } from './admin';
import { itemHandlers } from './items';
import { syncHandlers } from './sync';
import { webhookHandlers } from './webhook';

/** Every route of the API contract with its handler; the type makes a missing one a compile error. */
export const handlers: Handlers = {
  ...accountHandlers,
  ...syncHandlers,
  ...itemHandlers,
  ...adminHandlers,
  ...webhookHandlers,
};
