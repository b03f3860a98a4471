/**
 * Development sign-in (server with AUTH_MODE=dev): the server's local issuer signs a token for any e-mail.
 * The token is kept in sessionStorage so a reload of the pane stays signed in, and only for this tab.
 */
import { z } from 'zod';
import { SignInError, type SignInStrategy, type TokenResult } from './types';

export const devSignInPath = '/api/v1/auth/dev/sign-in';
const storageKey = 'crm-connector.dev-token';

const devTokenSchema = z.object({
  accessToken: z.string().min(1),
  expiresAt: z.string(),
  email: z.string(),
  displayName: z.string().nullable().optional(),
});

function load(): TokenResult | null {
  try {
    const raw = window.sessionStorage.getItem(storageKey);
    if (!raw) return null;
    const t = JSON.parse(raw) as TokenResult;
    return t.expiresAt > Date.now() ? t : null;
  } catch {
    return null;
  }
}

export function devStrategy(fetchImpl: typeof fetch): SignInStrategy {
  return {
    name: 'dev',
    silent: async () => load(),
    interactive: async (input) => {
      const email = input?.email?.trim().toLowerCase();
      if (!email) throw new SignInError('failed', 'e-mail address required');
      const res = await fetchImpl(devSignInPath, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ email }),
      });
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { message?: string } | null;
        throw new SignInError('failed', body?.message ?? `HTTP ${res.status}`);
      }
      const t = devTokenSchema.parse(await res.json());
      const result: TokenResult = {
        accessToken: t.accessToken,
        expiresAt: Date.parse(t.expiresAt),
        account: { email: t.email, name: t.displayName ?? null },
      };
      window.sessionStorage.setItem(storageKey, JSON.stringify(result));
      return result;
    },
    signOut: async () => window.sessionStorage.removeItem(storageKey),
  };
}
