import type { Runtime } from '../runtime';

/**
 * Disconnect (SPEC §3), the same from the pane and the CLI: stop change notifications of a calendar
 * connection, revoke tokens where the provider can, delete the stored credentials, and turn automatic sync
 * off. Events already synced stay where they are, as static copies.
 */
export async function disconnectSide(
  runtime: Runtime,
  tenantId: string,
  userId: string,
  side: 'crm' | 'calendar',
): Promise<{ revoked: boolean }> {
  if (side === 'calendar') await runtime.subscriptions.removeAll(tenantId, userId);
  const { revoked } = await runtime.connectionService.disconnect(tenantId, userId, side);
  const current = await runtime.settings.getUser(tenantId, userId);
  await runtime.settings.setUser(tenantId, userId, { ...current, automaticSync: false });
  await runtime.syncState.setNextRun(tenantId, userId, null);
  return { revoked };
}
