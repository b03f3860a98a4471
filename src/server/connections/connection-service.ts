import crypto from 'node:crypto';
import { itemTagStore } from '../store/item-tags';
import type { Kysely } from 'kysely';
import type {
  CalendarConnector,
  ConnectInput,
  Connection as VerifiedConnection,
  CrmConnector,
  ProviderEnv,
  Secrets,
} from '../../providers/connector';
import { toConnectError, type ConnectError } from '../../providers/http/connect-error';
import { assertSafeUrl, type UrlPolicy } from '../../providers/http/url-policy';
import type { ApiError } from '../../shared/api/common';
import type { CalendarProvider, CrmProvider } from '../../sync/ports';
import { badRequest, HttpError, notFound } from '../errors';
import type { ConnectionRecord, ConnectionRepository, ConnectionSide } from '../store/connections';
import type { DatabaseSchema } from '../store/schema';
import type { Vault } from '../vault/vault';
import type { ConnectorLoaders } from '../../providers/loaders';

export interface ProviderRegistry {
  calendar: readonly CalendarConnector[];
  crm: readonly CrmConnector[];
}

type AnyConnector = CrmConnector | CalendarConnector;

export interface ConnectRequest {
  provider: string;
  method: string;
  url?: string | undefined;
  fields: Record<string, string>;
}

const reasonMap: Record<ConnectError['reason'], ApiError['reason']> = {
  'invalid-input': 'invalid',
  'bad-url': 'bad-url',
  'blocked-url': 'blocked-url',
  unreachable: 'unreachable',
  tls: 'tls',
  unauthorized: 'unauthorized',
  'missing-permission': 'missing-permission',
  'provider-error': 'other',
};

/** The connect test failed: 400 for bad input naming the field, 422 with the reason otherwise (SPEC §3). */
const controlCharacters = {
  test: (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f),
};

export function connectFailure(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  const ce = toConnectError(e);
  const status = ce.reason === 'invalid-input' ? 400 : 422;
  return new HttpError(
    status,
    ce.reason === 'invalid-input' ? 'validation' : 'connection-failed',
    ce.message,
    ce.field ?? null,
    reasonMap[ce.reason],
  );
}

const oauthStateTtlMs = 10 * 60 * 1000;

/**
 * Connections of one user (SPEC §3): list providers, connect with a real test call, OAuth code + PKCE + state,
 * disconnect (revoke, delete, automatic sync off), and opening the engine ports from decrypted secrets.
 */
export class ConnectionService {
  constructor(
    private readonly deps: {
      db: Kysely<DatabaseSchema>;
      vault: Vault;
      connections: ConnectionRepository;
      /** Connectors at hand (tests' doubles, the Sandbox CRM). */
      registry: ProviderRegistry;
      /** Further connectors by id, loaded when first needed (src/providers/loaders.ts), listed after the registry's. */
      loaders?: ConnectorLoaders;
      env: ProviderEnv;
      /** Graph token for `entra` connections (on-behalf-of / app-only), by user. */
      entraToken?: (tenantId: string, userId: string) => Promise<string>;
      /** SSRF rules for a URL the user gives (checked before anything is stored or a browser is sent there). */
      urlPolicy?: UrlPolicy;
    },
  ) {}

  private readonly loaded = new Map<string, AnyConnector>();

  /** The connectors known now: the registry's, then the loaded ones in the loaders' order. */
  private list(side: ConnectionSide): readonly AnyConnector[] {
    const eager: readonly AnyConnector[] = side === 'crm' ? this.deps.registry.crm : this.deps.registry.calendar;
    const lazy = Object.keys(this.deps.loaders?.[side] ?? {})
      .map((id) => this.loaded.get(`${side}:${id}`))
      .filter((c): c is AnyConnector => c !== undefined);
    return [...eager, ...lazy];
  }

  /** Loads one provider (its vendor client and all) unless it is loaded; unknown ids are a 400 naming `provider`. */
  async load(side: ConnectionSide, id: string): Promise<AnyConnector> {
    const known = this.list(side).find((x) => x.descriptor.id === id);
    if (known) return known;
    const loaders: Readonly<Record<string, () => Promise<AnyConnector>>> = this.deps.loaders?.[side] ?? {};
    const loader = Object.hasOwn(loaders, id) ? loaders[id] : undefined;
    if (!loader) throw badRequest(`unknown ${side} provider ${JSON.stringify(id)}`, 'provider');
    const connector = await loader();
    this.loaded.set(`${side}:${id}`, connector);
    return connector;
  }

