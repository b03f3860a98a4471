import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { systemClock } from '../../../src/shared/clock';

/** A loopback Entra look-alike: publishes a JWKS at /common/discovery/v2.0/keys and mints RS256 access tokens. */
export class TestIdentityProvider {
  private constructor(
    private readonly server: http.Server,
    readonly origin: string,
    private readonly key: CryptoKey,
    private readonly otherKey: CryptoKey,
  ) {}

  static async start(): Promise<TestIdentityProvider> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const other = await generateKeyPair('RS256');
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] });
    const server = http.createServer((req, res) => {
      if (req.url === '/common/discovery/v2.0/keys') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    return new TestIdentityProvider(server, `http://127.0.0.1:${port}`, privateKey, other.privateKey);
  }

  /** An access token for the connector's API; `over` replaces any claim, `forge` signs with an unknown key. */
  async token(
    user: { tid: string; oid: string; email: string; admin?: boolean },
    over: JWTPayload & { expSeconds?: number } = {},
    opts: { forge?: boolean } = {},
  ): Promise<string> {
    const { expSeconds, ...claims } = over;
    const now = Math.floor(systemClock().getTime() / 1000);
    return new SignJWT({
      tid: user.tid,
      oid: user.oid,
      preferred_username: user.email,
      name: user.email.split('@')[0],
      scp: 'access_as_user',
      roles: user.admin ? ['Connector.Admin'] : [],
      iss: `${this.origin}/${user.tid}/v2.0`,
      aud: 'api://client-1',
      iat: now,
      exp: now + (expSeconds ?? 3600),
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .sign(opts.forge ? this.otherKey : this.key);
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
