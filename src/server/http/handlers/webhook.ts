import type { CalendarConnector } from '../../../providers/connector';
import { notFound } from '../../errors';
import type { HandlerGroup } from '../handler-types';

function flat(o: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((o ?? {}) as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v) && typeof v[0] === 'string') out[k] = v[0];
  }
  return out;
}

/** Calendar change notifications: the provider's handler validates them; verified ones queue a run. */
export const webhookHandlers: HandlerGroup<'webhook'> = {
  async webhook({ runtime, params, req, reply }) {
    const connector = runtime.connectionService.descriptors().calendar.some((d) => d.id === params.provider)
      ? (runtime.connectionService.connector('calendar', params.provider) as CalendarConnector)
      : null;
    if (!connector?.notifications || !runtime.subscriptions) throw notFound('webhook');
    const outcome = connector.notifications.parseWebhook({
      query: flat(req.query),
      headers: flat(req.headers),
      body: req.body,
    });
    if (outcome.kind === 'handshake') {
      return reply.code(outcome.status).header('content-type', outcome.contentType).send(outcome.body);
    }
    if (outcome.kind === 'reject')
      return reply.code(outcome.status).send({ error: 'validation', message: outcome.reason, field: null });
    let accepted = 0;
    for (const item of outcome.items) {
      if (await runtime.subscriptions.notify(params.provider, item.subscriptionId, item.clientState)) accepted++;
    }
    return reply.code(202).send({ accepted });
  },
};
