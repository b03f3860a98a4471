import type { Subscription } from '@microsoft/microsoft-graph-types';
import { z } from 'zod';
import { ProviderError } from '../../../sync/errors';
import type { CalendarProvider } from '../../../sync/ports';
import type { NotificationSupport, WebhookOutcome } from '../../connector';
import { GraphCalendarProvider } from './provider';

/**
 * How long a subscription is asked for. The v1.0 subscription resource page (api-reference/v1.0/resources/
 * subscription.md, "Subscription lifetime") gives 4,230 minutes for Outlook events (newer revisions say 10,080);
 * a request above the maximum is refused, so we stay under the smaller figure and renew from the answer.
 */
export const subscriptionLifetimeMinutes = 4_200;
const lifetimeMs = subscriptionLifetimeMinutes * 60_000;

function graphProvider(p: CalendarProvider): GraphCalendarProvider {
  if (!(p instanceof GraphCalendarProvider)) {
    throw new ProviderError('permanent', 'Graph notifications need a Microsoft Graph calendar provider');
  }
  return p;
}

const notificationSchema = z.object({
  value: z
    .array(
      z.object({
        subscriptionId: z.string().min(1),
        clientState: z.string().nullish(),
        lifecycleEvent: z.string().nullish(),
        changeType: z.string().nullish(),
        resource: z.string().nullish(),
      }),
    )
    .min(1),
});

/**
 * Graph change notifications (SPEC §6): subscribe to a calendar's events, renew before expirationDateTime,
 * delete on disconnect; answer the validationToken handshake; hand the server the subscription id and
 * clientState of every notification (the server compares clientState with the one it stored, then queues a run).
 */
export const graphNotifications: NotificationSupport = {
  async subscribe(provider, p) {
    const g = graphProvider(provider);
    const now = g.now();
    const body: Subscription = {
      changeType: 'created,updated,deleted',
      notificationUrl: p.notificationUrl,
      lifecycleNotificationUrl: p.notificationUrl,
      resource: `/me/calendars/${encodeURIComponent(p.calendarId)}/events`,
      expirationDateTime: new Date(now.getTime() + lifetimeMs).toISOString(),
      clientState: p.clientState,
    };
    const sub = await g.api.post<Subscription>('/subscriptions', body);
    if (!sub.id || !sub.expirationDateTime) throw new ProviderError('permanent', 'Graph subscription answer lacks id');
    return { id: sub.id, expiresAt: new Date(sub.expirationDateTime).toISOString() };
  },

  async renew(provider, id) {
    const g = graphProvider(provider);
    const sub = await g.api.patch<Subscription>(`/subscriptions/${encodeURIComponent(id)}`, {
      expirationDateTime: new Date(g.now().getTime() + lifetimeMs).toISOString(),
    });
    return { expiresAt: new Date(sub.expirationDateTime ?? g.now().toISOString()).toISOString() };
  },

  async unsubscribe(provider, id) {
    const g = graphProvider(provider);
    try {
      await g.api.delete(`/subscriptions/${encodeURIComponent(id)}`);
    } catch (e) {
      // Already expired or deleted: the goal is reached.
      if (!(e instanceof ProviderError && e.kind === 'not-found')) throw e;
    }
  },

  parseWebhook(req): WebhookOutcome {
    const token = req.query['validationToken'];
    if (token !== undefined) {
      // Graph expects the decoded token back as text/plain within 10 seconds.
      return { kind: 'handshake', status: 200, contentType: 'text/plain', body: token };
    }
    const parsed = notificationSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        kind: 'reject',
        status: 400,
        reason: `invalid notification body: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'unknown'}`,
      };
    }
    return {
      kind: 'notifications',
      items: parsed.data.value.map((n) => ({
        subscriptionId: n.subscriptionId,
        clientState: n.clientState ?? null,
        lifecycle: n.lifecycleEvent ?? null,
      })),
    };
  },
};
