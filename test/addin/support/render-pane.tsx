/** Renders the whole pane (the real App, store, client and account manager) against a FakeApi. */
import { render } from '@testing-library/react';
import { App } from '../../../src/addin/App';
import { createApiClient } from '../../../src/addin/api/client';
import { AccountManager } from '../../../src/addin/auth';
import type { SignInStrategy, TokenResult } from '../../../src/addin/auth/types';
import type { OfficeBridge } from '../../../src/addin/office';
import { createAppStore, type ViewName } from '../../../src/addin/state/app-store';
import { ServicesProvider } from '../../../src/addin/state/context';
import type { FakeApi } from './fake-api';
import { systemClock } from '../../../src/shared/clock';

export const token: TokenResult = {
  accessToken: 'token-1',
  expiresAt: systemClock().getTime() + 3600_000,
  account: { email: 'ann@example.com', name: 'Ann' },
};

export function testStrategy(signedIn: boolean, name: SignInStrategy['name'] = 'dev'): SignInStrategy {
  let current = signedIn ? token : null;
  return {
    name,
    silent: async () => current,
    interactive: async () => (current = token),
    signOut: async () => {
      current = null;
    },
  };
}

export function browserOffice(over: Partial<OfficeBridge> = {}): OfficeBridge {
  return {
    host: { host: null, platform: null },
    inOutlook: false,
    readCurrentItem: async () => null,
    onItemChanged: () => () => undefined,
    openDialog: async () => ({ kind: 'closed' }),
    theme: () => 'light',
    supportsNaa: () => false,
    mailboxUser: () => null,
    ...over,
  };
}

export function renderPane(
  fake: FakeApi,
  opts: { view?: ViewName; office?: OfficeBridge; signedIn?: boolean; strategy?: SignInStrategy } = {},
) {
  const auth = new AccountManager(opts.strategy ?? testStrategy(opts.signedIn ?? true));
  const api = createApiClient({
    getToken: () => auth.getToken(),
    onUnauthorized: () => auth.invalidate(),
    fetch: fake.fetch,
  });
  const store = createAppStore(api, opts.view ?? 'connections');
  const office = opts.office ?? browserOffice();
  const utils = render(
    <ServicesProvider services={{ store, api, auth, office }}>
      <App />
    </ServicesProvider>,
  );
  return { ...utils, store, api, auth };
}
