import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema';
import type { Clock } from '../../shared/clock';

export interface AuditRecord {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
}

/** Append-only log of every admin change (SPEC §8), per tenant. */
export class AuditRepository {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
  ) {}

  async record(tenantId: string, entry: { actor: string; action: string; target: string | null; details: unknown }) {
    const row = {
      id: crypto.randomUUID(),
      tenant_id: tenantId,
      at: this.clock().toISOString(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      details: JSON.stringify(entry.details ?? null),
    };
    await this.db.insertInto('audit_log').values(row).execute();
    return row.id;
  }

  /** Newest first; `before` is an entry id (page backwards). */
  async list(tenantId: string, limit: number, before?: string): Promise<AuditRecord[]> {
    let q = this.db.selectFrom('audit_log').selectAll().where('tenant_id', '=', tenantId);
    if (before) {
      const anchor = await this.db
        .selectFrom('audit_log')
        .select('seq')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', before)
        .executeTakeFirst();
      if (anchor) q = q.where('seq', '<', anchor.seq);
    }
    const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      target: r.target,
      details: JSON.parse(r.details) as unknown,
    }));
  }
}
