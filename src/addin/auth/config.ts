/** Asks the server how to sign in (AUTH_MODE and, for Entra, the app registration). */
import { z } from 'zod';
import type { AuthConfig } from './types';

export const authConfigPath = '/api/v1/auth/config';

const authConfigSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('dev') }),
  z.object({
    mode: z.literal('entra'),
    clientId: z.string().min(1),
    authority: z.string().url(),
    scopes: z.array(z.string()).min(1),
  }),
]);

export async function loadAuthConfig(fetchImpl: typeof fetch): Promise<AuthConfig> {
  const res = await fetchImpl(authConfigPath, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`auth config: HTTP ${res.status}`);
  return authConfigSchema.parse(await res.json());
}
