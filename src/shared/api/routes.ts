import { z } from 'zod';
import { limitQuerySchema } from './common';
import { authConfigResponseSchema, meResponseSchema } from './me';
import {
  calendarChoiceRequestSchema,
  calendarsResponseSchema,
  connectionSchema,
  connectionSideParamsSchema,
  connectionsResponseSchema,
  connectRequestSchema,
  disconnectResponseSchema,
  oauthCallbackQuerySchema,
  oauthStartRequestSchema,
  oauthStartResponseSchema,
  providersResponseSchema,
} from './connections';
import { settingsResponseSchema, updateSettingsRequestSchema } from './settings';
import {
  automaticSyncRequestSchema,
  confirmDeletionsRequestSchema,
  confirmDeletionsResponseSchema,
  previewRequestSchema,
  previewResponseSchema,
  resetRequestSchema,
  resetResponseSchema,
  runDetailResponseSchema,
  runIdParamsSchema,
  runsListResponseSchema,
  startRunRequestSchema,
  startRunResponseSchema,
  syncStatusResponseSchema,
} from './sync';
import {
  cleanupApplyRequestSchema,
  cleanupIdParamsSchema,
  cleanupPreviewResponseSchema,
  cleanupRecordSchema,
} from './cleanup';
import {
  itemIdParamsSchema,
  itemLookupQuerySchema,
  itemLookupResponseSchema,
  syncFlagRequestSchema,
  syncFlagResponseSchema,
} from './items';
import {
  adminUsersResponseSchema,
  assignProfileRequestSchema,
  auditQuerySchema,
  auditResponseSchema,
  globalSettingsSchema,
  profileIdParamsSchema,
  profileInputSchema,
  profileSchema,
  profilesResponseSchema,
  userIdParamsSchema,
} from './admin';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * One endpoint of `/api/v1`: the server registers exactly these (validating params, query and body with the
 * schemas and serialising the response through `response`); the pane's typed client is derived from them.
 * `auth`: user → any signed-in user of a tenant; admin → the admin app role; none → public (the provider
 * authenticates itself, e.g. OAuth callback with state, webhook with its client state).
 */
export interface RouteDef<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  method: HttpMethod;
  /** Relative to /api/v1, Fastify-style params (`/runs/:runId`). */
  path: string;
  auth: 'user' | 'admin' | 'none';
  summary: string;
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  /** Status of a successful answer. */
  status: 200 | 201 | 202;
  /** Answer is not JSON (OAuth callback page, webhook echo). */
  raw?: true;
}

/** Keeps each definition's exact type, so clients see which of params/query/body a route has. */
function route<const D extends RouteDef>(def: D): D {
  return def;
}

export const apiBasePath = '/api/v1';

