/**
 * Salesforce REST transport: bearer calls against the instance URL with one refresh-token retry on
 * INVALID_SESSION_ID, SOQL paging through nextRecordsUrl, and the org's API budget: its requests of the last
 * 24 hours (a rolling window, no reset time) as the Sforce-Limit-Info header counts them. Once the org has used
 * `apiBudgetShare` of them (so a sync never starves the org's other integrations), or Salesforce refuses a call with
 * REQUEST_LIMIT_EXCEEDED "TotalRequests", the run stops with one clear error (DailyBudget: no retries inside the run;
 * the next scheduled run tries one request again). REQUEST_LIMIT_EXCEEDED for the concurrent long-running request
 * limit ("ConcurrentRequests", "ConcurrentPerOrgLongTxn") is transient: it clears within seconds.
 */
import { ProviderError } from '../../../sync/errors';
import type { FetchLike } from '../../http/safe-fetch';
import { providerErrorFromNetwork, providerErrorFromResponse } from '../../http/provider-errors';
import { OAuthSession, renewedFrom } from '../../http/oauth-session';
import { DailyBudget } from '../../http/rate-limit';
import { systemClock, type Clock } from '../../../shared/clock';

export const apiVersion = 'v60.0';
const apiBudgetShare = 0.9;
/** Salesforce counts long-running requests over 20 s for its concurrency limit: retry after that. */
const concurrencyRetryMs = 20_000;

export interface SalesforceSecrets {
  clientId: string;
  clientSecret?: string;
  /** Where tokens are refreshed: login.salesforce.com, test.salesforce.com or the My Domain URL. */
  loginUrl: string;
  instanceUrl: string;
  accessToken: string;
  refreshToken?: string;
  userId: string;
  userEmail?: string;
  username?: string;
  /** The optional fields this org's describe() lists (org-fields.ts), stored with the connection. */
  orgFields?: string;
}

export function salesforceSecretsToRecord(s: SalesforceSecrets): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s)) if (typeof v === 'string' && (v || k === 'orgFields')) out[k] = v;
  return out;
}

export function salesforceSecretsFromRecord(r: Record<string, string>): SalesforceSecrets {
  for (const k of ['clientId', 'loginUrl', 'instanceUrl', 'accessToken', 'userId']) {
    if (!r[k]) throw new ProviderError('auth', `Salesforce connection lacks ${k}`);
  }
  return r as unknown as SalesforceSecrets;
}

export interface SalesforceError {
  errorCode?: string;
  message?: string;
}

/**
 * The vendor's error code of a failed answer (REST `[{ errorCode, message }]`, OAuth `{ error, error_description }`)
 * and whether it is about the concurrent request limit. Only the code is kept: Salesforce's message text can echo
 * request data (SOQL literals, field values, tokens), so no message a user or log sees repeats it; it is only looked
 * at to tell REQUEST_LIMIT_EXCEEDED's concurrency limit ("ConcurrentRequests …") from the daily one ("TotalRequests").
 */
async function errorCodeOf(res: Response): Promise<{ code: string | null; concurrencyLimit: boolean }> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as SalesforceError[] | { error?: unknown };
    const code = Array.isArray(body) ? body[0]?.errorCode : body.error;
    const message = Array.isArray(body) ? body[0]?.message : undefined;
    return {
      code: typeof code === 'string' && /^[\w.-]{1,80}$/.test(code) ? code : null,
      concurrencyLimit: typeof message === 'string' && /\bConcurrent/i.test(message),
    };
  } catch {
    return { code: null, concurrencyLimit: false };
  }
}

/**
 * Codes that say the user lacks access rather than that the request was malformed (Salesforce answers them with
 * 400 or 403): INSUFFICIENT_ACCESS_OR_READONLY / INSUFFICIENT_ACCESS on a write, INVALID_TYPE for an object the
 * user's profile cannot read ("sObject type 'Event' is not supported"), INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY
 * for a related record they cannot see.
 */
export const accessCodes = new Set([
  'INSUFFICIENT_ACCESS_OR_READONLY',
  'INSUFFICIENT_ACCESS',
  'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY',
  'INVALID_TYPE',
]);

