/**
 * The connectors' own iCalUId tags (CrmItemTags), one store per tenant and CRM org: every query is scoped by
 * both, so a tag written by one user's connector is found by a colleague's connector on the same org only.
 */
import type { Kysely } from 'kysely';
import type { CrmItemTags } from '../../providers/connector';
import type { DatabaseSchema } from './schema';

const chunk = 200;

export function itemTagStore(
  db: Kysely<DatabaseSchema>,
  tenantId: string,
  scope: string,
  now: () => Date,
): CrmItemTags {
  const base = () => db.selectFrom('crm_item_tags').where('tenant_id', '=', tenantId).where('scope', '=', scope);
  return {
    async find(tags) {
      const out: { itemId: string; tag: string }[] = [];
      const unique = [...new Set(tags)];
      for (let i = 0; i < unique.length; i += chunk) {
        const rows = await base()
          .select(['item_id', 'tag'])
          .where('tag', 'in', unique.slice(i, i + chunk))
          .execute();
        out.push(...rows.map((r) => ({ itemId: r.item_id, tag: r.tag })));
      }
      return out;
    },
    async tagsOf(itemIds) {
      const out = new Map<string, string>();
      const unique = [...new Set(itemIds)];
      for (let i = 0; i < unique.length; i += chunk) {
        const rows = await base()
          .select(['item_id', 'tag'])
          .where('item_id', 'in', unique.slice(i, i + chunk))
          .execute();
        for (const r of rows) out.set(r.item_id, r.tag);
      }
      return out;
    },
    async put(itemId, tag) {
      const updated_at = now().toISOString();
      await db
        .insertInto('crm_item_tags')
        .values({ tenant_id: tenantId, scope, item_id: itemId, tag, updated_at })
        .onConflict((oc) => oc.columns(['tenant_id', 'scope', 'item_id']).doUpdateSet({ tag, updated_at }))
        .execute();
    },
  };
}
