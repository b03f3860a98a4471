/**
 * Development sign-in (server with AUTH_MODE=dev): the server's local issuer signs an Entra-shaped token for any
 * e-mail at POST /auth/dev/token. The token is kept in sessionStorage under the key the server's own dev sign-in
 * page uses, so signing in there (/auth/dev/sign-in?return=/taskpane.html) and here are the same session.
 */
import { z } from 'zod';
import { SignInError, type SignInStrategy, type TokenResult } from './types';
import { systemClock } from '../../shared/clock';

export const devTokenPath = '/auth/dev/token';
export const devTokenStorageKey = 'crm-sync.devToken';

const tokenResponseSchema = z.object({ accessToken: z.string().min(1), expiresIn: z.number().positive() });
const claimsSchema = z.object({
  exp: z.number(),
  preferred_username: z.string().optional(),
  name: z.string().optional(),
});

/** Reads the (unverified: the server verifies) claims the pane shows: who and until when. */
export function tokenResult(accessToken: string): TokenResult | null {
  const payload = accessToken.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = claimsSchema.parse(JSON.parse(json));
    return {
      accessToken,
      expiresAt: claims.exp * 1000,
      account: { email: (claims.preferred_username ?? '').toLowerCase(), name: claims.name ?? null },
    };
  } catch {
    return null;
  }
}

function stored(): TokenResult | null {
  const raw = window.sessionStorage.getItem(devTokenStorageKey);
  const t = raw ? tokenResult(raw) : null;
  return t && t.expiresAt > systemClock().getTime() ? t : null;
}

export function devStrategy(fetchImpl: typeof fetch): SignInStrategy {
  return {
    name: 'dev',
    silent: async () => stored(),
    interactive: async (input) => {
      const email = input?.email?.trim().toLowerCase();
      if (!email) throw new SignInError('failed', 'e-mail address required');
      const res = await fetchImpl(devTokenPath, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ email, admin: input?.admin ?? false }),
      });
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { message?: string } | null;
        throw new SignInError('failed', body?.message ?? `HTTP ${res.status}`);
      }
      const { accessToken } = tokenResponseSchema.parse(await res.json());
      const result = tokenResult(accessToken);
      if (!result) throw new SignInError('failed', 'the server answered an unreadable token');
      window.sessionStorage.setItem(devTokenStorageKey, accessToken);
      return result;
    },
    signOut: async () => window.sessionStorage.removeItem(devTokenStorageKey),
  };
}