  /** Loads every provider: before listing descriptors or connecting (the HTTP server does it once at start). */
  async loadAll(): Promise<void> {
    for (const side of ['crm', 'calendar'] as const) {
      for (const id of Object.keys(this.deps.loaders?.[side] ?? {})) await this.load(side, id);
    }
  }

  connector(side: 'crm', id: string): CrmConnector;
  connector(side: 'calendar', id: string): CalendarConnector;
  connector(side: ConnectionSide, id: string): CrmConnector | CalendarConnector;
  connector(side: ConnectionSide, id: string): CrmConnector | CalendarConnector {
    const c = this.list(side).find((x) => x.descriptor.id === id);
    if (c) return c;
    if (Object.hasOwn(this.deps.loaders?.[side] ?? {}, id)) {
      throw new Error(`provider ${id} is not loaded yet: call load() or loadAll() first`);
    }
    throw badRequest(`unknown ${side} provider ${JSON.stringify(id)}`, 'provider');
  }

  descriptors() {
    // Said to the user who picks a provider: what is missing and who can fix it, no configuration names.
    const notSetUp = (what: string) => `${what} is not set up on this server yet. Ask your admin to set it up.`;
    const entry = (c: CrmConnector | CalendarConnector) => {
      const needsGoogle = c.descriptor.id === 'google' && !this.deps.env.google;
      // Signing in "with Microsoft 365" needs the connector's own Entra app (on-behalf-of tokens); without it
      // such a method can only fail, so it is not offered.
      const usable = c.descriptor.authMethods.filter((m) => m.kind !== 'entra' || this.deps.entraToken);
      const needsEntra = usable.length === 0 && c.descriptor.authMethods.length > 0;
      const reason = needsGoogle
        ? notSetUp('Google Calendar')
        : needsEntra
          ? notSetUp(`${c.descriptor.label} sign-in`)
          : null;
      return {
        ...c.descriptor,
        authMethods: needsEntra ? c.descriptor.authMethods : usable,
        available: reason === null,
        unavailableReason: reason,
      };
    };
    return { crm: this.list('crm').map(entry), calendar: this.list('calendar').map(entry) };
  }

  private input(side: ConnectionSide, req: ConnectRequest, expect: 'oauth' | 'direct') {
    const connector = this.connector(side, req.provider);
    const method = connector.descriptor.authMethods.find((m) => m.id === req.method);
    if (!method)
      throw badRequest(`provider ${req.provider} has no auth method ${JSON.stringify(req.method)}`, 'method');
    if (expect === 'direct' && method.kind === 'oauth') {
      throw badRequest(`auth method ${req.method} is OAuth: start it with oauth/start`, 'method');
    }
    if (expect === 'oauth' && method.kind !== 'oauth')
      throw badRequest(`auth method ${req.method} is not OAuth`, 'method');
    const url = req.url?.trim() || null;
    if (connector.descriptor.customUrl === 'required' && !url) throw badRequest('this provider needs a URL', 'url');
    if (connector.descriptor.customUrl === 'none' && url) throw badRequest('this provider takes no custom URL', 'url');
    for (const f of method.fields) {
      if (f.required && !req.fields[f.key]?.trim()) throw badRequest(`${f.label} is required`, `fields.${f.key}`);
    }
    // Control characters (NUL, line breaks…) have no place in an id, a key, a password or a URL; sent on to a
    // vendor they split headers or query strings, or end a C string early.
    for (const [key, value] of Object.entries(req.fields)) {
      if (controlCharacters.test(value))
        throw badRequest(`fields.${key}: control characters are not allowed`, `fields.${key}`);
    }
    if (url && controlCharacters.test(url)) throw badRequest('url: control characters are not allowed', 'url');
    const input: ConnectInput = { method: req.method, url, fields: req.fields };
    return { connector, input, method };
  }

