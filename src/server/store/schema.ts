import type { Generated } from 'kysely';

/** Table types for Kysely. One interface per table; migrations in ./migrations create them. */
export interface ConnectorMetaTable {
  key: string;
  value: string;
}

export interface TenantsTable {
  id: string;
  name: string | null;
  created_at: string;
}

export interface UsersTable {
  id: string;
  tenant_id: string;
  /** Entra object id; null for users added by the CLI until they first sign in. */
  oid: string | null;
  email: string;
  display_name: string | null;
  is_admin: number;
  profile_id: string | null;
  /** Automatic sync paused (revoked authorization, mass-deletion question) and why. */
  paused_reason: string | null;
  paused_message: string | null;
  created_at: string;
}

export interface ConnectionsTable {
  tenant_id: string;
  user_id: string;
  side: 'crm' | 'calendar';
  provider: string;
  status: 'connected' | 'needs-reauth' | 'error';
  account: string | null;
  url: string | null;
  /** Vault ciphertext of the credentials (JSON). */
  secret: string;
  /** Non-secret JSON: calendar choice and provider options. */
  options: string;
  token_expires_at: string | null;
  last_error: string | null;
  connected_at: string;
  updated_at: string;
}

export interface SettingsLayerTable {
  tenant_id: string;
  settings: string;
  updated_at: string;
}

export interface UserSettingsTable extends SettingsLayerTable {
  user_id: string;
}

export interface ProfilesTable {
  id: string;
  tenant_id: string;
  name: string;
  settings: string;
  locked: string;
  updated_at: string;
}

export interface AuditLogTable {
  seq: Generated<number>;
  id: string;
  tenant_id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: string;
}

export interface OAuthStatesTable {
  state: string;
  tenant_id: string;
  user_id: string;
  side: 'crm' | 'calendar';
  provider: string;
  /** Vault ciphertext: PKCE verifier and the pending connection details. */
  secret: string;
  expires_at: string;
}

export interface TokenCacheTable {
  tenant_id: string;
  cache_key: string;
  secret: string;
  updated_at: string;
}

export interface SyncStateTable {
  user_id: string;
  tenant_id: string;
  next_run_at: string | null;
  lease_owner: string | null;
  lease_until: string | null;
  running_run_id: string | null;
  running_since: string | null;
  queued: number;
  failures: number;
}

/** Calendar change-notification subscriptions (Graph subscriptions, Google watch channels). */
export interface SubscriptionsTable {
  id: string;
  provider: string;
  tenant_id: string;
  user_id: string;
  calendar_id: string;
  /** Vault ciphertext of the client state the provider echoes with every notification. */
  client_state: string;
  expires_at: string;
}

interface StatusRow {
  tenant_id: string;
  user_id: string;
}

export interface StatusLinksTable extends StatusRow {
  id: string;
  crm_id: string;
  event_id: string;
  ical_uid: string | null;
  data: string;
}
export interface StatusCursorsTable extends StatusRow {
  key: string;
  value: string;
}
export interface StatusIntentsTable extends StatusRow {
  key: string;
  data: string;
}
export interface StatusTombstonesTable extends StatusRow {
  side: string;
  source_id: string;
  data: string;
}
export interface StatusMetaTable extends StatusRow {
  first_sync_done: number;
  repairing: number;
  pending_confirmation: string | null;
}
export interface StatusRunsTable extends StatusRow {
  run_id: string;
  started_at: string;
  status: string;
  data: string;
}
export interface StatusTrailTable extends StatusRow {
  seq: Generated<number>;
  run_id: string;
  crm_id: string | null;
  event_id: string | null;
  data: string;
}
export interface StatusConflictsTable extends StatusRow {
  seq: Generated<number>;
  id: string;
  run_id: string;
  crm_id: string;
  event_id: string;
  data: string;
}
export interface StatusCleanupsTable extends StatusRow {
  id: string;
  data: string;
}

export interface CrmItemTagsTable {
  tenant_id: string;
  scope: string;
  item_id: string;
  tag: string;
  updated_at: string;
}

export interface DatabaseSchema {
  connector_meta: ConnectorMetaTable;
  tenants: TenantsTable;
  users: UsersTable;
  connections: ConnectionsTable;
  global_settings: SettingsLayerTable;
  profiles: ProfilesTable;
  user_settings: UserSettingsTable;
  audit_log: AuditLogTable;
  oauth_states: OAuthStatesTable;
  token_cache: TokenCacheTable;
  sync_state: SyncStateTable;
  subscriptions: SubscriptionsTable;
  status_links: StatusLinksTable;
  status_cursors: StatusCursorsTable;
  status_intents: StatusIntentsTable;
  status_tombstones: StatusTombstonesTable;
  status_meta: StatusMetaTable;
  status_runs: StatusRunsTable;
  status_trail: StatusTrailTable;
  status_conflicts: StatusConflictsTable;
  status_cleanups: StatusCleanupsTable;
  crm_item_tags: CrmItemTagsTable;
}