/** The object a REST path is about (sobjects/<Object>/…, or FROM <Object> of a SOQL query), for messages. */
export function objectOfCall(path: string): string | null {
  const sobject = /\/sobjects\/(\w+)/.exec(path)?.[1];
  if (sobject) return sobject;
  const q = /[?&]q=([^&]*)/.exec(path)?.[1];
  if (!q) return null;
  return /\bFROM\s+(\w+)/i.exec(decodeURIComponent(q.replace(/\+/g, ' ')))?.[1] ?? null;
}

/** A ProviderError that keeps Salesforce's error code (never its message) and the object the call was about. */
export class SalesforceCallError extends ProviderError {
  constructor(
    kind: ProviderError['kind'],
    message: string,
    readonly code: string | null,
    readonly object: string | null,
    options: { status?: number; retryAfterMs?: number } = {},
  ) {
    super(kind, message, options);
  }
}

export class SalesforceClient {
  private secrets: SalesforceSecrets;
  /** Latest api-usage seen, e.g. { used: 18, max: 15000 }. */
  apiUsage: { used: number; max: number } | null = null;
  /** Set once the org's daily requests are used up (or its share for this connector): every later call is refused. */
  private readonly budget: DailyBudget;

  private readonly session: OAuthSession<TokenResponse>;

