import crypto from 'node:crypto';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { principalFromClaims } from './claims';
import { describeJoseError } from './entra-verifier';
import { AuthError, type Principal, type TokenVerifier } from './principal';
import type { Clock } from '../../shared/clock';

export const devScope = 'access_as_user';
export const devAdminRole = 'Connector.Admin';

/**
 * AUTH_MODE=dev: a local issuer that signs tokens shaped like Entra's for whoever signs in on the dev page.
 * Only for development and tests; the configuration refuses it when NODE_ENV=production.
 */
export class DevIssuer implements TokenVerifier {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    readonly issuer: string,
    readonly audience: string,
    private readonly clock: Clock,
  ) {}

  static async create(origin: string, clock: Clock): Promise<DevIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    return new DevIssuer(privateKey, publicKey, `${origin.replace(/\/+$/, '')}/auth/dev`, 'crm-sync-dev', clock);
  }

  async jwks() {
    return { keys: [{ ...(await exportJWK(this.publicKey)), kid: 'dev', alg: 'ES256', use: 'sig' }] };
  }

  /** Stable oid per (tenant, e-mail), so signing in again is the same user. */
  static oidFor(tenantId: string, email: string): string {
    return crypto.createHash('sha256').update(`${tenantId}\n${email.toLowerCase()}`).digest('hex').slice(0, 32);
  }

  async sign(p: { tenantId: string; email: string; name?: string | null; admin: boolean }, ttlSeconds = 8 * 3600) {
    const email = p.email.toLowerCase();
    const iat = Math.floor(this.clock().getTime() / 1000);
    return new SignJWT({
      tid: p.tenantId,
      oid: DevIssuer.oidFor(p.tenantId, email),
      preferred_username: email,
      name: p.name ?? email,
      scp: devScope,
      roles: p.admin ? [devAdminRole] : [],
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'dev' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .sign(this.privateKey);
  }

  async verify(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        issuer: this.issuer,
        audience: this.audience,
        algorithms: ['ES256'],
        currentDate: this.clock(),
      });
      return principalFromClaims(payload, { requiredScope: devScope, adminRole: devAdminRole });
    } catch (e) {
      if (e instanceof AuthError) throw e;
      throw new AuthError(describeJoseError(e));
    }
  }
}
