import crypto from 'node:crypto';
import type { SyncStatusResponse } from '../../../shared/api/sync';
import { badRequest, notFound } from '../../errors';
import type { Runtime } from '../../runtime';
import type { UserRecord } from '../../store/users';
import type { HandlerGroup } from '../handler-types';
import { cleanupDto } from './dto';
import { isSyncRun } from '../../../sync/history';

type SyncRoutes =
  | 'getSettings'
  | 'updateSettings'
  | 'syncStatus'
  | 'setAutomaticSync'
  | 'confirmDeletions'
  | 'reset'
  | 'startRun'
  | 'previewRun'
  | 'listRuns'
  | 'getRun'
  | 'cleanupPreview'
  | 'cleanupApply'
  | 'cleanupUndo';

/** The pane's status line: automatic sync, pause and why, running/queued run, last run, pending question. */
export async function syncStatus(runtime: Runtime, user: UserRecord): Promise<SyncStatusResponse> {
  const { tenantId, id } = user;
  const [settings, state, conns, store] = await Promise.all([
    runtime.userSettings.resolved(tenantId, id),
    runtime.syncState.get(tenantId, id),
    runtime.connections.list(tenantId, id),
    Promise.resolve(runtime.runs.store(tenantId, id)),
  ]);
  const fresh = await runtime.users.get(tenantId, id);
  // The last run that finished: while one runs, the status still shows what the previous one did.
  const lastRun = (await store.listRuns(20)).find((r) => isSyncRun(r) && r.finishedAt !== null) ?? null;
  const pending = await store.getPendingConfirmation();
  let paused: SyncStatusResponse['paused'] = null;
  const reauth = conns.find((c) => c.status === 'needs-reauth');
  if (fresh?.paused?.reason === 'needs-reauth' || reauth) {
    paused = {
      reason: 'needs-reauth',
      message: fresh?.paused?.message ?? reauth?.lastError ?? 'Re-authorize to resume automatic sync.',
      side: reauth?.side ?? null,
    };
  } else if (fresh?.paused?.reason === 'needs-confirmation' || pending) {
    paused = { reason: 'needs-confirmation', message: pending?.reason ?? fresh?.paused?.message ?? '', side: null };
  } else if (settings.automaticSync && conns.length < 2) {
    const missing = conns.some((c) => c.side === 'crm') ? 'calendar' : 'crm';
    paused = {
      reason: 'not-connected',
      message: `Connect your ${missing === 'crm' ? 'CRM' : 'calendar'}.`,
      side: missing,
    };
  }
  const leaseLive = state.leaseUntil !== null && state.leaseUntil > runtime.clock().toISOString();
  return {
    automaticSync: settings.automaticSync,
    paused,
    running:
      leaseLive && state.runningRunId && state.runningSince
        ? { runId: state.runningRunId, startedAt: state.runningSince }
        : null,
    queued: state.queued,
    lastRun,
    nextRunAt: settings.automaticSync && !paused ? state.nextRunAt : null,
    pendingConfirmation: pending,
  };
}

export async function queueRun(runtime: Runtime, user: UserRecord, confirmDeletions: boolean) {
  const runId = crypto.randomUUID();
  await runtime.syncState.addQueued(user.tenantId, user.id, 1);
  await runtime.queue.enqueue({ tenantId: user.tenantId, userId: user.id, runId, trigger: 'manual', confirmDeletions });
  return { runId, status: 'queued' as const };
}

