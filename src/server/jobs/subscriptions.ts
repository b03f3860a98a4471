import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { CalendarConnector } from '../../providers/connector';
import type { ConnectionService } from '../connections/connection-service';
import type { Db } from '../store/database';
import type { Vault } from '../vault/vault';
import type { RunQueue } from './queue';
import type { SyncStateRepository } from '../store/sync-state';
import type { Clock } from '../../shared/clock';

const renewBeforeMs = 24 * 3600 * 1000;

/**
 * Near-real-time triggers (SPEC §6): keeps a change-notification subscription on the user's source calendars
 * where the provider supports them and the server is reachable over https, and turns verified notifications
 * into runs. The schedule still runs regardless.
 */
export class SubscriptionService {
  constructor(
    private readonly deps: {
      db: Db;
      vault: Vault;
      connections: ConnectionService;
      queue: RunQueue;
      syncState: SyncStateRepository;
      publicUrl: string | undefined;
      logger: Logger;
      clock: Clock;
    },
  ) {}

  private context(provider: string, id: string): string {
    return `subscription:${provider}:${id}`;
  }

  /** Subscribes or renews for the user's calendars; failures are logged (the schedule covers them). */
  async ensure(tenantId: string, userId: string, calendarIds: string[]): Promise<void> {
    const base = this.deps.publicUrl;
    if (!base?.startsWith('https://')) return;
    let opened;
    try {
      opened = await this.deps.connections.openCalendar(tenantId, userId);
    } catch {
      return;
    }
    const connector = this.deps.connections.connector('calendar', opened.record.provider) as CalendarConnector;
    const support = connector.notifications;
    if (!support) return;
    const provider = opened.record.provider;
    const existing = await this.deps.db.kysely
      .selectFrom('subscriptions')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('provider', '=', provider)
      .execute();
    const soon = new Date(this.deps.clock().getTime() + renewBeforeMs).toISOString();
    for (const calendarId of calendarIds) {
      const sub = existing.find((s) => s.calendar_id === calendarId);
      try {
        if (sub && sub.expires_at > soon) continue;
        if (sub) {
          const { expiresAt } = await support.renew(opened.provider, sub.id);
          await this.deps.db.kysely
            .updateTable('subscriptions')
            .set({ expires_at: expiresAt })
            .where('provider', '=', provider)
            .where('id', '=', sub.id)
            .execute();
          continue;
        }
        const clientState = crypto.randomBytes(24).toString('base64url');
        const created = await support.subscribe(opened.provider, {
          calendarId,
          notificationUrl: `${base.replace(/\/+$/, '')}/api/v1/webhooks/${provider}`,
          clientState,
        });
        await this.deps.db.kysely
          .insertInto('subscriptions')
          .values({
            id: created.id,
            provider,
            tenant_id: tenantId,
            user_id: userId,
            calendar_id: calendarId,
            client_state: this.deps.vault.encrypt(clientState, this.context(provider, created.id)),
            expires_at: created.expiresAt,
          })
          .execute();
      } catch (e) {
        this.deps.logger.warn({ provider, err: e instanceof Error ? e.message : String(e) }, 'subscription failed');
      }
    }
  }

  /**
   * On Disconnect: stops every subscription of the user's calendar connection at the provider (failures are
   * logged: the provider lets a subscription lapse on its own) and forgets them, so no notification of a
   * disconnected account can queue a run.
   */
  async removeAll(tenantId: string, userId: string): Promise<number> {
    const rows = await this.deps.db.kysely
      .selectFrom('subscriptions')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .execute();
    if (rows.length === 0) return 0;
    try {
      const opened = await this.deps.connections.openCalendar(tenantId, userId);
      const connector = this.deps.connections.connector('calendar', opened.record.provider) as CalendarConnector;
      for (const row of rows.filter((r) => r.provider === opened.record.provider)) {
        try {
          await connector.notifications?.unsubscribe(opened.provider, row.id);
        } catch (e) {
          this.deps.logger.warn(
            { provider: row.provider, err: e instanceof Error ? e.message : String(e) },
            'unsubscribe failed',
          );
        }
      }
    } catch (e) {
      this.deps.logger.warn(
        { err: e instanceof Error ? e.message : String(e) },
        'calendar not openable for unsubscribe',
      );
    }
    await this.deps.db.kysely
      .deleteFrom('subscriptions')
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .execute();
    return rows.length;
  }

  /** A notification whose subscription and client state check out queues one run (unless one is already queued). */
  async notify(provider: string, subscriptionId: string, clientState: string | null): Promise<boolean> {
    const sub = await this.deps.db.kysely
      .selectFrom('subscriptions')
      .selectAll()
      .where('provider', '=', provider)
      .where('id', '=', subscriptionId)
      .executeTakeFirst();
    if (!sub) return false;
    const expected = Buffer.from(this.deps.vault.decrypt(sub.client_state, this.context(provider, sub.id)));
    const got = Buffer.from(clientState ?? '');
    if (expected.length !== got.length || !crypto.timingSafeEqual(expected, got)) return false;
    const state = await this.deps.syncState.get(sub.tenant_id, sub.user_id);
    if (state.queued > 0) return true;
    await this.deps.syncState.addQueued(sub.tenant_id, sub.user_id, 1);
    await this.deps.queue.enqueue({
      tenantId: sub.tenant_id,
      userId: sub.user_id,
      runId: crypto.randomUUID(),
      trigger: 'notification',
      confirmDeletions: false,
    });
    return true;
  }
}
