import type { Kysely } from 'kysely';
import type { Dialect } from '../database';

/**
 * Tenants, users, connections (secrets only as vault ciphertext), settings layers, profiles, audit log,
 * OAuth state, token cache, per-user scheduling state and the engine's status-store tables.
 * Every row carries tenant_id so each query can be scoped to one tenant. Times are ISO-8601 text (sortable);
 * JSON is text; booleans are 0/1 integers: one schema on SQLite and PostgreSQL.
 */
export function core(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createAccountTables(db, dialect);
      await createSchedulingTables(db);
      await createStatusTables(db, dialect);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of [
        'status_cleanups',
        'status_conflicts',
        'status_trail',
        'status_runs',
        'status_meta',
        'status_tombstones',
        'status_intents',
        'status_cursors',
        'status_links',
        'subscriptions',
        'sync_state',
        'token_cache',
        'oauth_states',
        'audit_log',
        'user_settings',
        'profiles',
        'global_settings',
        'connections',
        'users',
        'tenants',
      ]) {
        await db.schema.dropTable(t).execute();
      }
    },
  };
}

/** Tenants, users, connections, settings layers, profiles and the audit log. */
async function createAccountTables(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const serial = dialect === 'postgres' ? 'serial' : 'integer';
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('oid', 'text')
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('profile_id', 'text')
    .addColumn('paused_reason', 'text')
    .addColumn('paused_message', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('users_tenant_email', ['tenant_id', 'email'])
    .execute();
  await db.schema.createIndex('users_tenant_oid').on('users').columns(['tenant_id', 'oid']).execute();
  await db.schema
    .createTable('connections')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('side', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('account', 'text')
    .addColumn('url', 'text')
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('token_expires_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('connected_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('connections_pk', ['user_id', 'side'])
    .execute();
  await db.schema
    .createTable('global_settings')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('profiles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('locked', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('profiles_tenant_name', ['tenant_id', 'name'])
    .execute();
  await db.schema
    .createTable('user_settings')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('audit_log')
    .addColumn('seq', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_tenant_seq').on('audit_log').columns(['tenant_id', 'seq']).execute();
}

/** OAuth state, the token cache, per-user scheduling state and change-notification subscriptions. */
async function createSchedulingTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oauth_states')
    .addColumn('state', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('side', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('token_cache')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('cache_key', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('token_cache_pk', ['tenant_id', 'cache_key'])
    .execute();
  await db.schema
    .createTable('sync_state')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('next_run_at', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('running_run_id', 'text')
    .addColumn('running_since', 'text')
    .addColumn('queued', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('subscriptions')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('calendar_id', 'text', (c) => c.notNull())
    .addColumn('client_state', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('subscriptions_pk', ['provider', 'id'])
    .execute();
}

/** The engine's status store. */
async function createStatusTables(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const serial = dialect === 'postgres' ? 'serial' : 'integer';
  // The engine's status store, one set of rows per (tenant, user).
  const statusTable = (name: string) =>
    db.schema
      .createTable(name)
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'));
  await statusTable('status_links')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('crm_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('ical_uid', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('status_links_pk', ['user_id', 'id'])
    .execute();
  await db.schema.createIndex('status_links_crm').on('status_links').columns(['user_id', 'crm_id']).execute();
  await db.schema.createIndex('status_links_event').on('status_links').columns(['user_id', 'event_id']).execute();
  await statusTable('status_cursors')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('status_cursors_pk', ['user_id', 'key'])
    .execute();
  await statusTable('status_intents')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('status_intents_pk', ['user_id', 'key'])
    .execute();
  await statusTable('status_tombstones')
    .addColumn('side', 'text', (c) => c.notNull())
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('status_tombstones_pk', ['user_id', 'side', 'source_id'])
    .execute();
  await statusTable('status_meta')
    .addColumn('first_sync_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('repairing', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pending_confirmation', 'text')
    .addPrimaryKeyConstraint('status_meta_pk', ['user_id'])
    .execute();
  await statusTable('status_runs')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('status_runs_pk', ['user_id', 'run_id'])
    .execute();
  await db.schema.createIndex('status_runs_started').on('status_runs').columns(['user_id', 'started_at']).execute();
  await statusTable('status_trail')
    .addColumn('seq', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('crm_id', 'text')
    .addColumn('event_id', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('status_trail_user').on('status_trail').columns(['user_id', 'seq']).execute();
  await statusTable('status_conflicts')
    .addColumn('seq', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('crm_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('status_conflicts_user').on('status_conflicts').columns(['user_id', 'seq']).execute();
  await statusTable('status_cleanups')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('status_cleanups_pk', ['user_id', 'id'])
    .execute();
}
