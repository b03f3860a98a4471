import {
  ConfidentialClientApplication,
  InteractionRequiredAuthError,
  type ICachePlugin,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
  type TokenCacheContext,
} from '@azure/msal-node';
import { ProviderError } from '../../sync/errors';
import type { Config } from '../config';
import type { Db } from '../store/database';
import type { UserRecord } from '../store/users';
import type { Vault } from '../vault/vault';
import type { Clock } from '../../shared/clock';

const graphScope = 'https://graph.microsoft.com/.default';

/** MSAL's token cache for one tenant, kept in the database encrypted by the vault (never in plain text). */
function encryptedCachePlugin(db: Db, vault: Vault, tenantId: string, clock: Clock): ICachePlugin {
  const context = `token-cache:${tenantId}`;
  return {
    async beforeCacheAccess(ctx: TokenCacheContext) {
      const row = await db.kysely
        .selectFrom('token_cache')
        .select('secret')
        .where('tenant_id', '=', tenantId)
        .where('cache_key', '=', 'msal')
        .executeTakeFirst();
      if (row) ctx.tokenCache.deserialize(vault.decrypt(row.secret, context));
    },
    async afterCacheAccess(ctx: TokenCacheContext) {
      if (!ctx.cacheHasChanged) return;
      const secret = vault.encrypt(ctx.tokenCache.serialize(), context);
      const updated_at = clock().toISOString();
      await db.kysely
        .insertInto('token_cache')
        .values({ tenant_id: tenantId, cache_key: 'msal', secret, updated_at })
        .onConflict((oc) => oc.columns(['tenant_id', 'cache_key']).doUpdateSet({ secret, updated_at }))
        .execute();
    },
  };
}

/**
 * MSAL insists on https authorities. For a loopback identity provider (tests, local development) the authority
 * is written as https and this network module sends the requests to the configured http origin instead.
 */
function loopbackNetwork(httpOrigin: string, httpsOrigin: string): INetworkModule {
  const send = async <T>(
    method: 'GET' | 'POST',
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> => {
    const target = url.startsWith(httpsOrigin) ? httpOrigin + url.slice(httpsOrigin.length) : url;
    const res = await fetch(target, {
      method,
      headers: options?.headers ?? {},
      ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    const text = await res.text();
    let body: unknown = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { error: 'invalid_response', error_description: text.slice(0, 200) };
    }
    return { headers, body: body as T, status: res.status };
  };
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

/**
 * Unattended Graph access for the runner (SPEC §2): delegated mode exchanges the pane's token on-behalf-of the
 * user (offline access; MSAL refreshes from its encrypted cache later); app-only mode uses the admin-consented
 * application permissions of the tenant. A refresh that needs the user again is an `auth` ProviderError, so the
 * run ends as needs-reauth and automatic sync pauses.
 */
export class GraphTokenService {
  private readonly apps = new Map<string, ConfidentialClientApplication>();
  private readonly authorityOrigin: string;
  private readonly network: INetworkModule | undefined;
  private readonly knownAuthorities: string[];

  constructor(
    private readonly config: Config,
    private readonly db: Db,
    private readonly vault: Vault,
    private readonly clock: Clock,
  ) {
    const host = new URL(config.ENTRA_AUTHORITY_HOST);
    const loopback = host.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(host.hostname);
    this.authorityOrigin = loopback ? `https://${host.host}` : host.origin;
    this.network = loopback ? loopbackNetwork(host.origin, this.authorityOrigin) : undefined;
    this.knownAuthorities = host.hostname === 'login.microsoftonline.com' ? [] : [host.host];
  }

  get mode(): 'delegated' | 'app-only' {
    return this.config.GRAPH_AUTH_MODE;
  }

  private app(tenantId: string): ConfidentialClientApplication {
    let app = this.apps.get(tenantId);
    if (!app) {
      app = new ConfidentialClientApplication({
        auth: {
          clientId: this.config.ENTRA_CLIENT_ID ?? '',
          clientSecret: this.config.ENTRA_CLIENT_SECRET ?? '',
          authority: `${this.authorityOrigin}/${tenantId}`,
          knownAuthorities: this.knownAuthorities,
        },
        cache: { cachePlugin: encryptedCachePlugin(this.db, this.vault, tenantId, this.clock) },
        system: this.network ? { networkClient: this.network } : {},
      });
      this.apps.set(tenantId, app);
    }
    return app;
  }

  /** Delegated mode: trade the pane's access token for Graph tokens the runner can refresh. Returns the account id. */
  async exchangeOnBehalfOf(user: UserRecord, assertion: string): Promise<string> {
    const result = await this.app(user.tenantId).acquireTokenOnBehalfOf({
      oboAssertion: assertion,
      scopes: [graphScope],
    });
    const accountId = result?.account?.homeAccountId;
    if (!result || !accountId) throw new ProviderError('auth', 'The sign-in did not return a Graph account.');
    await this.rememberAccount(user, accountId);
    return accountId;
  }

  private async rememberAccount(user: UserRecord, accountId: string): Promise<void> {
    const secret = this.vault.encrypt(accountId, `graph-account:${user.tenantId}:${user.id}`);
    const updated_at = this.clock().toISOString();
    await this.db.kysely
      .insertInto('token_cache')
      .values({ tenant_id: user.tenantId, cache_key: `account:${user.id}`, secret, updated_at })
      .onConflict((oc) => oc.columns(['tenant_id', 'cache_key']).doUpdateSet({ secret, updated_at }))
      .execute();
  }

  /** A Graph access token for this user's runs. */
  async tokenFor(user: UserRecord): Promise<string> {
    const app = this.app(user.tenantId);
    try {
      if (this.mode === 'app-only') {
        const r = await app.acquireTokenByClientCredential({ scopes: [graphScope] });
        if (!r?.accessToken) throw new ProviderError('auth', 'The tenant has not granted the connector access.');
        return r.accessToken;
      }
      const row = await this.db.kysely
        .selectFrom('token_cache')
        .select('secret')
        .where('tenant_id', '=', user.tenantId)
        .where('cache_key', '=', `account:${user.id}`)
        .executeTakeFirst();
      if (!row) throw new ProviderError('auth', 'Open the add-in once to authorize unattended calendar access.');
      const accountId = this.vault.decrypt(row.secret, `graph-account:${user.tenantId}:${user.id}`);
      const account = await app.getTokenCache().getAccountByHomeId(accountId);
      if (!account)
        throw new ProviderError('auth', 'The calendar authorization was lost: open the add-in to renew it.');
      const r = await app.acquireTokenSilent({ account, scopes: [graphScope] });
      if (!r?.accessToken) throw new ProviderError('auth', 'The calendar authorization expired: open the add-in.');
      return r.accessToken;
    } catch (e) {
      if (e instanceof ProviderError) throw e;
      if (e instanceof InteractionRequiredAuthError) {
        throw new ProviderError('auth', 'The calendar authorization was revoked or expired: re-authorize.', {
          cause: e,
        });
      }
      throw new ProviderError('transient', `Token request failed: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    }
  }
}
