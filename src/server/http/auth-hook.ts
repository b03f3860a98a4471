import type { FastifyRequest } from 'fastify';
import { AuthError, type Principal } from '../auth/principal';
import { HttpError } from '../errors';
import type { Runtime } from '../runtime';
import type { UserRecord } from '../store/users';

export interface RequestAuth {
  principal: Principal;
  user: UserRecord;
  /** The raw bearer token (for the on-behalf-of exchange); never logged. */
  token: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: RequestAuth;
  }
}

/** Validates the bearer token and maps it to the tenant's user (created on first sign-in). */
export async function authenticate(runtime: Runtime, req: FastifyRequest, admin: boolean): Promise<RequestAuth> {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match?.[1]) throw new HttpError(401, 'unauthorized', 'missing bearer token');
  let principal: Principal;
  try {
    principal = await runtime.verifier.verify(match[1]);
  } catch (e) {
    throw new HttpError(401, 'unauthorized', e instanceof AuthError ? e.message : 'token could not be validated');
  }
  const user = await runtime.users.upsertFromToken({
    tenantId: principal.tenantId,
    oid: principal.oid,
    email: principal.email,
    displayName: principal.displayName,
    isAdmin: principal.isAdmin,
  });
  if (admin && !principal.isAdmin) throw new HttpError(403, 'forbidden', 'this needs the admin role');
  const auth = { principal, user, token: match[1] };
  req.auth = auth;
  return auth;
}