  /**
   * The built-in Sandbox CRM keeps its data per tenant and user: it learns whose data it is from these two
   * fields, which only the server may set (a value the pane sent is overwritten, never trusted).
   */
  private withIdentity(
    connector: { descriptor: { id: string } },
    input: ConnectInput,
    tenantId: string,
    userEmail: string,
  ) {
    // Every connector learns whose connection it is (e.g. SuiteCRM: the owner of activities assigned to the user).
    const own = userEmail ? { ...input, userEmail } : input;
    if (connector.descriptor.id !== 'sandbox') return own;
    return { ...own, fields: { ...input.fields, tenantId, userEmail } };
  }

  /**
   * Tests the credentials with a cheap real call, then stores them encrypted. Methods without a form
   * (`entra`: the user's own Microsoft 365 sign-in; `none`) are tested by opening the provider and calling
   * testConnection(); `userEmail` names the mailbox for them.
   */
  async connect(
    tenantId: string,
    userId: string,
    side: ConnectionSide,
    req: ConnectRequest,
    userEmail = '',
  ): Promise<ConnectionRecord> {
    const { connector, input, method } = this.input(side, req, 'direct');
    // A user's URL is checked (syntax, https, public address) before any connector parses or fetches it: a URL the
    // platform cannot parse (`javascript:…`) was answered "TypeError: Invalid URL" with no field.
    if (input.url) {
      try {
        await assertSafeUrl(input.url, this.deps.urlPolicy ?? { allowedPrivateHosts: [] });
      } catch (e) {
        throw connectFailure(e);
      }
    }
    let verified: VerifiedConnection;
    try {
      if (connector.connect) {
        verified = await connector.connect(this.withIdentity(connector, input, tenantId, userEmail), this.deps.env);
      } else if (method.kind === 'entra' || method.kind === 'none') {
        const provider = connector.open(
          { secrets: {}, account: userEmail, url: input.url },
          this.deps.env,
          this.hooks(tenantId, userId, side),
        );
        const { account } = await provider.testConnection();
        verified = { secrets: {}, account, url: input.url, expiresAt: null };
      } else {
        throw badRequest(`provider ${req.provider} cannot connect with a form`, 'method');
      }
    } catch (e) {
      throw connectFailure(e);
    }
    return this.store(tenantId, userId, side, req.provider, req.method, verified);
  }

  private async store(
    tenantId: string,
    userId: string,
    side: ConnectionSide,
    provider: string,
    method: string,
    verified: VerifiedConnection,
  ): Promise<ConnectionRecord> {
    const previous = await this.deps.connections.get(tenantId, userId, side);
    const keepChoice = previous?.provider === provider && previous.account === verified.account;
    return this.deps.connections.save({
      tenantId,
      userId,
      side,
      provider,
      account: verified.account,
      url: verified.url,
      options: {
        method,
        // A calendar named at connect (its CalDAV URL) is the target; otherwise a reconnect keeps the user's choice.
        targetCalendarId: verified.calendarId ?? (keepChoice ? (previous.options.targetCalendarId ?? null) : null),
        sourceCalendarIds: keepChoice ? (previous.options.sourceCalendarIds ?? []) : [],
      },
      tokenExpiresAt: verified.expiresAt,
      secret: verified.secrets,
    });
  }

  async oauthStart(
    tenantId: string,
    userId: string,
    side: ConnectionSide,
    req: ConnectRequest,
  ): Promise<{ authorizeUrl: string; state: string }> {
    const { connector, input } = this.input(side, req, 'oauth');
    if (!connector.oauth) throw badRequest(`provider ${req.provider} has no OAuth support`, 'provider');
    // An authority / login URL the user gave: https and public (SPEC §9) before a state is stored or the dialog
    // is sent there, not only when the code is exchanged.
    if (input.url) {
      try {
        await assertSafeUrl(input.url, this.deps.urlPolicy ?? { allowedPrivateHosts: [] });
      } catch (e) {
        throw connectFailure(e);
      }
    }
    const state = crypto.randomBytes(32).toString('base64url');
    const codeVerifier = crypto.randomBytes(48).toString('base64url');
    const codeChallenge = crypto.createHash('sha256').update(codeVerifier).digest('base64url');
    await this.deps.db
      .insertInto('oauth_states')
      .values({
        state,
        tenant_id: tenantId,
        user_id: userId,
        side,
        provider: req.provider,
        secret: this.deps.vault.encryptJson({ codeVerifier, input }, `oauth-state:${state}`),
        expires_at: new Date(this.deps.env.now().getTime() + oauthStateTtlMs).toISOString(),
      })
      .execute();
    let authorizeUrl: string;
    try {
      authorizeUrl = await connector.oauth.authorizationUrl({
        state,
        codeChallenge,
        redirectUri: this.redirectUri(),
        input,
        env: this.deps.env,
      });
    } catch (e) {
      throw connectFailure(e);
    }
    return { authorizeUrl, state };
  }

