import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { TokenVerifier } from '../auth/principal';

/**
 * The rate limit's key for a request: the verified principal (tenant and user from a token whose signature,
 * audience, issuer and expiry check out) or else the client address. Never the raw header: a caller who sends a
 * different made-up token on every request is one address, limited as such.
 *
 * Verifying is cached per token (by hash, bounded, until shortly before the token expires would need its claims:
 * a fixed short lifetime keeps it simple), so the handler's own verification is the only extra cost it adds.
 */
export class RateLimitKeys {
  private readonly cache = new Map<string, { key: string | null; until: number }>();

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly o: { ttlMs?: number; max?: number; clock?: () => number } = {},
  ) {}

  async keyFor(req: FastifyRequest): Promise<string> {
    const header = req.headers.authorization;
    const token = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
    const principal = token ? await this.principalKey(token) : null;
    return principal ?? `ip:${req.ip}`;
  }

  private async principalKey(token: string): Promise<string | null> {
    // performance.now(): only the entry's age matters, not the date.
    const clock = this.o.clock ?? (() => performance.now());
    const hash = crypto.createHash('sha256').update(token).digest('base64url');
    const hit = this.cache.get(hash);
    const now = clock();
    if (hit && hit.until > now) return hit.key;
    let key: string | null;
    try {
      const p = await this.verifier.verify(token);
      key = `user:${p.tenantId}:${p.oid}`;
    } catch {
      key = null;
    }
    const max = this.o.max ?? 10_000;
    if (this.cache.size >= max) {
      // Drop the oldest entries (Map keeps insertion order).
      for (const k of [...this.cache.keys()].slice(0, Math.ceil(max / 10))) this.cache.delete(k);
    }
    this.cache.set(hash, { key, until: now + (this.o.ttlMs ?? 60_000) });
    return key;
  }
}
