import type { Db } from '../store/database';
import type { Vault } from './vault';

export interface RotationResult {
  keyId: string;
  reencrypted: number;
  unchanged: number;
}

/**
 * Re-encrypts every stored ciphertext under the vault's current key (after a new key was made current), in one
 * transaction, so no row is left under a key that is about to be retired. Each row keeps its own context (AAD).
 */
export async function reencryptAll(db: Db, vault: Vault): Promise<RotationResult> {
  let reencrypted = 0;
  let unchanged = 0;
  const next = (ciphertext: string, context: string): string => {
    const out = vault.reencrypt(ciphertext, context);
    if (out === ciphertext) unchanged++;
    else reencrypted++;
    return out;
  };
  await db.kysely.transaction().execute(async (trx) => {
    for (const r of await trx.selectFrom('connections').select(['tenant_id', 'user_id', 'side', 'secret']).execute()) {
      const secret = next(r.secret, `connection:${r.tenant_id}:${r.user_id}:${r.side}`);
      if (secret !== r.secret) {
        await trx
          .updateTable('connections')
          .set({ secret })
          .where('tenant_id', '=', r.tenant_id)
          .where('user_id', '=', r.user_id)
          .where('side', '=', r.side)
          .execute();
      }
    }
    for (const r of await trx.selectFrom('oauth_states').select(['state', 'secret']).execute()) {
      const secret = next(r.secret, `oauth-state:${r.state}`);
      if (secret !== r.secret)
        await trx.updateTable('oauth_states').set({ secret }).where('state', '=', r.state).execute();
    }
    for (const r of await trx.selectFrom('token_cache').select(['tenant_id', 'cache_key', 'secret']).execute()) {
      const context =
        r.cache_key === 'msal'
          ? `token-cache:${r.tenant_id}`
          : `graph-account:${r.tenant_id}:${r.cache_key.slice('account:'.length)}`;
      const secret = next(r.secret, context);
      if (secret !== r.secret) {
        await trx
          .updateTable('token_cache')
          .set({ secret })
          .where('tenant_id', '=', r.tenant_id)
          .where('cache_key', '=', r.cache_key)
          .execute();
      }
    }
    for (const r of await trx.selectFrom('subscriptions').select(['provider', 'id', 'client_state']).execute()) {
      const client_state = next(r.client_state, `subscription:${r.provider}:${r.id}`);
      if (client_state !== r.client_state) {
        await trx
          .updateTable('subscriptions')
          .set({ client_state })
          .where('provider', '=', r.provider)
          .where('id', '=', r.id)
          .execute();
      }
    }
  });
  return { keyId: vault.currentKeyId, reencrypted, unchanged };
}
