/**
 * Google push notifications (events.watch channels) as a trigger; the schedule stays the backstop.
 * Channels cannot be extended, so renewing stops the channel and opens it again under the same channel id
 * (the resource id of a calendar's events is stable), which keeps the subscription id the server stored.
 * Subscription id = "<channelId>|<resourceId>"; the channel id carries the calendar id, so renew and
 * unsubscribe need nothing else.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { NotificationSupport, WebhookOutcome } from '../../connector';
import type { CalendarProvider } from '../../../sync/ports';
import { ProviderError } from '../../../sync/errors';
import { GoogleCalendarProvider } from './provider';

/** Longest channel life Google grants for calendar events (about a week); it may grant less. */
const requestedTtlSeconds = 7 * 24 * 3600;

const channelAnswer = z.object({
  id: z.string(),
  resourceId: z.string(),
  expiration: z.union([z.string(), z.number()]).optional(),
});

function channelIdFor(calendarId: string): string {
  return `${randomBytes(8).toString('hex')}-${Buffer.from(calendarId).toString('base64url')}`;
}

function calendarOf(channelId: string): string {
  const i = channelId.indexOf('-');
  if (i < 0) throw new ProviderError('invalid', `not a channel id of this connector: ${channelId}`);
  return Buffer.from(channelId.slice(i + 1), 'base64url').toString();
}

function splitId(id: string): { channelId: string; resourceId: string } {
  const [channelId = '', resourceId = ''] = id.split('|');
  return { channelId, resourceId };
}

function google(provider: CalendarProvider): GoogleCalendarProvider {
  if (!(provider instanceof GoogleCalendarProvider)) throw new Error('Google notifications need the Google provider');
  return provider;
}

/** Notification state per subscription: the address and token to re-open a channel with. */
const channelSettings = new Map<string, { address: string; token: string }>();

async function openChannel(p: GoogleCalendarProvider, channelId: string, address: string, token: string) {
  const calendarId = calendarOf(channelId);
  const { data } = await p.api.call<unknown>(
    'POST',
    `/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events/watch`,
    {
      body: { id: channelId, type: 'web_hook', address, token, params: { ttl: String(requestedTtlSeconds) } },
    },
  );
  const answer = channelAnswer.parse(data);
  const expiresAt = new Date(
    answer.expiration ? Number(answer.expiration) : p.api.now().getTime() + requestedTtlSeconds * 1000,
  ).toISOString();
  const id = `${answer.id}|${answer.resourceId}`;
  channelSettings.set(id, { address, token });
  return { id, expiresAt };
}

function header(headers: Record<string, string>, name: string): string | null {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key ? (headers[key] ?? null) : null;
}

export const googleNotifications: NotificationSupport = {
  subscribe(provider, p) {
    return openChannel(google(provider), channelIdFor(p.calendarId), p.notificationUrl, p.clientState);
  },
  async renew(provider, id) {
    const g = google(provider);
    const settings = channelSettings.get(id);
    if (!settings) throw new ProviderError('not-found', 'unknown channel: subscribe again', { status: 404 });
    const { channelId, resourceId } = splitId(id);
    await g.api.call('POST', '/calendar/v3/channels/stop', { body: { id: channelId, resourceId }, accept: [404] });
    const opened = await openChannel(g, channelId, settings.address, settings.token);
    return { expiresAt: opened.expiresAt };
  },
  async unsubscribe(provider, id) {
    const { channelId, resourceId } = splitId(id);
    await google(provider).api.call('POST', '/calendar/v3/channels/stop', {
      body: { id: channelId, resourceId },
      accept: [404],
    });
    channelSettings.delete(id);
  },
  parseWebhook(req): WebhookOutcome {
    const channelId = header(req.headers, 'x-goog-channel-id');
    const resourceId = header(req.headers, 'x-goog-resource-id');
    const state = header(req.headers, 'x-goog-resource-state');
    if (!channelId || !resourceId || !state)
      return { kind: 'reject', status: 400, reason: 'not a Google Calendar notification' };
    // The first message on a new channel ("sync") only confirms it; it carries no change.
    if (state === 'sync') return { kind: 'handshake', status: 200, contentType: 'text/plain', body: '' };
    return {
      kind: 'notifications',
      items: [
        {
          subscriptionId: `${channelId}|${resourceId}`,
          clientState: header(req.headers, 'x-goog-channel-token'),
          lifecycle: null,
        },
      ],
    };
  },
};
