import type { ProviderEnv } from '../../providers/connector';
import { createSafeFetch } from '../../providers/http';
import type { Config } from '../config';
import type { Clock } from '../../shared/clock';

/** What every provider gets from the server: the SSRF-guarded fetch for user URLs and the configured endpoints. */
export function createProviderEnv(config: Config, clock: Clock): ProviderEnv {
  return {
    safeFetch: createSafeFetch({ allowedPrivateHosts: config.ALLOWED_PRIVATE_HOSTS }),
    fetch: (input, init) => fetch(input, init),
    publicUrl: publicOrigin(config),
    graphBaseUrl: config.GRAPH_BASE_URL,
    ...(config.GOOGLE_CLIENT_ID && config.GOOGLE_CLIENT_SECRET
      ? { google: { clientId: config.GOOGLE_CLIENT_ID, clientSecret: config.GOOGLE_CLIENT_SECRET } }
      : {}),
    ...(config.CALDAV_WRITE_CONCURRENCY ? { caldavWriteConcurrency: config.CALDAV_WRITE_CONCURRENCY } : {}),
    now: clock,
  };
}

/** The origin users reach the connector at (OAuth callbacks, deep links). */
export function publicOrigin(config: Config): string {
  return (config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/+$/, '');
}