export const apiRoutes = {
  authConfig: route({
    method: 'GET',
    path: '/auth/config',
    auth: 'none',
    summary: 'How the pane signs in: development sign-in, or the Entra app registration and scope',
    response: authConfigResponseSchema,
    status: 200,
  }),
  me: route({
    method: 'GET',
    path: '/me',
    auth: 'user',
    summary: 'The signed-in user',
    response: meResponseSchema,
    status: 200,
  }),

  listProviders: route({
    method: 'GET',
    path: '/providers',
    auth: 'user',
    summary: 'CRM and calendar providers this server offers',
    response: providersResponseSchema,
    status: 200,
  }),
  listConnections: route({
    method: 'GET',
    path: '/connections',
    auth: 'user',
    summary: "The user's CRM and calendar connections",
    response: connectionsResponseSchema,
    status: 200,
  }),
  connect: route({
    method: 'POST',
    path: '/connections/:side',
    auth: 'user',
    summary: 'Connect with manual details; tests the credentials with a real call before saving',
    params: connectionSideParamsSchema,
    body: connectRequestSchema,
    response: connectionSchema,
    status: 201,
  }),
  oauthStart: route({
    method: 'POST',
    path: '/connections/:side/oauth/start',
    auth: 'user',
    summary: 'Start an OAuth authorization (code + PKCE + state)',
    params: connectionSideParamsSchema,
    body: oauthStartRequestSchema,
    response: oauthStartResponseSchema,
    status: 200,
  }),
  oauthCallback: route({
    method: 'GET',
    path: '/oauth/callback',
    auth: 'none',
    summary: 'OAuth redirect target; answers an HTML page for the Office dialog',
    query: oauthCallbackQuerySchema,
    response: z.string(),
    status: 200,
    raw: true,
  }),
  disconnect: route({
    method: 'DELETE',
    path: '/connections/:side',
    auth: 'user',
    summary: 'Revoke where possible, delete credentials, turn automatic sync off',
    params: connectionSideParamsSchema,
    response: disconnectResponseSchema,
    status: 200,
  }),
  listCalendars: route({
    method: 'GET',
    path: '/connections/calendar/calendars',
    auth: 'user',
    summary: "The connected calendar account's calendars and the current target/source choice",
    response: calendarsResponseSchema,
    status: 200,
  }),
  chooseCalendars: route({
    method: 'PUT',
    path: '/connections/calendar/calendars',
    auth: 'user',
    summary: 'Choose the target calendar and the source calendars',
    body: calendarChoiceRequestSchema,
    response: calendarsResponseSchema,
    status: 200,
  }),

  getSettings: route({
    method: 'GET',
    path: '/settings',
    auth: 'user',
    summary: 'Effective settings with source and lock',
    response: settingsResponseSchema,
    status: 200,
  }),
  updateSettings: route({
    method: 'PUT',
    path: '/settings',
    auth: 'user',
    summary: 'Set or clear user overrides (locked and admin-only settings are refused)',
    body: updateSettingsRequestSchema,
    response: settingsResponseSchema,
    status: 200,
  }),

  syncStatus: route({
    method: 'GET',
    path: '/sync/status',
    auth: 'user',
    summary: 'Automatic sync state, running/queued run, last run, pending confirmation',
    response: syncStatusResponseSchema,
    status: 200,
  }),
  setAutomaticSync: route({
    method: 'PUT',
    path: '/sync/automatic',
    auth: 'user',
    summary: 'Turn automatic sync on or off',
    body: automaticSyncRequestSchema,
    response: syncStatusResponseSchema,
    status: 200,
  }),
  confirmDeletions: route({
    method: 'POST',
    path: '/sync/confirm-deletions',
    auth: 'user',
    summary: 'Answer the mass-deletion question of a stopped run',
    body: confirmDeletionsRequestSchema,
    response: confirmDeletionsResponseSchema,
    status: 200,
  }),
  reset: route({
    method: 'POST',
    path: '/sync/reset',
    auth: 'user',
    summary: 'Reset calendar sync: forget links, cursors and conflicts; keep all events and CRM items',
    body: resetRequestSchema,
    response: resetResponseSchema,
    status: 200,
  }),

  startRun: route({
    method: 'POST',
    path: '/runs',
    auth: 'user',
    summary: 'Sync calendar now (queued behind a running run)',
    body: startRunRequestSchema,
    response: startRunResponseSchema,
    status: 202,
  }),
  previewRun: route({
    method: 'POST',
    path: '/runs/preview',
    auth: 'user',
    summary: 'Dry run: what a run would do on each side, now or with proposed settings',
    body: previewRequestSchema,
    response: previewResponseSchema,
    status: 200,
  }),
  listRuns: route({
    method: 'GET',
    path: '/runs',
    auth: 'user',
    summary: 'Recent run reports, newest first',
    query: limitQuerySchema,
    response: runsListResponseSchema,
    status: 200,
  }),
  getRun: route({
    method: 'GET',
    path: '/runs/:runId',
    auth: 'user',
    summary: 'One run report with its per-item trail and conflicts',
    params: runIdParamsSchema,
    response: runDetailResponseSchema,
    status: 200,
  }),

  cleanupPreview: route({
    method: 'POST',
    path: '/cleanup/preview',
    auth: 'user',
    summary: 'Duplicate groups and which copy each keeps',
    response: cleanupPreviewResponseSchema,
    status: 200,
  }),
  cleanupApply: route({
    method: 'POST',
    path: '/cleanup/apply',
    auth: 'user',
    summary: 'Remove the extra copies (undoable for 7 days)',
    body: cleanupApplyRequestSchema,
    response: cleanupRecordSchema,
    status: 200,
  }),
  cleanupUndo: route({
    method: 'POST',
    path: '/cleanup/:cleanupId/undo',
    auth: 'user',
    summary: 'Restore what a cleanup removed',
    params: cleanupIdParamsSchema,
    response: cleanupRecordSchema,
    status: 200,
  }),

  lookupItems: route({
    method: 'GET',
    path: '/items/lookup',
    auth: 'user',
    summary: 'CRM items for the open Outlook item (by event id, iCalUId or e-mail)',
    query: itemLookupQuerySchema,
    response: itemLookupResponseSchema,
    status: 200,
  }),
  setItemSyncFlag: route({
    method: 'PUT',
    path: '/items/:crmId/sync-flag',
    auth: 'user',
    summary: 'Flip the Sync-to-calendar flag of one CRM item',
    params: itemIdParamsSchema,
    body: syncFlagRequestSchema,
    response: syncFlagResponseSchema,
    status: 200,
  }),

  adminGetSettings: route({
    method: 'GET',
    path: '/admin/settings',
    auth: 'admin',
    summary: "The tenant's global settings",
    response: globalSettingsSchema,
    status: 200,
  }),
  adminPutSettings: route({
    method: 'PUT',
    path: '/admin/settings',
    auth: 'admin',
    summary: "Replace the tenant's global settings",
    body: globalSettingsSchema,
    response: globalSettingsSchema,
    status: 200,
  }),
  adminListProfiles: route({
    method: 'GET',
    path: '/admin/profiles',
    auth: 'admin',
    summary: 'Sync profiles',
    response: profilesResponseSchema,
    status: 200,
  }),
  adminCreateProfile: route({
    method: 'POST',
    path: '/admin/profiles',
    auth: 'admin',
    summary: 'Create a sync profile',
    body: profileInputSchema,
    response: profileSchema,
    status: 201,
  }),
  adminUpdateProfile: route({
    method: 'PUT',
    path: '/admin/profiles/:profileId',
    auth: 'admin',
    summary: 'Replace a sync profile',
    params: profileIdParamsSchema,
    body: profileInputSchema,
    response: profileSchema,
    status: 200,
  }),
  adminDeleteProfile: route({
    method: 'DELETE',
    path: '/admin/profiles/:profileId',
    auth: 'admin',
    summary: 'Delete a sync profile (its users fall back to the global settings)',
    params: profileIdParamsSchema,
    response: z.object({ deleted: z.literal(true) }),
    status: 200,
  }),
  adminAssignProfile: route({
    method: 'PUT',
    path: '/admin/users/:userId/profile',
    auth: 'admin',
    summary: 'Assign a profile to a user (null removes it)',
    params: userIdParamsSchema,
    body: assignProfileRequestSchema,
    response: z.object({ userId: z.string(), profileId: z.string().nullable() }),
    status: 200,
  }),
  adminListUsers: route({
    method: 'GET',
    path: '/admin/users',
    auth: 'admin',
    summary: 'Users with connection and sync health',
    response: adminUsersResponseSchema,
    status: 200,
  }),
  adminAudit: route({
    method: 'GET',
    path: '/admin/audit',
    auth: 'admin',
    summary: 'Audit log of admin changes, newest first',
    query: auditQuerySchema,
    response: auditResponseSchema,
    status: 200,
  }),

  webhook: route({
    method: 'POST',
    path: '/webhooks/:provider',
    auth: 'none',
    summary: 'Calendar change notifications (validated by the provider handler)',
    params: z.object({ provider: z.string().min(1).max(64) }),
    response: z.unknown(),
    status: 202,
    raw: true,
  }),
} as const;

export type ApiRoutes = typeof apiRoutes;
export type RouteName = keyof ApiRoutes;

type Infer<S> = S extends z.ZodType ? z.infer<S> : undefined;
type Input<S> = S extends z.ZodType ? z.input<S> : undefined;
export type RouteParams<N extends RouteName> = Input<ApiRoutes[N] extends { params: infer P } ? P : undefined>;
export type RouteQuery<N extends RouteName> = Input<ApiRoutes[N] extends { query: infer Q } ? Q : undefined>;
export type RouteBody<N extends RouteName> = Input<ApiRoutes[N] extends { body: infer B } ? B : undefined>;
export type RouteResponse<N extends RouteName> = Infer<ApiRoutes[N]['response']>;

/** `/runs/:runId` + {runId: 'r1'} → `/api/v1/runs/r1` (params are URI-encoded). */
export function routeUrl(path: string, params: Record<string, string> = {}): string {
  return (
    apiBasePath +
    path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
      const v = params[name];
      if (v === undefined) throw new Error(`missing path parameter ${name}`);
      return encodeURIComponent(v);
    })
  );
}
