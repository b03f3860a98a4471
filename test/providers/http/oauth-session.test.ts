import { OAuthSession, type SessionTokens } from '../../../src/providers/http/oauth-session';
import { ProviderError } from '../../../src/sync/errors';
import { fixedClock } from '../../../src/shared/clock';

const now = fixedClock('2030-01-10T08:00:00.000Z');
const inMinutes = (m: number) => new Date(now().getTime() + m * 60_000).toISOString();

/** A token server that numbers what it issues and rotates the refresh token each time. */
function issuer() {
  let n = 0;
  const calls: (string | undefined)[] = [];
  return {
    calls,
    renew: async (current: SessionTokens) => {
      calls.push(current.refreshToken);
      n++;
      await Promise.resolve();
      return { accessToken: `at-${n}`, refreshToken: `rt-${n}`, expiresIn: 3600, answer: { n } };
    },
  };
}

describe('OAuthSession (one helper for every connector’s tokens)', () => {
  test('renews shortly before expiry, once for concurrent callers, and saves the rotated tokens before use', async () => {
    const server = issuer();
    const saved: SessionTokens[] = [];
    const session = new OAuthSession({
      tokens: { accessToken: 'at-0', refreshToken: 'rt-0', expiresAt: inMinutes(0.5) },
      renew: server.renew,
      save: async (t) => void saved.push(t),
      now,
    });
    const tokens = await Promise.all([session.token(), session.token(), session.token()]);
    expect(tokens).toEqual(['at-1', 'at-1', 'at-1']);
    expect(server.calls).toEqual(['rt-0']);
    expect(saved).toEqual([{ accessToken: 'at-1', refreshToken: 'rt-1', expiresAt: inMinutes(60) }]);
    // Fresh now: no renewal.
    expect(await session.token()).toBe('at-1');
    expect(server.calls).toHaveLength(1);
  });

  test('a 401 renews once and sends again; a second 401 is answered as it is', async () => {
    const server = issuer();
    const seen: string[] = [];
    const session = new OAuthSession({
      tokens: { accessToken: 'at-0', refreshToken: 'rt-0', expiresAt: inMinutes(30) },
      renew: server.renew,
      save: async () => undefined,
      now,
    });
    const ok = await session.send(async (token) => {
      seen.push(token);
      return new Response(null, { status: token === 'at-0' ? 401 : 200 });
    });
    expect(ok.status).toBe(200);
    expect(seen).toEqual(['at-0', 'at-1']);
    const still = await session.send(async () => new Response(null, { status: 401 }));
    expect(still.status).toBe(401);
    expect(server.calls).toEqual(['rt-0', 'rt-1']);
  });

  test('nothing to renew with: an auth error in the connector’s words; no renew at all: the 401 is returned', async () => {
    const noRefresh = new OAuthSession({
      tokens: { accessToken: 'at-0', expiresAt: null },
      renew: issuer().renew,
      save: async () => undefined,
      now,
      expiredMessage: 'Dynamics session expired and there is no refresh token',
    });
    const err = await noRefresh.send(async () => new Response(null, { status: 401 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'auth', message: 'Dynamics session expired and there is no refresh token' });
    const staticToken = new OAuthSession({
      tokens: { accessToken: 'pat', expiresAt: null },
      renew: null,
      save: async () => undefined,
      now,
    });
    expect((await staticToken.send(async () => new Response(null, { status: 401 }))).status).toBe(401);
  });

  test('options keep each connector’s habits: 401-only renewal; a stored grant renewing a token of unknown expiry', async () => {
    const entra = issuer();
    const onlyAfter401 = new OAuthSession({
      tokens: { accessToken: 'at-0', refreshToken: 'rt-0', expiresAt: inMinutes(-5) },
      renew: entra.renew,
      save: async () => undefined,
      now,
      marginMs: null,
    });
    expect(await onlyAfter401.token()).toBe('at-0');
    expect(entra.calls).toEqual([]);
    const suite = issuer();
    const storedGrant = new OAuthSession({
      tokens: { accessToken: '', expiresAt: null },
      renew: suite.renew,
      save: async () => undefined,
      now,
      renewWithoutRefreshToken: true,
      unknownExpiryIsStale: true,
    });
    expect(await storedGrant.token()).toBe('at-1');
    expect(suite.calls).toEqual([undefined]);
  });
});
