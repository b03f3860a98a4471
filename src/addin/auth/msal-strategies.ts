/**
 * Entra sign-in with @azure/msal-browser, loaded on demand so the pane's first paint does not carry MSAL.
 * - NAA (Nested App Authentication, NestedAppAuth 1.1): Outlook brokers the token; silent, then popup.
 * - Outside NAA: a standard client; silent from its cache, then an Office dialog (in Outlook) or a popup (browser).
 */
import type { AccountInfo, AuthenticationResult, IPublicClientApplication } from '@azure/msal-browser';
import type { OfficeBridge } from '../office';
import { SignInError, type AuthConfig, type SignInStrategy, type TokenResult } from './types';
import { systemClock } from '../../shared/clock';

type EntraConfig = Extract<AuthConfig, { mode: 'entra' }>;

function toResult(r: AuthenticationResult): TokenResult {
  return {
    accessToken: r.accessToken,
    expiresAt: r.expiresOn ? r.expiresOn.getTime() : systemClock().getTime() + 5 * 60_000,
    account: { email: (r.account?.username ?? '').toLowerCase(), name: r.account?.name ?? null },
  };
}

function pickAccount(pca: IPublicClientApplication, hint: string | undefined): AccountInfo | null {
  const accounts = pca.getAllAccounts();
  return (
    pca.getActiveAccount() ??
    accounts.find((a) => hint && a.username.toLowerCase() === hint.toLowerCase()) ??
    accounts[0] ??
    null
  );
}

async function silentWith(pca: IPublicClientApplication, scopes: string[], loginHint: string | undefined) {
  const msal = await import('@azure/msal-browser');
  const account = pickAccount(pca, loginHint);
  try {
    const r = account ? await pca.acquireTokenSilent({ scopes, account }) : await pca.ssoSilent({ scopes, loginHint });
    pca.setActiveAccount(r.account);
    return toResult(r);
  } catch (err) {
    if (err instanceof msal.InteractionRequiredAuthError || err instanceof msal.BrowserAuthError) return null;
    throw err;
  }
}

async function popupWith(pca: IPublicClientApplication, scopes: string[], loginHint: string | undefined) {
  const msal = await import('@azure/msal-browser');
  try {
    const r = await pca.acquireTokenPopup({ scopes, loginHint });
    pca.setActiveAccount(r.account);
    return toResult(r);
  } catch (err) {
    if (err instanceof msal.BrowserAuthError && err.errorCode === 'user_cancelled') {
      throw new SignInError('cancelled', err.message);
    }
    if (err instanceof msal.BrowserAuthError && err.errorCode === 'popup_window_error') {
      throw new SignInError('popup-blocked', err.message);
    }
    throw new SignInError('failed', err instanceof Error ? err.message : String(err));
  }
}

export function naaStrategy(config: EntraConfig, office: OfficeBridge): SignInStrategy {
  let pca: Promise<IPublicClientApplication> | null = null;
  const client = () =>
    (pca ??= import('@azure/msal-browser').then((m) =>
      m.createNestablePublicClientApplication({
        auth: { clientId: config.clientId, authority: config.authority },
      }),
    ));
  const hint = () => office.mailboxUser()?.email;
  return {
    name: 'naa',
    silent: async () => silentWith(await client(), config.scopes, hint()),
    interactive: async () => popupWith(await client(), config.scopes, hint()),
    signOut: async () => {
      const c = await client();
      c.setActiveAccount(null);
    },
  };
}

/** Query string that turns taskpane.html into the sign-in page of the dialog fallback. */
export const signInDialogQuery = 'dialog=signin';

function standardClient(config: EntraConfig): Promise<IPublicClientApplication> {
  return import('@azure/msal-browser').then((m) =>
    m.createStandardPublicClientApplication({
      auth: {
        clientId: config.clientId,
        authority: config.authority,
        redirectUri: `${window.location.origin}/taskpane.html`,
      },
      // Shared between the dialog (which signs in) and the pane (which then renews silently).
      cache: { cacheLocation: 'localStorage' },
    }),
  );
}

export function standardStrategy(config: EntraConfig, office: OfficeBridge): SignInStrategy {
  let pca: Promise<IPublicClientApplication> | null = null;
  const client = () => (pca ??= standardClient(config));
  const hint = () => office.mailboxUser()?.email;
  return {
    name: office.inOutlook ? 'msal-dialog' : 'msal-popup',
    silent: async () => silentWith(await client(), config.scopes, hint()),
    interactive: async () => {
      if (!office.inOutlook) return popupWith(await client(), config.scopes, hint());
      // Office blocks popups from the pane: sign in inside an Office dialog, which answers with the token.
      const outcome = await office.openDialog(`/taskpane.html?${signInDialogQuery}`);
      if (outcome.kind === 'closed') throw new SignInError('cancelled', 'dialog closed');
      if (outcome.kind === 'failed') throw new SignInError('failed', outcome.reason);
      const answer = JSON.parse(outcome.message) as { ok: true; result: TokenResult } | { ok: false; error: string };
      if (!answer.ok) throw new SignInError('failed', answer.error);
      return answer.result;
    },
    signOut: async () => {
      const c = await client();
      c.setActiveAccount(null);
    },
  };
}

/** Runs inside the sign-in dialog: redirect to Entra, come back, hand the token to the pane. */
export async function runSignInDialog(config: EntraConfig, reply: (message: string) => void): Promise<void> {
  const c = await standardClient(config);
  try {
    const back = await c.handleRedirectPromise();
    if (back) {
      reply(JSON.stringify({ ok: true, result: toResult(back) }));
      return;
    }
    await c.loginRedirect({ scopes: config.scopes });
  } catch (err) {
    reply(JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) }));
  }
}
