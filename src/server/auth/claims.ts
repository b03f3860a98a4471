import type { JWTPayload } from 'jose';
import { AuthError, type Principal } from './principal';

/** Reads tenant, user, scope and role from validated claims (Entra v2 access token shape). */
export function principalFromClaims(
  payload: JWTPayload,
  options: { requiredScope: string; adminRole: string },
): Principal {
  const str = (k: string) => (typeof payload[k] === 'string' ? (payload[k] as string) : undefined);
  const tid = str('tid');
  const oid = str('oid');
  if (!tid) throw new AuthError('token has no tid claim');
  if (!oid) throw new AuthError('token has no oid claim');
  const scopes = (str('scp') ?? '').split(' ').filter(Boolean);
  if (!scopes.includes(options.requiredScope)) throw new AuthError(`token lacks the ${options.requiredScope} scope`);
  const email = (str('preferred_username') ?? str('upn') ?? str('email') ?? '').toLowerCase();
  if (!email) throw new AuthError('token names no user (preferred_username, upn or email)');
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  return { tenantId: tid, oid, email, displayName: str('name') ?? null, isAdmin: roles.includes(options.adminRole) };
}
