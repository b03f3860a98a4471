import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { GraphTokenService } from '../../src/server/auth/graph-tokens';
import { loadConfig } from '../../src/server/config';
import { openDatabase, type Db } from '../../src/server/store/database';
import { migrateToLatest } from '../../src/server/store/migrations';
import { UserRepository, type UserRecord } from '../../src/server/store/users';
import { keyringFromEnvironment } from '../../src/server/vault/keyring';
import { Vault } from '../../src/server/vault/vault';
import { ProviderError } from '../../src/sync/errors';
// MSAL judges token expiry by the wall clock itself, so this suite's identity provider and stores use it too.
import { systemClock } from '../../src/shared/clock';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A loopback Entra token endpoint: OIDC metadata, on-behalf-of, refresh and client-credentials grants. */
function startTokenEndpoint() {
  const grants: string[] = [];
  let revoked = false;
  let n = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += String(d)));
    req.on('end', () => {
      const origin = `https://${req.headers.host}`;
      const m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration/.exec(req.url ?? '');
      if (m) {
        const tid = m[1];
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            token_endpoint: `${origin}/${tid}/oauth2/v2.0/token`,
            authorization_endpoint: `${origin}/${tid}/oauth2/v2.0/authorize`,
            end_session_endpoint: `${origin}/${tid}/oauth2/v2.0/logout`,
            issuer: `${origin}/${tid}/v2.0`,
            jwks_uri: `${origin}/${tid}/discovery/v2.0/keys`,
          }),
        );
        return;
      }
      if (/\/oauth2\/v2\.0\/token$/.test(new URL(req.url ?? '/', 'http://x').pathname)) {
        const p = new URLSearchParams(body);
        const grant = p.get('grant_type') ?? '';
        grants.push(grant);
        if (p.get('client_secret') !== 'app-secret') {
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client' }));
          return;
        }
        if (grant === 'refresh_token' && revoked) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              error: 'invalid_grant',
              error_description: 'AADSTS50173: token revoked',
              suberror: 'bad_token',
            }),
          );
          return;
        }
        const tid = (req.url ?? '').split('/')[1];
        const user = grant !== 'client_credentials';
        const idToken = `${b64({ alg: 'none' })}.${b64({
          oid: 'oid-1',
          tid,
          preferred_username: 'ann@a.test',
          iss: `${origin}/${tid}/v2.0`,
          aud: 'client-1',
          iat: Math.floor(systemClock().getTime() / 1000),
          exp: Math.floor(systemClock().getTime() / 1000) + 3600,
        })}.`;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            token_type: 'Bearer',
            access_token: `graph-token-${++n}`,
            // Shorter than MSAL's renewal offset: every later call must refresh.
            expires_in: 1,
            ext_expires_in: 3600,
            scope: 'https://graph.microsoft.com/.default',
            ...(user
              ? { refresh_token: `rt-${n}`, id_token: idToken, client_info: b64({ uid: 'oid-1', utid: tid }) }
              : {}),
          }),
        );
        return;
      }
      res.writeHead(404).end();
    });
  });
  return {
    server,
    grants,
    revoke: () => (revoked = true),
    listen: () =>
      new Promise<string>((r) =>
        server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
      ),
  };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graph-tokens-'));
let db: Db;
let user: UserRecord;
const idp = startTokenEndpoint();
let origin: string;
const vault = new Vault(keyringFromEnvironment(crypto.randomBytes(32).toString('base64')));

beforeAll(async () => {
  origin = await idp.listen();
  db = openDatabase(`sqlite:${path.join(dir, 'c.db')}`);
  await migrateToLatest(db);
  user = await new UserRepository(db.kysely, systemClock).create({
    tenantId: 'tenant-a',
    email: 'ann@a.test',
    oid: 'oid-1',
  });
});
afterAll(async () => {
  await db.close();
  await new Promise((r) => idp.server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

const config = (mode: 'delegated' | 'app-only') =>
  loadConfig({
    ENTRA_CLIENT_ID: 'client-1',
    ENTRA_CLIENT_SECRET: 'app-secret',
    ENTRA_AUTHORITY_HOST: origin,
    GRAPH_AUTH_MODE: mode,
  });

describe('unattended Graph tokens (MSAL against a loopback token endpoint)', () => {
  it('exchanges on-behalf-of, keeps the cache encrypted, and refreshes later without the user', async () => {
    const tokens = new GraphTokenService(config('delegated'), db, vault, systemClock);
    await tokens.exchangeOnBehalfOf(user, 'the-pane-access-token');
    expect(idp.grants).toContain('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const rows = await db.kysely.selectFrom('token_cache').selectAll().execute();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    // The plaintext cache is JSON (`"secret":"rt-1"`); the vault's envelope is base64url, which can hold `rt-1` by
    // chance (it did, once in CI) but never a quote.
    for (const r of rows) expect(r.secret).not.toMatch(/graph-token|"rt-\d/);

    // A later process (fresh MSAL, cache from the database): the short-lived token expired, so it refreshes.
    const later = new GraphTokenService(config('delegated'), db, vault, systemClock);
    const token = await later.tokenFor(user);
    expect(token).toMatch(/^graph-token-\d+$/);
    expect(idp.grants).toContain('refresh_token');
  });

  it('turns a revoked refresh token into an auth error (the run pauses)', async () => {
    idp.revoke();
    const later = new GraphTokenService(config('delegated'), db, vault, systemClock);
    await later.tokenFor(user).catch(() => undefined);
    const e = await new GraphTokenService(config('delegated'), db, vault, systemClock)
      .tokenFor(user)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).kind).toBe('auth');
  });

  it('asks the user to open the add-in when there was never a sign-in', async () => {
    const other = await new UserRepository(db.kysely, systemClock).create({
      tenantId: 'tenant-a',
      email: 'new@a.test',
    });
    const e = await new GraphTokenService(config('delegated'), db, vault, systemClock)
      .tokenFor(other)
      .catch((x: unknown) => x);
    expect((e as ProviderError).kind).toBe('auth');
  });

  it('uses the client-credentials grant in app-only mode', async () => {
    const token = await new GraphTokenService(config('app-only'), db, vault, systemClock).tokenFor(user);
    expect(token).toMatch(/^graph-token-/);
    expect(idp.grants).toContain('client_credentials');
  });
});
