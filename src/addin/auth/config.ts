/** Asks the server how to sign in (AUTH_MODE and, for Entra, the app registration). */
import { authConfigResponseSchema } from '../../shared/api/me';
import type { AuthConfig } from './types';

export const authConfigPath = '/api/v1/auth/config';

const authConfigSchema = authConfigResponseSchema;

/** Served only when the server runs AUTH_MODE=dev. */
export const devKeysPath = '/auth/dev/keys';

/**
 * The server's answer at /api/v1/auth/config when it has one; otherwise a server whose development issuer
 * answers is in dev mode. Null: the server offers no sign-in the pane knows.
 */
export async function loadAuthConfig(fetchImpl: typeof fetch): Promise<AuthConfig | null> {
  const res = await fetchImpl(authConfigPath, { headers: { accept: 'application/json' } });
  if (res.ok) return authConfigSchema.parse(await res.json());
  const dev = await fetchImpl(devKeysPath, { headers: { accept: 'application/json' } });
  return dev.ok ? { mode: 'dev' } : null;
}
