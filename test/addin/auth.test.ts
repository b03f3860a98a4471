import { AccountManager, chooseStrategy, NeedsSignInError } from '../../src/addin/auth';
import { devTokenPath } from '../../src/addin/auth/dev-strategy';
import type { SignInStrategy, TokenResult } from '../../src/addin/auth/types';
import { fakeResponse } from './support/fake-api';
import { browserOffice } from './support/render-pane';
import { systemClock } from '../../src/shared/clock';

const tokenFor = (accessToken: string, expiresIn: number): TokenResult => ({
  accessToken,
  expiresAt: systemClock().getTime() + expiresIn,
  account: { email: 'ann@example.com', name: null },
});

function scripted(silent: (TokenResult | null)[]): SignInStrategy & { silentCalls: number } {
  const s = {
    name: 'naa' as const,
    silentCalls: 0,
    silent: async () => {
      s.silentCalls += 1;
      return silent.shift() ?? null;
    },
    interactive: async () => tokenFor('interactive', 3600_000),
    signOut: async () => undefined,
  };
  return s;
}

describe('AccountManager', () => {
  it('reuses a valid token and renews silently one minute before it expires', async () => {
    const strategy = scripted([tokenFor('a', 3600_000), tokenFor('b', 30_000), tokenFor('c', 3600_000)]);
    const auth = new AccountManager(strategy);
    expect(await auth.restore()).toBe(true);
    expect(await auth.getToken()).toBe('a');
    expect(await auth.getToken()).toBe('a');
    expect(strategy.silentCalls).toBe(1);
    auth.invalidate();
    expect(await auth.getToken()).toBe('b');
    // b expires within the renewal margin: the next call renews
    expect(await auth.getToken()).toBe('c');
    expect(strategy.silentCalls).toBe(3);
  });

  it('asks for the user when silent sign-in is impossible, then uses the interactive token', async () => {
    const auth = new AccountManager(scripted([]));
    expect(await auth.restore()).toBe(false);
    await expect(auth.getToken()).rejects.toBeInstanceOf(NeedsSignInError);
    await auth.signIn();
    expect(await auth.getToken()).toBe('interactive');
    expect(auth.account).toEqual({ email: 'ann@example.com', name: null });
  });

  it('shares one silent attempt between concurrent callers', async () => {
    const strategy = scripted([tokenFor('a', 3600_000)]);
    const auth = new AccountManager(strategy);
    const tokens = await Promise.all([auth.getToken(), auth.getToken(), auth.getToken()]);
    expect(tokens).toEqual(['a', 'a', 'a']);
    expect(strategy.silentCalls).toBe(1);
  });
});

describe('chooseStrategy', () => {
  const noFetch = (async () => fakeResponse(500, {})) as unknown as typeof fetch;
  const entra = {
    mode: 'entra' as const,
    clientId: '00000000-0000-0000-0000-000000000001',
    authority: 'https://login.microsoftonline.com/common',
    scopes: ['api://connector.example.com/00000000-0000-0000-0000-000000000001/access_as_user'],
  };
  it('uses NAA in Outlook where NestedAppAuth 1.1 is supported', () => {
    const office = browserOffice({
      inOutlook: true,
      host: { host: 'Outlook', platform: 'PC' },
      supportsNaa: () => true,
    });
    expect(chooseStrategy(entra, office, noFetch).name).toBe('naa');
  });
  it('falls back to MSAL in an Office dialog in Outlook without NAA, and to a popup in a browser', () => {
    const outlook = browserOffice({ inOutlook: true, host: { host: 'Outlook', platform: 'Mac' } });
    expect(chooseStrategy(entra, outlook, noFetch).name).toBe('msal-dialog');
    expect(chooseStrategy(entra, browserOffice(), noFetch).name).toBe('msal-popup');
  });
  it('uses the development sign-in when the server runs AUTH_MODE=dev', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const devToken = `${b64({ alg: 'ES256' })}.${b64({ exp: Math.floor(systemClock().getTime() / 1000) + 3600, preferred_username: 'ann@example.com', name: 'Ann' })}.sig`;
    const requests: { url: string; body: unknown }[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      requests.push({ url, body: JSON.parse(String(init.body)) });
      return fakeResponse(200, { accessToken: devToken, tokenType: 'Bearer', expiresIn: 3600 });
    }) as unknown as typeof fetch;
    const strategy = chooseStrategy({ mode: 'dev' }, browserOffice(), fakeFetch);
    expect(strategy.name).toBe('dev');
    const auth = new AccountManager(strategy);
    expect(await auth.restore()).toBe(false);
    await auth.signIn({ email: ' Ann@Example.com ' });
    expect(requests).toEqual([{ url: devTokenPath, body: { email: 'ann@example.com', admin: false } }]);
    expect(await auth.getToken()).toBe(devToken);
    expect(auth.account).toEqual({ email: 'ann@example.com', name: 'Ann' });
    // A reload of the pane restores the session from sessionStorage
    expect(await new AccountManager(chooseStrategy({ mode: 'dev' }, browserOffice(), fakeFetch)).restore()).toBe(true);
  });
});
