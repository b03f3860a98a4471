/**
 * The contract between the server and each provider package: how a provider describes itself, checks and
 * stores credentials, runs OAuth, and is opened as an engine port for a run. The server owns storage (secrets
 * are encrypted in its vault), HTTP routes and user identity; the provider owns the vendor protocol.
 */
import type { ProviderDescriptor } from '../shared/providers';
import type { CalendarProvider, CrmProvider } from '../sync/ports';
import type { FetchLike } from './http/safe-fetch';

/** Decrypted credentials of one connection: tokens, passwords, client ids. Never logged, never sent to the pane. */
export type Secrets = Record<string, string>;

export interface ProviderEnv {
  /** SSRF-guarded fetch (SPEC §9): for every URL a user supplied (custom CRM URL, CalDAV URL, discovered hrefs). */
  safeFetch: FetchLike;
  /** Plain fetch: for endpoints the admin configured (GRAPH_BASE_URL, vendors' fixed OAuth endpoints). */
  fetch: FetchLike;
  /** The connector's public origin (OAuth redirect URIs, deep links back). */
  publicUrl: string;
  graphBaseUrl: string;
  /** Google OAuth client, when configured. */
  google?: { clientId: string; clientSecret: string; authBaseUrl?: string; tokenUrl?: string; apiBaseUrl?: string };
  /** CALDAV_WRITE_CONCURRENCY: CalDAV writes in flight at once (unset: the provider's default). */
  caldavWriteConcurrency?: number;
  now(): Date;
}

/** What the user typed in the Connect form. */
export interface ConnectInput {
  /** Auth method id from the descriptor. */
  method: string;
  /** Custom URL (required / optional per descriptor), already trimmed; null when not given. */
  url: string | null;
  fields: Record<string, string>;
  /** The signed-in user's own mailbox, set by the server (never by the pane): whose connection this is. */
  userEmail?: string;
}

/** A verified connection, ready to be stored. */
export interface Connection {
  secrets: Secrets;
  /** Who the provider says we are (e-mail / user name / org), shown next to the Connected badge. */
  account: string;
  /** The base URL the provider will use (custom URL or discovered), null for fixed-endpoint providers. */
  url: string | null;
  /** When the stored token stops working unless refreshed (SPEC §7: warn before expiry), ISO instant. */
  expiresAt: string | null;
  /** Calendars only: the calendar the URL the user gave names (a calendar collection), the default target. */
  calendarId?: string | null;
}

/**
 * The connector's own store of iCalUId tags, shared by every user of the tenant who connects the same CRM org:
 * what a vendor custom field would hold when the org has none (a stock Salesforce org without
 * CrmSync_ICalUId__c). A tag is the stored value as ical-uid-tag.ts writes it (plain: imported from a calendar;
 * prefixed: a CRM-born activity whose mirror's iCalUId was written back).
 */
export interface CrmItemTags {
  /** Items carrying any of these tags, in this org. */
  find(tags: string[]): Promise<{ itemId: string; tag: string }[]>;
  /** The tags of these items, where they have one. */
  tagsOf(itemIds: string[]): Promise<Map<string, string>>;
  put(itemId: string, tag: string): Promise<void>;
}

export interface OpenHooks {
  /** Persist refreshed tokens (the server re-encrypts them). */
  saveSecrets(secrets: Secrets, expiresAt: string | null): Promise<void>;
  /** For `entra` auth: a Graph access token for this user (on-behalf-of or app-only), from the server's auth. */
  getEntraToken?(): Promise<string>;
  /** CRM side: the connector's own tag store (tenant-wide, per CRM org), where a vendor field is missing. */
  itemTags?: CrmItemTags;
}

export interface OAuthSupport {
  /** URL to open in the Office dialog. `state` and the PKCE challenge (S256) come from the server. */
  authorizationUrl(p: {
    state: string;
    codeChallenge: string;
    redirectUri: string;
    input: ConnectInput;
    env: ProviderEnv;
  }): Promise<string>;
  /** Exchanges the code at the callback, then tests the token with a cheap real call. */
  exchangeCode(p: {
    code: string;
    codeVerifier: string;
    redirectUri: string;
    input: ConnectInput;
    env: ProviderEnv;
    /**
     * The redirect's other query parameters (not state, code or error), as the provider's browser half sent them
     * (e.g. Zoho's `location` and `accounts-server`). Untrusted: a connector checks any it uses.
     */
    callbackParams?: Readonly<Record<string, string>>;
  }): Promise<Connection>;
}

/** Incoming webhook: a validation handshake to echo, notifications to act on, or something to refuse. */
export type WebhookOutcome =
  | { kind: 'handshake'; status: number; contentType: string; body: string }
  | { kind: 'notifications'; items: { subscriptionId: string; clientState: string | null; lifecycle: string | null }[] }
  | { kind: 'reject'; status: number; reason: string };

export interface NotificationSupport {
  subscribe(
    provider: CalendarProvider,
    p: { calendarId: string; notificationUrl: string; clientState: string },
  ): Promise<{ id: string; expiresAt: string }>;
  renew(provider: CalendarProvider, id: string): Promise<{ expiresAt: string }>;
  unsubscribe(provider: CalendarProvider, id: string): Promise<void>;
  parseWebhook(req: { query: Record<string, string>; headers: Record<string, string>; body: unknown }): WebhookOutcome;
}

interface ConnectorBase<P> {
  descriptor: ProviderDescriptor;
  /** Form-based methods: validate input (ConnectError naming the field), SSRF-check URLs, make a cheap real call. */
  connect?(input: ConnectInput, env: ProviderEnv): Promise<Connection>;
  oauth?: OAuthSupport;
  /** Opens the engine port for one run. */
  open(connection: Omit<Connection, 'expiresAt'>, env: ProviderEnv, hooks: OpenHooks): P;
  /** Revokes tokens at the provider where it supports that (SPEC §3 Disconnect); errors are reported, not fatal. */
  revoke?(connection: Omit<Connection, 'expiresAt'>, env: ProviderEnv): Promise<void>;
}

export interface CalendarConnector extends ConnectorBase<CalendarProvider> {
  notifications?: NotificationSupport;
}

export type CrmConnector = ConnectorBase<CrmProvider>;
