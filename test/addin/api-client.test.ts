import { ApiCallError, ApiUnreachableError, createApiClient, InputError } from '../../src/addin/api/client';
import { describeError, fieldProblems } from '../../src/addin/api/describe-error';
import { fakeResponse } from './support/fake-api';

function clientWith(answer: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const seen: { url: string; init: RequestInit }[] = [];
  const api = createApiClient({
    getToken: async () => 'tok',
    fetch: (async (url: string, init: RequestInit) => {
      seen.push({ url, init });
      return answer(url, init);
    }) as unknown as typeof fetch,
  });
  return { api, seen };
}

describe('typed API client', () => {
  it('builds the URL from the route table, sends the bearer token and validates the body', async () => {
    const { api, seen } = clientWith(() =>
      fakeResponse(200, {
        item: {
          crmId: 'a/b',
          type: 'meeting',
          subject: 's',
          start: null,
          url: null,
          syncToCalendar: true,
          cannotSyncReason: null,
          linkedEventId: null,
          lastSyncedAt: null,
          conflicts: [],
          trail: [],
        },
      }),
    );
    const r = await api('setItemSyncFlag', { params: { crmId: 'a/b' }, body: { enabled: true } });
    expect(r.item.crmId).toBe('a/b');
    expect(seen[0]!.url).toBe('/api/v1/items/a%2Fb/sync-flag');
    expect(seen[0]!.init.method).toBe('PUT');
    expect((seen[0]!.init.headers as Record<string, string>).authorization).toBe('Bearer tok');
    expect(JSON.parse(String(seen[0]!.init.body))).toEqual({ enabled: true });
  });

  it('puts the query in the URL', async () => {
    const { api, seen } = clientWith(() => fakeResponse(200, { runs: [] }));
    await api('listRuns', { query: { limit: 5 } });
    expect(seen[0]!.url).toBe('/api/v1/runs?limit=5');
  });

  it('refuses an answer that does not match the schema', async () => {
    const { api } = clientWith(() => fakeResponse(200, { runs: [{ runId: 1 }] }));
    await expect(api('listRuns', { query: { limit: 5 } })).rejects.toThrow();
  });

  it('turns an API error into a sentence naming the field, and a failed connection test into its reason', async () => {
    const { api } = clientWith(() =>
      fakeResponse(400, { error: 'validation', message: 'must be a number', field: 'pastWindowDays' }),
    );
    const err = await api('updateSettings', { body: { set: {} } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiCallError);
    expect(describeError(err)).toBe('Check the marked fields.');
    expect(fieldProblems(err)).toEqual([{ field: 'pastWindowDays', message: 'Must be a number.' }]);
    const tls = new ApiCallError(422, {
      error: 'connection-failed',
      message: 'self-signed certificate',
      field: null,
      reason: 'tls',
    });
    expect(describeError(tls)).toBe('The server’s security certificate was not accepted. Self-signed certificate.');
    // The provider saying the reason again in other words is not repeated.
    const refused = new ApiCallError(422, {
      error: 'connection-failed',
      message: 'the server rejected these credentials',
      field: null,
      reason: 'unauthorized',
    });
    expect(describeError(refused)).toBe('The provider refused these credentials.');
    // A salesperson is not told about server settings.
    const blocked = new ApiCallError(422, {
      error: 'connection-failed',
      message:
        'the host 10.0.0.5 is a private or local address and is not allowed; an admin can allow it with ALLOWED_PRIVATE_HOSTS',
      field: 'url',
      reason: 'blocked-url',
    });
    expect(describeError(blocked)).toBe('This address is not allowed (private or local network). Ask your admin.');
  });

  it('checks a body before sending it and names the field in words, not as zod JSON', async () => {
    const { api, seen } = clientWith(() => fakeResponse(200, {}));
    const err = await api('updateSettings', { body: { set: { taskEventMinutes: 2 } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(seen).toHaveLength(0);
    expect(fieldProblems(err)).toEqual([{ field: 'set.taskEventMinutes', message: 'Enter a number of at least 5.' }]);
    expect(describeError(err)).toBe('Check the marked fields.');
  });

  it('reports an unreachable server and calls onUnauthorized on 401', async () => {
    const down = clientWith(() => {
      throw new TypeError('fetch failed');
    });
    await expect(down.api('me')).rejects.toBeInstanceOf(ApiUnreachableError);
    let dropped = 0;
    const api = createApiClient({
      getToken: async () => 'tok',
      onUnauthorized: () => (dropped += 1),
      fetch: (async () =>
        fakeResponse(401, { error: 'unauthorized', message: 'token expired', field: null })) as unknown as typeof fetch,
    });
    await expect(api('me')).rejects.toBeInstanceOf(ApiCallError);
    expect(dropped).toBe(1);
  });

  it('validates a request body before sending it', async () => {
    const { api, seen } = clientWith(() => fakeResponse(200, {}));
    await expect(api('chooseCalendars', { body: { targetCalendarId: '', sourceCalendarIds: [] } })).rejects.toThrow();
    expect(seen).toHaveLength(0);
  });
});