export const syncHandlers: HandlerGroup<SyncRoutes> = {
  async getSettings({ runtime, auth }) {
    return runtime.userSettings.effective(auth.user.tenantId, auth.user.id);
  },

  async updateSettings({ runtime, auth, body }) {
    const { tenantId, id } = auth.user;
    const result = await runtime.userSettings.update(tenantId, id, body.set, body.clear);
    if (body.set.automaticSync !== undefined || body.clear.includes('automaticSync')) {
      await runtime.syncState.setNextRun(
        tenantId,
        id,
        result.settings.automaticSync ? runtime.clock().toISOString() : null,
      );
    }
    return result;
  },

  async syncStatus({ runtime, auth }) {
    return syncStatus(runtime, auth.user);
  },

  async setAutomaticSync({ runtime, auth, body }) {
    const { tenantId, id } = auth.user;
    const current = await runtime.userSettings.effective(tenantId, id);
    if (current.details.find((d) => d.key === 'automaticSync')?.locked) {
      if (current.settings.automaticSync !== body.enabled) {
        throw badRequest('automatic sync is locked by your sync profile', 'enabled');
      }
    } else {
      await runtime.userSettings.update(tenantId, id, { automaticSync: body.enabled }, []);
    }
    await runtime.syncState.setNextRun(tenantId, id, body.enabled ? runtime.clock().toISOString() : null);
    return syncStatus(runtime, auth.user);
  },

  async confirmDeletions({ runtime, auth, body }) {
    const { tenantId, id } = auth.user;
    const store = runtime.runs.store(tenantId, id);
    const pending = await store.getPendingConfirmation();
    if (!pending || pending.runId !== body.runId) throw notFound('pending confirmation for this run');
    if (auth.user.paused?.reason === 'needs-confirmation') await runtime.users.setPaused(tenantId, id, null);
    if (!body.confirm) {
      await store.setPendingConfirmation(null);
      return { run: null, pendingConfirmation: null };
    }
    const run = await queueRun(runtime, auth.user, true);
    return { run, pendingConfirmation: pending };
  },

  async reset({ runtime, auth }) {
    const { tenantId, id } = auth.user;
    await runtime.runs.exclusive(tenantId, id, async () => {
      await runtime.engine.resetSync({ store: runtime.runs.store(tenantId, id), now: runtime.clock });
    });
    const meta = await runtime.runs.store(tenantId, id).getMeta();
    return { reset: true as const, repairing: meta.repairing };
  },

  async startRun({ runtime, auth, body }) {
    return queueRun(runtime, auth.user, body.confirmDeletions);
  },

  async previewRun({ runtime, auth, body }) {
    const { tenantId, id } = auth.user;
    const base = await runtime.runs.context(tenantId, id);
    const ctx = body?.settings
      ? { ...base, settings: await runtime.userSettings.proposed(tenantId, id, body.settings) }
      : base;
    const preview = await runtime.engine.previewSync(ctx);
    return {
      report: preview.report,
      actions: preview.actions.map((a) => ({
        side: a.side,
        op: a.action,
        itemId: a.side === 'crm' ? (a.crmId ?? a.eventId) : (a.eventId ?? a.crmId),
        subject: a.subject,
        reason: a.reason,
        sendsInvitations: a.sendsInvitation,
      })),
    };
  },

  async listRuns({ runtime, auth, query }) {
    return { runs: await runtime.runs.store(auth.user.tenantId, auth.user.id).listRuns(query.limit) };
  },

  async getRun({ runtime, auth, params }) {
    const store = runtime.runs.store(auth.user.tenantId, auth.user.id);
    const report = await store.getRun(params.runId);
    if (!report) throw notFound('run');
    const [trail, conflicts] = await Promise.all([
      store.listTrail({ runId: params.runId }, 500),
      store.listConflicts({ runId: params.runId }, 500),
    ]);
    return { report, trail, conflicts };
  },

  async cleanupPreview({ runtime, auth }) {
    const ctx = await runtime.runs.context(auth.user.tenantId, auth.user.id);
    const { groups } = await runtime.engine.previewCleanup(ctx);
    return { groups };
  },

  async cleanupApply({ runtime, auth }) {
    const { tenantId, id } = auth.user;
    const record = await runtime.runs.exclusive(tenantId, id, async () =>
      runtime.engine.applyCleanup(await runtime.runs.context(tenantId, id)),
    );
    return cleanupDto(record);
  },

  async cleanupUndo({ runtime, auth, params }) {
    const { tenantId, id } = auth.user;
    if (!(await runtime.runs.store(tenantId, id).getCleanup(params.cleanupId))) throw notFound('cleanup');
    const record = await runtime.runs.exclusive(tenantId, id, async () =>
      runtime.engine.undoCleanup(await runtime.runs.context(tenantId, id), params.cleanupId),
    );
    return cleanupDto(record);
  },
};