  redirectUri(): string {
    return `${this.deps.env.publicUrl}/api/v1/oauth/callback`;
  }

  /** Completes an OAuth authorization: the state is single-use, bound to the user who started it, and expires. */
  async oauthCallback(q: {
    state: string;
    code?: string;
    error?: string;
    error_description?: string;
    location?: string;
    'accounts-server'?: string;
  }) {
    const row = await this.deps.db.transaction().execute(async (trx) => {
      const r = await trx.selectFrom('oauth_states').selectAll().where('state', '=', q.state).executeTakeFirst();
      if (r) await trx.deleteFrom('oauth_states').where('state', '=', q.state).execute();
      return r;
    });
    if (!row || row.expires_at < this.deps.env.now().toISOString()) {
      throw new HttpError(
        400,
        'validation',
        'This sign-in link has expired or was already used. Start again.',
        'state',
      );
    }
    if (q.error || !q.code) {
      throw new HttpError(422, 'connection-failed', oauthRefusal(q.error), null, 'unauthorized');
    }
    const { codeVerifier, input } = this.deps.vault.decryptJson<{ codeVerifier: string; input: ConnectInput }>(
      row.secret,
      `oauth-state:${q.state}`,
    );
    const connector = this.connector(row.side, row.provider);
    if (!connector.oauth) throw badRequest(`provider ${row.provider} has no OAuth support`, 'provider');
    let verified: VerifiedConnection;
    try {
      verified = await connector.oauth.exchangeCode({
        code: q.code,
        codeVerifier,
        redirectUri: this.redirectUri(),
        input,
        env: this.deps.env,
        callbackParams: callbackParamsOf(q),
      });
    } catch (e) {
      throw connectFailure(e);
    }
    return this.store(row.tenant_id, row.user_id, row.side, row.provider, input.method, verified);
  }

  /** Revokes where the provider can (errors only reported), then deletes the stored credentials. */
  async disconnect(tenantId: string, userId: string, side: ConnectionSide): Promise<{ revoked: boolean }> {
    const record = await this.deps.connections.get(tenantId, userId, side);
    if (!record) throw notFound(`${side} connection`);
    let revoked = false;
    const connector = await this.load(side, record.provider).catch(() => undefined);
    const secrets = await this.deps.connections.secret(tenantId, userId, side);
    if (connector?.revoke && secrets) {
      try {
        await connector.revoke(
          { secrets: secrets as Secrets, account: record.account ?? '', url: record.url },
          this.deps.env,
        );
        revoked = true;
      } catch {
        revoked = false;
      }
    }
    await this.deps.connections.delete(tenantId, userId, side);
    return { revoked };
  }

  async openCalendar(
    tenantId: string,
    userId: string,
  ): Promise<{ provider: CalendarProvider; record: ConnectionRecord }> {
    const { record, secrets } = await this.stored(tenantId, userId, 'calendar');
    return { provider: await this.calendarProvider(tenantId, userId, record, secrets), record };
  }

  async openCrm(tenantId: string, userId: string): Promise<{ provider: CrmProvider; record: ConnectionRecord }> {
    const { record, secrets } = await this.stored(tenantId, userId, 'crm');
    return { provider: await this.crmProvider(tenantId, userId, record, secrets), record };
  }

  /** Loads the provider's code on first use (a run loads its two providers, not all of them). */
  private async calendarProvider(tenantId: string, userId: string, record: ConnectionRecord, secrets: Secrets) {
    const connector = (await this.load('calendar', record.provider)) as CalendarConnector;
    return connector.open(this.connection(record, secrets), this.deps.env, this.hooks(tenantId, userId, 'calendar'));
  }

