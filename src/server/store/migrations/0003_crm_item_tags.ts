import type { Kysely } from 'kysely';

/**
 * The connectors' own iCalUId tags per CRM org (src/providers/connector.ts, CrmItemTags): what a vendor custom
 * field would hold on an org that lacks it. Scoped by tenant and by CRM org (provider and instance URL).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('crm_item_tags')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('crm_item_tags_pk', ['tenant_id', 'scope', 'item_id'])
    .execute();
  await db.schema.createIndex('crm_item_tags_tag').on('crm_item_tags').columns(['tenant_id', 'scope', 'tag']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('crm_item_tags').execute();
}
