import type { AdminUser } from '../../../shared/api/admin';
import { conflict, notFound } from '../../errors';
import type { Runtime } from '../../runtime';
import type { ProfileRecord } from '../../store/settings';
import type { UserRecord } from '../../store/users';
import type { HandlerGroup } from '../handler-types';

type AdminRoutes =
  | 'adminGetSettings'
  | 'adminPutSettings'
  | 'adminListProfiles'
  | 'adminCreateProfile'
  | 'adminUpdateProfile'
  | 'adminDeleteProfile'
  | 'adminAssignProfile'
  | 'adminListUsers'
  | 'adminAudit';

const weekMs = 7 * 24 * 3600 * 1000;

async function profileDto(runtime: Runtime, p: ProfileRecord) {
  const users = await runtime.users.list(p.tenantId);
  return {
    id: p.id,
    name: p.name,
    values: p.values,
    locked: p.locked,
    userCount: users.filter((u) => u.profileId === p.id).length,
    updatedAt: p.updatedAt,
  };
}

/** One user's connection and sync health for the admin view (SPEC §8). */
export async function userHealth(runtime: Runtime, user: UserRecord, profiles: ProfileRecord[]): Promise<AdminUser> {
  const [conns, settings, runs] = await Promise.all([
    runtime.connections.list(user.tenantId, user.id),
    runtime.userSettings.resolved(user.tenantId, user.id),
    runtime.sync.history.syncRuns(user, 20),
  ]);
  // Health follows the last sync run; a cleanup or reset entry says nothing about it.
  const last = runs[0] ?? null;
  const soon = new Date(runtime.clock().getTime() + weekMs).toISOString();
  let health: AdminUser['health'] = last ? 'ok' : 'idle';
  if (last?.status === 'partial' || last?.status === 'needs-confirmation') health = 'warning';
  if (conns.some((c) => c.tokenExpiresAt !== null && c.tokenExpiresAt < soon)) health = 'warning';
  if (last?.status === 'failed' || last?.status === 'needs-reauth' || conns.some((c) => c.status !== 'connected')) {
    health = 'error';
  }
  const profile = profiles.find((p) => p.id === user.profileId);
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    isAdmin: user.isAdmin,
    profile: profile ? { id: profile.id, name: profile.name } : null,
    automaticSync: settings.automaticSync,
    connections: conns.map((c) => ({
      side: c.side,
      provider: c.provider,
      status: c.status,
      tokenExpiresAt: c.tokenExpiresAt,
      lastError: c.lastError,
    })),
    lastRun: last
      ? { runId: last.runId, status: last.status, startedAt: last.startedAt, finishedAt: last.finishedAt }
      : null,
    lastErrors: (last?.errors ?? []).slice(0, 5).map((e) => e.message),
    health,
  };
}

async function uniqueName<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    // Not instanceof: driver errors may come from another realm. SQLite and PostgreSQL name it in code or text.
    const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
    if (code === '23505' || /SQLITE_CONSTRAINT|unique|duplicate/i.test(`${String(code)} ${String(message)}`)) {
      throw conflict('a profile with that name exists');
    }
    throw e;
  }
}

export const adminHandlers: HandlerGroup<AdminRoutes> = {
  async adminGetSettings({ runtime, auth }) {
    return { values: await runtime.settings.getGlobal(auth.user.tenantId) };
  },

  async adminPutSettings({ runtime, auth, body }) {
    const tenantId = auth.user.tenantId;
    const before = await runtime.settings.getGlobal(tenantId);
    await runtime.settings.setGlobal(tenantId, body.values);
    await runtime.audit.record(tenantId, {
      actor: auth.user.email,
      action: 'global-settings.update',
      target: null,
      details: { before, after: body.values },
    });
    return { values: await runtime.settings.getGlobal(tenantId) };
  },

  async adminListProfiles({ runtime, auth }) {
    const profiles = await runtime.settings.listProfiles(auth.user.tenantId);
    return { profiles: await Promise.all(profiles.map((p) => profileDto(runtime, p))) };
  },

  async adminCreateProfile({ runtime, auth, body }) {
    const tenantId = auth.user.tenantId;
    const p = await uniqueName(() => runtime.settings.createProfile(tenantId, body));
    await runtime.audit.record(tenantId, {
      actor: auth.user.email,
      action: 'profile.create',
      target: p.name,
      details: body,
    });
    return profileDto(runtime, p);
  },

  async adminUpdateProfile({ runtime, auth, params, body }) {
    const tenantId = auth.user.tenantId;
    const before = await runtime.settings.getProfile(tenantId, params.profileId);
    if (!before) throw notFound('profile');
    const p = await uniqueName(() => runtime.settings.updateProfile(tenantId, params.profileId, body));
    if (!p) throw notFound('profile');
    await runtime.audit.record(tenantId, {
      actor: auth.user.email,
      action: 'profile.update',
      target: p.name,
      details: { before: { name: before.name, values: before.values, locked: before.locked }, after: body },
    });
    return profileDto(runtime, p);
  },

  async adminDeleteProfile({ runtime, auth, params }) {
    const tenantId = auth.user.tenantId;
    const p = await runtime.settings.getProfile(tenantId, params.profileId);
    if (!p || !(await runtime.settings.deleteProfile(tenantId, params.profileId))) throw notFound('profile');
    await runtime.audit.record(tenantId, {
      actor: auth.user.email,
      action: 'profile.delete',
      target: p.name,
      details: {},
    });
    return { deleted: true as const };
  },

  async adminAssignProfile({ runtime, auth, params, body }) {
    const tenantId = auth.user.tenantId;
    const user = await runtime.users.get(tenantId, params.userId);
    if (!user) throw notFound('user');
    const profile = body.profileId ? await runtime.settings.getProfile(tenantId, body.profileId) : null;
    if (body.profileId && !profile) throw notFound('profile');
    await runtime.users.setProfile(tenantId, user.id, body.profileId);
    await runtime.audit.record(tenantId, {
      actor: auth.user.email,
      action: 'profile.assign',
      target: user.email,
      details: { profile: profile?.name ?? null },
    });
    return { userId: user.id, profileId: body.profileId };
  },

  async adminListUsers({ runtime, auth }) {
    const tenantId = auth.user.tenantId;
    const [users, profiles] = await Promise.all([
      runtime.users.list(tenantId),
      runtime.settings.listProfiles(tenantId),
    ]);
    return { users: await Promise.all(users.map((u) => userHealth(runtime, u, profiles))) };
  },

  async adminAudit({ runtime, auth, query }) {
    return { entries: await runtime.audit.list(auth.user.tenantId, query.limit, query.before) };
  },
};
