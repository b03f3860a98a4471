import type { InsertResult } from 'kysely';

/**
 * An upsert whose key is held by another tenant's row. Per-user tables are keyed by user id alone, so an
 * `insert … on conflict do update` made with the wrong tenant would otherwise overwrite that tenant's row; every
 * conflict update carries the tenant (SPEC §9: tenant scoping in every query), so nothing is written, and the write
 * fails here instead of being dropped without a word.
 */
export class TenantScopeError extends Error {
  constructor(what: string) {
    super(`${what.charAt(0).toUpperCase()}${what.slice(1)} was not written: its key belongs to another tenant`);
    this.name = 'TenantScopeError';
  }
}

/**
 * Awaits an upsert that must write one row (a new one, or its own tenant's row updated). An answer with no row
 * count (a driver that gives none) is taken as written.
 */
export async function upserted(result: Promise<InsertResult>, what: string): Promise<void> {
  const { numInsertedOrUpdatedRows } = await result;
  if (numInsertedOrUpdatedRows === BigInt(0)) throw new TenantScopeError(what);
}
