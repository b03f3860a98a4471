import type { CalendarConnector, OpenHooks, ProviderEnv } from '../../connector';
import { ProviderError } from '../../../sync/errors';
import { GraphApi } from './api';
import { graphNotifications } from './notifications';
import { GraphCalendarProvider } from './provider';
import { mailboxSemaphore } from './semaphore';
import { GraphTransport, type TransportStats } from './transport';

export interface GraphOpenOptions {
  /** Shared counters (the bench reads them). */
  stats?: TransportStats;
  sleep?: (ms: number) => Promise<void>;
  pageSize?: number;
}

/** Builds the provider for one mailbox; the connector's open() and the tests/bench share this. */
export function openGraphProvider(
  p: { account: string; env: Pick<ProviderEnv, 'fetch' | 'graphBaseUrl' | 'now'>; getToken: () => Promise<string> },
  options: GraphOpenOptions = {},
): GraphCalendarProvider {
  const stats = options.stats ?? { requests: 0, throttled: 0, batchedRequests: 0 };
  const transport = new GraphTransport({
    fetch: p.env.fetch,
    getToken: p.getToken,
    semaphore: mailboxSemaphore(`${p.env.graphBaseUrl}|${p.account.toLowerCase()}`),
    stats,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    now: p.env.now,
  });
  const api = new GraphApi(p.env.graphBaseUrl, transport);
  return new GraphCalendarProvider(api, {
    now: p.env.now,
    selfEmail: p.account.includes('@') ? p.account : null,
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
}

/**
 * Microsoft 365 / Outlook (SPEC §3): the mailbox the add-in runs in, reached with the user's own Entra sign-in.
 * The server supplies the Graph token (on-behalf-of or app-only) through hooks.getEntraToken and tests a new
 * connection with provider.testConnection(); a 401 surfaces as ProviderError kind 'auth'.
 */
export const graphConnector: CalendarConnector = {
  descriptor: {
    id: 'microsoft-graph',
    side: 'calendar',
    label: 'Microsoft 365 / Outlook',
    authMethods: [{ id: 'entra', kind: 'entra', label: 'Sign in with Microsoft 365', fields: [] }],
    customUrl: 'none',
    capabilities: { activityTypes: [], recurrence: true, invitees: true, webhooks: true, calendars: true },
  },
  open(connection, env: ProviderEnv, hooks: OpenHooks) {
    const getToken = hooks.getEntraToken;
    return openGraphProvider({
      account: connection.account,
      env,
      getToken: getToken
        ? () => getToken()
        : () =>
            Promise.reject(new ProviderError('auth', 'The server supplied no Microsoft Graph token for this user.')),
    });
  },
  notifications: graphNotifications,
};
