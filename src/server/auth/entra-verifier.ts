import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { principalFromClaims } from './claims';
import { AuthError, type Principal, type TokenVerifier } from './principal';
import type { Clock } from '../../shared/clock';

export interface EntraVerifierOptions {
  /** e.g. https://login.microsoftonline.com (tests: a loopback identity provider). */
  authorityHost: string;
  clientId: string;
  /** A tenant GUID restricts sign-in to that tenant; `common` / `organizations` / undefined accept any tenant. */
  tenantId?: string;
  audiences?: string[];
  requiredScope: string;
  adminRole: string;
  /** Injected key set (tests); default the authority's published JWKS. */
  keys?: JWTVerifyGetKey;
  /** Expiry and not-before are judged at this clock's time. */
  clock: Clock;
}

const multiTenant = new Set(['common', 'organizations', '']);

/**
 * Validates Entra ID access tokens for the connector's API (SPEC §9): signature against the JWKS, issuer
 * for the token's own tenant (`<host>/<tid>/v2.0`), audience, expiry and scope.
 */
export function createEntraVerifier(o: EntraVerifierOptions): TokenVerifier {
  const host = o.authorityHost.replace(/\/+$/, '');
  const keys = o.keys ?? createRemoteJWKSet(new URL(`${host}/common/discovery/v2.0/keys`), { timeoutDuration: 5000 });
  const audience = o.audiences?.length ? o.audiences : [`api://${o.clientId}`, o.clientId];
  const fixedTenant = o.tenantId && !multiTenant.has(o.tenantId) ? o.tenantId : null;
  return {
    async verify(token: string): Promise<Principal> {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          audience,
          algorithms: ['RS256'],
          clockTolerance: 60,
          currentDate: o.clock(),
        }));
      } catch (e) {
        throw new AuthError(describeJoseError(e));
      }
      const tid = typeof payload.tid === 'string' ? payload.tid : '';
      const expectedIssuer = `${host}/${tid}/v2.0`;
      if (payload.iss !== expectedIssuer) throw new AuthError('token issuer does not match its tenant');
      if (fixedTenant && tid !== fixedTenant) throw new AuthError('token is from another tenant');
      return principalFromClaims(payload, o);
    },
  };
}

export function describeJoseError(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'token expired';
  if (e instanceof errors.JWTClaimValidationFailed) return `token ${e.claim} claim is not accepted`;
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (e instanceof errors.JWKSNoMatchingKey) return 'token signed with an unknown key';
  if (e instanceof errors.JOSEAlgNotAllowed) return 'token algorithm not accepted';
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid) return 'token is malformed';
  if (e instanceof errors.JWKSTimeout) return 'identity provider keys unavailable';
  return 'token could not be validated';
}
