import type { HandlerGroup } from '../handler-types';
import { cleanupDto } from './dto';

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

/** The pane's sync routes: each one call to its use case in `runtime.sync` (src/server/services) and a DTO. */
export const syncHandlers: HandlerGroup<SyncRoutes> = {
  async getSettings({ runtime, auth }) {
    return runtime.sync.settings.effective(auth.user);
  },

  async updateSettings({ runtime, auth, body }) {
    return runtime.sync.settings.update(auth.user, body.set, body.clear);
  },

  async syncStatus({ runtime, auth }) {
    return runtime.sync.status.status(auth.user);
  },

  async setAutomaticSync({ runtime, auth, body }) {
    await runtime.sync.settings.setAutomaticSync(auth.user, body.enabled);
    return runtime.sync.status.status(auth.user);
  },

  async confirmDeletions({ runtime, auth, body }) {
    return runtime.sync.run.answerDeletions(auth.user, body.runId, body.confirm);
  },

  async reset({ runtime, auth }) {
    return runtime.sync.reset.reset(auth.user);
  },

  async startRun({ runtime, auth, body }) {
    return runtime.sync.run.queue(auth.user, body.confirmDeletions);
  },

  async previewRun({ runtime, auth, body }) {
    const preview = await runtime.sync.preview.preview(auth.user, body?.settings);
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
    return { runs: await runtime.sync.history.list(auth.user, query.limit) };
  },

  async getRun({ runtime, auth, params }) {
    return runtime.sync.history.get(auth.user, params.runId);
  },

  async cleanupPreview({ runtime, auth }) {
    return runtime.sync.cleanup.preview(auth.user);
  },

  async cleanupApply({ runtime, auth }) {
    return cleanupDto(await runtime.sync.cleanup.apply(auth.user));
  },

  async cleanupUndo({ runtime, auth, params }) {
    return cleanupDto(await runtime.sync.cleanup.undo(auth.user, params.cleanupId));
  },
};
