import type { Kysely } from 'kysely';

/** The Sandbox CRM's tables (src/server/sandbox/schema.ts). Portable types only: the same on SQLite and PostgreSQL. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sandbox_items')
    .addColumn('tenant_id', 'varchar(200)', (c) => c.notNull())
    .addColumn('id', 'varchar(64)', (c) => c.notNull())
    .addColumn('type', 'varchar(20)', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('timing_json', 'text')
    .addColumn('starts_at', 'varchar(40)')
    .addColumn('ends_at', 'varchar(40)')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('visibility', 'varchar(20)', (c) => c.notNull())
    .addColumn('show_as', 'varchar(20)', (c) => c.notNull())
    .addColumn('attendees_json', 'text', (c) => c.notNull())
    .addColumn('recurrence_json', 'text')
    .addColumn('reminder_minutes', 'integer')
    .addColumn('completed', 'integer', (c) => c.notNull())
    .addColumn('priority', 'varchar(20)', (c) => c.notNull())
    .addColumn('sync_to_calendar', 'integer')
    .addColumn('archived', 'integer', (c) => c.notNull())
    .addColumn('ical_uid', 'varchar(1024)')
    .addColumn('origin', 'varchar(20)', (c) => c.notNull())
    .addColumn('occurrence_json', 'text')
    .addColumn('contact_ids_json', 'text', (c) => c.notNull())
    .addColumn('company_ids_json', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'varchar(200)')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('change_seq', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('modified_at', 'varchar(40)', (c) => c.notNull())
    .addPrimaryKeyConstraint('sandbox_items_pk', ['tenant_id', 'id'])
    .addUniqueConstraint('sandbox_items_idempotency', ['tenant_id', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('sandbox_items_seq').on('sandbox_items').columns(['tenant_id', 'change_seq']).execute();
  await db.schema.createIndex('sandbox_items_ical').on('sandbox_items').columns(['tenant_id', 'ical_uid']).execute();

  await db.schema
    .createTable('sandbox_item_owners')
    .addColumn('tenant_id', 'varchar(200)', (c) => c.notNull())
    .addColumn('item_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('email', 'varchar(320)', (c) => c.notNull())
    .addPrimaryKeyConstraint('sandbox_item_owners_pk', ['tenant_id', 'item_id', 'email'])
    .addForeignKeyConstraint(
      'sandbox_item_owners_item',
      ['tenant_id', 'item_id'],
      'sandbox_items',
      ['tenant_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('sandbox_item_owners_email')
    .on('sandbox_item_owners')
    .columns(['tenant_id', 'email'])
    .execute();

  await db.schema
    .createTable('sandbox_deletions')
    .addColumn('tenant_id', 'varchar(200)', (c) => c.notNull())
    .addColumn('item_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('change_seq', 'integer', (c) => c.notNull())
    .addColumn('owners_json', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'varchar(40)', (c) => c.notNull())
    .addPrimaryKeyConstraint('sandbox_deletions_pk', ['tenant_id', 'item_id'])
    .execute();
  await db.schema
    .createIndex('sandbox_deletions_seq')
    .on('sandbox_deletions')
    .columns(['tenant_id', 'change_seq'])
    .execute();

  await db.schema
    .createTable('sandbox_feed')
    .addColumn('tenant_id', 'varchar(200)', (c) => c.primaryKey())
    .addColumn('last_seq', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sandbox_companies')
    .addColumn('tenant_id', 'varchar(200)', (c) => c.notNull())
    .addColumn('id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('domain', 'varchar(255)')
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addPrimaryKeyConstraint('sandbox_companies_pk', ['tenant_id', 'id'])
    .execute();

  await db.schema
    .createTable('sandbox_contacts')
    .addColumn('tenant_id', 'varchar(200)', (c) => c.notNull())
    .addColumn('id', 'varchar(64)', (c) => c.notNull())
    .addColumn('email', 'varchar(320)', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('kind', 'varchar(20)', (c) => c.notNull())
    .addColumn('company_id', 'varchar(64)')
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addPrimaryKeyConstraint('sandbox_contacts_pk', ['tenant_id', 'id'])
    .execute();
  await db.schema
    .createIndex('sandbox_contacts_email')
    .on('sandbox_contacts')
    .columns(['tenant_id', 'email'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'sandbox_contacts',
    'sandbox_companies',
    'sandbox_feed',
    'sandbox_deletions',
    'sandbox_item_owners',
    'sandbox_items',
  ]) {
    await db.schema.dropTable(t).execute();
  }
}
