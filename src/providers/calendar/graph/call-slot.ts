import type { MiddlewareOptions } from '@microsoft/microsoft-graph-client';
import type { ProviderError } from '../../../sync/errors';

/** Carries a transport failure past the Graph client, which would otherwise flatten it into a GraphError. */
export class CallSlot implements MiddlewareOptions {
  error: ProviderError | undefined;
}

/** The CallSlot the transport writes into, when the call carries one. */
export function callSlotOf(context: { middlewareControl?: { getMiddlewareOptions(c: unknown): unknown } }) {
  return context.middlewareControl?.getMiddlewareOptions(CallSlot) as CallSlot | undefined;
}
