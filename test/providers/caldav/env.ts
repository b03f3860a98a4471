import { createSafeFetch, type FetchLike } from '../../../src/providers/http';
import type { ProviderEnv } from '../../../src/providers/connector';

/** A provider environment whose safe fetch lets the test server through, as an admin allow-list would. */
export function testEnv(allowedPrivateHosts: string[], counter?: { requests: number }): ProviderEnv {
  const safe = createSafeFetch({ allowedPrivateHosts });
  const safeFetch: FetchLike = (input, init) => {
    if (counter) counter.requests++;
    return safe(input, init);
  };
  return {
    safeFetch,
    fetch: (i, init) => fetch(i, init),
    publicUrl: 'https://connector.example',
    graphBaseUrl: 'https://graph.invalid',
    now: () => new Date(),
  };
}
