/**
 * What the token-based CRM connectors (HubSpot, Pipedrive, Zoho) keep for a connection: their secrets as the
 * vault's string record and back, and the token fields the shared OAuth session reads and rotates.
 */
import { ProviderError } from '../../sync/errors';
import type { SessionTokens } from '../http/oauth-session';

/** The token fields these connectors keep with their other secrets. */
export interface StoredTokens {
  accessToken?: string;
  refreshToken?: string;
  accessTokenExpiresAt?: string;
}

/** The vault's record: every non-empty string field. */
export function secretsRecord(s: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s)) if (typeof v === 'string' && v) out[k] = v;
  return out;
}

/** A stored record read back; a missing field means the connection must be made again (`auth`). */
export function secretsFromRecord<S>(r: Record<string, string>, required: readonly string[], vendor: string): S {
  for (const k of required) if (!r[k]) throw new ProviderError('auth', `${vendor} connection lacks ${k}`);
  return r as unknown as S;
}

export function sessionTokensOf(s: StoredTokens): SessionTokens {
  return {
    accessToken: s.accessToken ?? '',
    ...(s.refreshToken ? { refreshToken: s.refreshToken } : {}),
    expiresAt: s.accessTokenExpiresAt ?? null,
  };
}

/** The secrets with the session's new tokens (a refresh token is kept unless one was rotated in). */
export function withTokens<S extends StoredTokens>(s: S, t: SessionTokens): S {
  return {
    ...s,
    accessToken: t.accessToken,
    ...(t.refreshToken ? { refreshToken: t.refreshToken } : {}),
    ...(t.expiresAt ? { accessTokenExpiresAt: t.expiresAt } : {}),
  };
}