  private async crmProvider(tenantId: string, userId: string, record: ConnectionRecord, secrets: Secrets) {
    const connector = (await this.load('crm', record.provider)) as CrmConnector;
    return connector.open(this.connection(record, secrets), this.deps.env, {
      ...this.hooks(tenantId, userId, 'crm'),
      // One tag store per CRM org: the provider and the org's URL as the connection recorded it.
      itemTags: itemTagStore(this.deps.db, tenantId, `${record.provider}|${record.url ?? ''}`, () =>
        this.deps.env.now(),
      ),
    });
  }

  /**
   * Both of a user's engine ports from one read of the connections (what a run needs); throws NotConnectedError
   * naming the CRM first when a side is missing, as opening them one by one would.
   */
  async openBoth(
    tenantId: string,
    userId: string,
  ): Promise<{
    crm: { provider: CrmProvider; record: ConnectionRecord };
    calendar: { provider: CalendarProvider; record: ConnectionRecord };
  }> {
    const rows = await this.deps.connections.listWithSecrets(tenantId, userId);
    const crmRow = rows.find((r) => r.record.side === 'crm');
    if (!crmRow) throw new NotConnectedError('crm');
    const calendarRow = rows.find((r) => r.record.side === 'calendar');
    if (!calendarRow) throw new NotConnectedError('calendar');
    return {
      crm: {
        provider: await this.crmProvider(tenantId, userId, crmRow.record, crmRow.secret as Secrets),
        record: crmRow.record,
      },
      calendar: {
        provider: await this.calendarProvider(tenantId, userId, calendarRow.record, calendarRow.secret as Secrets),
        record: calendarRow.record,
      },
    };
  }

  private connection(record: ConnectionRecord, secrets: Secrets) {
    return { secrets, account: record.account ?? '', url: record.url };
  }

  private hooks(tenantId: string, userId: string, side: ConnectionSide) {
    const entra = this.deps.entraToken;
    return {
      saveSecrets: (secrets: Secrets, expiresAt: string | null) =>
        this.deps.connections.updateSecret(tenantId, userId, side, secrets, expiresAt),
      ...(entra ? { getEntraToken: () => entra(tenantId, userId) } : {}),
    };
  }

  private async stored(tenantId: string, userId: string, side: ConnectionSide) {
    const record = await this.deps.connections.get(tenantId, userId, side);
    if (!record) throw new NotConnectedError(side);
    const secrets = (await this.deps.connections.secret(tenantId, userId, side)) as Secrets;
    return { record, secrets };
  }
}

export class NotConnectedError extends HttpError {
  constructor(readonly side: ConnectionSide) {
    super(409, 'conflict', `Connect your ${side === 'crm' ? 'CRM' : 'calendar'} first.`, null);
  }
}

/** The redirect's provider-specific parameters (Zoho's data centre), passed on unchecked for the connector to vet. */
function callbackParamsOf(q: { location?: string; 'accounts-server'?: string }): Record<string, string> {
  const out: Record<string, string> = {};
  if (q.location !== undefined) out['location'] = q.location;
  if (q['accounts-server'] !== undefined) out['accounts-server'] = q['accounts-server'];
  return out;
}

/**
 * What the provider's refusal on the OAuth redirect means, in our words. Its `error_description` is never shown: it
 * is the vendor's text, arrives in a URL anyone can craft, and may quote what was sent (RFC 6749 §4.1.2.1 codes).
 */
export function oauthRefusal(code: string | undefined): string {
  switch (code) {
    case 'access_denied':
      return 'The connection was not authorized: the sign-in was cancelled or access was declined.';
    case 'unauthorized_client':
    case 'invalid_client':
      return 'The provider does not accept this connector’s app registration: ask your admin to check it.';
    case 'invalid_scope':
      return 'The provider refused the permissions the connector asks for: ask your admin to allow them.';
    case 'temporarily_unavailable':
    case 'server_error':
      return 'The provider could not complete the sign-in just now. Try again in a few minutes.';
    case undefined:
      return 'The provider returned no authorization. Start the connection again.';
    default:
      return 'The provider did not authorize the connection. Start the connection again.';
  }
}