  constructor(
    secrets: SalesforceSecrets,
    private readonly fetch: FetchLike,
    private readonly onTokens: (s: SalesforceSecrets) => Promise<void>,
    private readonly now: Clock = systemClock,
  ) {
    this.secrets = { ...secrets };
    this.budget = new DailyBudget(this.now);
    this.session = new OAuthSession<TokenResponse>({
      // Salesforce does not say when its access tokens expire: renewed after a 401 only.
      tokens: {
        accessToken: secrets.accessToken,
        ...(secrets.refreshToken ? { refreshToken: secrets.refreshToken } : {}),
        expiresAt: null,
      },
      renew: async ({ refreshToken }) => {
        const body = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken ?? '',
          client_id: this.secrets.clientId,
        });
        if (this.secrets.clientSecret) body.set('client_secret', this.secrets.clientSecret);
        return renewedFrom(await tokenRequest(this.fetch, this.secrets.loginUrl, body, this.now));
      },
      save: async (t, json) => {
        this.secrets.accessToken = t.accessToken;
        // A refresh can move the org (instance_url): later calls go there.
        if (json.instance_url) this.secrets.instanceUrl = json.instance_url.replace(/\/+$/, '');
        if (t.refreshToken) this.secrets.refreshToken = t.refreshToken;
        await this.onTokens(this.current);
      },
      now: this.now,
      expiredMessage: 'Salesforce session expired and there is no refresh token',
    });
  }

  get current(): SalesforceSecrets {
    return { ...this.secrets };
  }

  /** Keeps what describe() said with the connection (saved like refreshed tokens). */
  async saveOrgFields(value: string): Promise<void> {
    if (this.secrets.orgFields === value) return;
    this.secrets.orgFields = value;
    await this.onTokens(this.current);
  }

  private checkBudget(res: Response): void {
    const info = res.headers.get('sforce-limit-info');
    const m = info ? /api-usage=(\d+)\/(\d+)/.exec(info) : null;
    if (m) this.apiUsage = { used: Number(m[1]), max: Number(m[2]) };
  }

  /** Stops the run once the org's share of its daily requests is used (see the file's comment). */
  private assertBudget(): void {
    this.budget.check();
    const usage = this.apiUsage;
    if (usage && usage.max > 0 && usage.used >= usage.max * apiBudgetShare) {
      throw this.budget.exhausted(
        `Salesforce: the org has used ${usage.used} of its ${usage.max} daily API requests, and the connector leaves ` +
          `the last ${Math.round((1 - apiBudgetShare) * 100)} % to other integrations; syncing stops and resumes ` +
          'once the org’s requests over the last 24 hours are fewer.',
        null,
      );
    }
  }

  /** Salesforce refused a call: the org's daily API request limit is used up. */
  private dailyLimitReached(status: number): ProviderError {
    // A rolling 24-hour window: no reset time to give. The next scheduled run asks once and goes on if it is back.
    return this.budget.exhausted(
      'Salesforce: the org’s daily API request limit is used up (REQUEST_LIMIT_EXCEEDED); syncing stops and resumes ' +
        'once the org’s requests over the last 24 hours are under its limit again.',
      null,
      status,
    );
  }

  /** A REST call; `path` starts with /services/… Returns parsed JSON (null for 204). */
  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    this.assertBudget();
    const res = await this.session.send(async (token) => {
      let answer: Response;
      try {
        answer = await this.fetch(`${this.secrets.instanceUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      } catch (e) {
        throw providerErrorFromNetwork(e, method !== 'GET');
      }
      this.checkBudget(answer);
      return answer;
    });
    if (!res.ok) {
      const clone = res.clone();
      const { code, concurrencyLimit } = await errorCodeOf(res);
      if (code === 'REQUEST_LIMIT_EXCEEDED') {
        if (!concurrencyLimit) throw this.dailyLimitReached(res.status);
        throw new ProviderError(
          'transient',
          'Salesforce: too many long-running requests in the org at once (REQUEST_LIMIT_EXCEEDED)',
          { status: res.status, retryAfterMs: concurrencyRetryMs },
        );
      }
      const object = objectOfCall(path);
      if (code && accessCodes.has(code)) {
        throw new SalesforceCallError(
          'forbidden',
          `This Salesforce user has no ${method === 'GET' ? 'read' : 'write'} access to ${object ?? 'an object the connector uses'} (${code})`,
          code,
          object,
          { status: res.status },
        );
      }
      const generic = providerErrorFromResponse(clone, code ?? '', this.now());
      throw new SalesforceCallError(
        generic.kind,
        `Salesforce ${method} ${object ?? 'call'}: ${generic.message}`,
        code,
        object,
        {
          ...(generic.status ? { status: generic.status } : {}),
          ...(generic.retryAfterMs !== undefined ? { retryAfterMs: generic.retryAfterMs } : {}),
        },
      );
    }
    if (res.status === 204) return null;
    const text = await res.text();
    return text ? (JSON.parse(text) as unknown) : null;
  }

  /** Runs a SOQL query and follows nextRecordsUrl to the end. */
  async query<T>(soql: string): Promise<T[]> {
    const out: T[] = [];
    for await (const records of this.queryPages<T>(soql)) out.push(...records);
    return out;
  }

  /**
   * The pages of a SOQL query one at a time, so a caller can let each go before the next. nextRecordsUrl is a
   * server-side query locator, not an offset: records that change while the caller works do not shift later pages.
   */
  async *queryPages<T>(soql: string): AsyncGenerator<T[]> {
    let path: string | null = `/services/data/${apiVersion}/query?q=${encodeURIComponent(soql)}`;
    while (path) {
      const page = (await this.call('GET', path)) as { records?: T[]; done?: boolean; nextRecordsUrl?: string } | null;
      yield page?.records ?? [];
      path = page?.done === false && page.nextRecordsUrl ? page.nextRecordsUrl : null;
    }
  }
}

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  instance_url?: string;
  id?: string;
}

export async function tokenRequest(
  fetch: FetchLike,
  loginUrl: string,
  body: URLSearchParams,
  now: () => Date,
): Promise<TokenResponse> {
  let res: Response;
  try {
    res = await fetch(`${loginUrl}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body.toString(),
    });
  } catch (e) {
    throw providerErrorFromNetwork(e, false);
  }
  if (!res.ok) {
    const clone = res.clone();
    const { code } = await errorCodeOf(res);
    if (code === 'invalid_grant' || code === 'invalid_client' || code === 'invalid_client_id' || res.status === 401) {
      throw new ProviderError('auth', `Salesforce refused the authorization (${code ?? `HTTP ${res.status}`})`, {
        status: res.status,
      });
    }
    throw providerErrorFromResponse(clone, `Salesforce token endpoint${code ? ` ${code}` : ''}`, now());
  }
  const json = (await res.json().catch(() => null)) as TokenResponse | null;
  if (!json?.access_token) throw new ProviderError('permanent', 'Salesforce token response without access_token');
  return json;
}

/** SOQL string literal. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** SOQL dateTime literal (no quotes, second precision, UTC). */
export function soqlDateTime(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19)}Z`;
}
