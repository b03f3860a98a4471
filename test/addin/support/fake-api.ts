/**
 * A stateful stand-in for the connector's /api/v1 on the pane's side of the wire: the real typed client talks to
 * it through a fetch function, so request shapes and response parsing are exercised by every component test.
 * Each answer is validated against the shared route table's response schema before it is returned.
 */
import {
  apiRoutes,
  type AdminUser,
  type CalendarsResponse,
  type CleanupGroup,
  type Connection,
  type ItemView,
  type Profile,
  type ProvidersResponse,
  type RouteName,
  type SyncStatusResponse,
  type TrailEntryDto,
} from '../../../src/shared/api';
import type { RunReport } from '../../../src/shared/run-report';
import { defaultSettings, resolveSettings, type PartialSettings, type SettingKey } from '../../../src/shared/settings';

export interface Call {
  route: RouteName;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

export const emptyCounts = { created: 0, updated: 0, deleted: 0, archived: 0 };

export function report(over: Partial<RunReport> = {}): RunReport {
  return {
    runId: 'run-1',
    status: 'succeeded',
    trigger: 'manual',
    startedAt: '2026-11-20T10:00:00.000Z',
    finishedAt: '2026-11-20T10:00:05.000Z',
    crm: { ...emptyCounts },
    calendar: { ...emptyCounts, created: 2 },
    conflicts: 0,
    skipped: 0,
    invitationsSent: 0,
    errors: [],
    pendingDeletions: null,
    ...over,
  };
}

export class FakeApi {
  /** Invitations the preview (dry run) says a run would send. */
  previewInvitations = 0;
  calls: Call[] = [];
  isAdmin = false;
  providers: ProvidersResponse = {
    crm: [
      {
        id: 'sandbox',
        side: 'crm',
        label: 'Sandbox CRM',
        authMethods: [{ id: 'none', kind: 'none', label: 'No sign-in needed', fields: [] }],
        customUrl: 'none',
        capabilities: { activityTypes: [], recurrence: true, invitees: true, webhooks: false, calendars: true },
        available: true,
        unavailableReason: null,
      },
      {
        id: 'suitecrm',
        side: 'crm',
        label: 'SuiteCRM 7 / 8',
        authMethods: [
          {
            id: 'password',
            kind: 'fields',
            label: 'User name and password',
            fields: [
              { key: 'clientId', label: 'Client ID', kind: 'text', required: true },
              { key: 'clientSecret', label: 'Client secret', kind: 'password', required: true },
            ],
          },
          {
            id: 'client-credentials',
            kind: 'fields',
            label: 'API client',
            fields: [{ key: 'clientId', label: 'API client ID', kind: 'text', required: true }],
          },
        ],
        customUrl: 'required',
        urlLabel: 'SuiteCRM address',
        capabilities: { activityTypes: [], recurrence: true, invitees: true, webhooks: false, calendars: true },
        available: true,
        unavailableReason: null,
      },
    ],
    calendar: [
      {
        id: 'caldav',
        side: 'calendar',
        label: 'CalDAV',
        authMethods: [
          {
            id: 'app-password',
            kind: 'fields',
            label: 'User name and app password',
            fields: [
              { key: 'username', label: 'User name', kind: 'text', required: true },
              { key: 'password', label: 'App password', kind: 'password', required: true },
            ],
          },
        ],
        customUrl: 'required',
        urlLabel: 'CalDAV server URL',
        capabilities: { activityTypes: [], recurrence: true, invitees: true, webhooks: false, calendars: true },
        available: true,
        unavailableReason: null,
      },
      {
        id: 'google',
        side: 'calendar',
        label: 'Google Calendar',
        authMethods: [{ id: 'oauth', kind: 'oauth', label: 'Sign in with Google', fields: [] }],
        customUrl: 'none',
        capabilities: { activityTypes: [], recurrence: true, invitees: true, webhooks: false, calendars: true },
        available: true,
        unavailableReason: null,
      },
    ],
  };
  connections: { crm: Connection | null; calendar: Connection | null } = { crm: null, calendar: null };
  calendars: CalendarsResponse = {
    calendars: [
      { id: 'cal-1', name: 'Calendar', isDefault: true, canWrite: true },
      { id: 'cal-2', name: 'CRM', isDefault: false, canWrite: true },
    ],
    targetCalendarId: null,
    sourceCalendarIds: [],
  };
  status: SyncStatusResponse = {
    automaticSync: false,
    paused: null,
    running: null,
    queued: 0,
    lastRun: null,
    nextRunAt: null,
    pendingConfirmation: null,
  };
  global: PartialSettings = {};
  profile: { id: string; name: string; values: PartialSettings; locked: SettingKey[] } | null = null;
  user: PartialSettings = {};
  runs: RunReport[] = [];
  /** Trail entries per run id, for a run's details. */
  trails: Record<string, TrailEntryDto[]> = {};
  items: ItemView[] = [];
  /** How lookupItems says it matched (absent: exact), e.g. a probable match through a CalDAV connection. */
  itemMatch: { match?: 'exact' | 'probable' | 'unresolved'; calendarName?: string } = {};
  cleanupGroups: CleanupGroup[] = [];
  profiles: Profile[] = [];
  users: AdminUser[] = [];
  /** Overrides: a route answers this status and body instead. */
  failures: Partial<Record<RouteName, { status: number; body: unknown }>> = {};

  private settingsResponse() {
    const { settings, details } = resolveSettings({
      global: this.global,
      profile: this.profile,
      user: this.user,
    });
    return {
      settings: { ...settings, automaticSync: this.status.automaticSync },
      details: details.map((d) => ({ ...d, adminOnly: d.key === 'syncIntervalMinutes' })),
      profile: this.profile ? { id: this.profile.id, name: this.profile.name } : null,
    };
  }

  handle(route: RouteName, params: Record<string, string>, body: unknown): unknown {
    const b = body as Record<string, unknown>;
    switch (route) {
      case 'me':
        return { tenantId: 't1', userId: 'u1', email: 'ann@example.com', displayName: 'Ann', isAdmin: this.isAdmin };
      case 'listProviders':
        return this.providers;
      case 'listConnections':
        return this.connections;
      case 'connect': {
        const side = params.side as 'crm' | 'calendar';
        const c: Connection = {
          side,
          provider: String(b.provider),
          status: 'connected',
          account: 'ann@example.com',
          url: (b.url as string) ?? null,
          connectedAt: '2026-11-20T09:00:00.000Z',
          tokenExpiresAt: null,
          lastError: null,
        };
        this.connections[side] = c;
        return c;
      }
      case 'oauthStart':
        return { authorizeUrl: 'https://accounts.example/authorize?state=s1', state: 's1' };
      case 'disconnect':
        this.connections[params.side as 'crm' | 'calendar'] = null;
        this.status.automaticSync = false;
        return { disconnected: true, revoked: false, automaticSync: false };
      case 'listCalendars':
        return this.calendars;
      case 'chooseCalendars':
        this.calendars = {
          ...this.calendars,
          targetCalendarId: String(b.targetCalendarId),
          sourceCalendarIds: b.sourceCalendarIds as string[],
        };
        return this.calendars;
      case 'getSettings':
        return this.settingsResponse();
      case 'updateSettings': {
        const set = (b.set ?? {}) as PartialSettings;
        this.user = { ...this.user, ...set };
        for (const k of (b.clear ?? []) as SettingKey[]) delete this.user[k];
        return this.settingsResponse();
      }
      case 'syncStatus':
        return this.status;
      case 'setAutomaticSync':
        this.status = { ...this.status, automaticSync: Boolean(b.enabled) };
        return this.status;
      case 'startRun':
        this.status = { ...this.status, running: { runId: 'run-2', startedAt: '2026-11-20T10:00:00.000Z' } };
        return { runId: 'run-2', status: 'running' };
      case 'previewRun':
        return {
          report: report({
            status: 'preview',
            calendar: { ...emptyCounts, created: 3 },
            invitationsSent: this.previewInvitations,
          }),
          actions: [
            {
              side: 'calendar',
              op: 'create',
              itemId: 'c1',
              subject: 'Kick-off',
              reason: 'new CRM meeting',
              sendsInvitations: false,
            },
          ],
        };
      case 'listRuns':
        return { runs: this.runs };
      case 'getRun':
        return {
          report: this.runs.find((r) => r.runId === params.runId) ?? report(),
          trail: this.trails[params.runId ?? ''] ?? [],
          conflicts: [],
        };
      case 'confirmDeletions':
        this.status = { ...this.status, pendingConfirmation: null };
        return { run: b.confirm ? { runId: 'run-3', status: 'queued' } : null, pendingConfirmation: null };
      case 'reset':
        return { reset: true, repairing: true };
      case 'cleanupPreview':
        return { groups: this.cleanupGroups };
      case 'cleanupApply':
        return {
          id: 'cl-1',
          createdAt: '2026-11-20T10:00:00.000Z',
          appliedAt: '2026-11-20T10:00:01.000Z',
          undoneAt: null,
          undoUntil: '2026-11-27T10:00:00.000Z',
          removals: this.cleanupGroups.flatMap((g) => g.remove.map((r) => ({ side: r.side, id: r.id }))),
          merges: 0,
        };
      case 'cleanupUndo':
        return {
          id: 'cl-1',
          createdAt: '2026-11-20T10:00:00.000Z',
          appliedAt: '2026-11-20T10:00:01.000Z',
          undoneAt: '2026-11-20T10:05:00.000Z',
          undoUntil: '2026-11-27T10:00:00.000Z',
          removals: [],
          merges: 0,
        };
      case 'lookupItems':
        return { items: this.items, ...this.itemMatch };
      case 'setItemSyncFlag': {
        const item = this.items.find((i) => i.crmId === params.crmId)!;
        item.syncToCalendar = Boolean(b.enabled);
        return { item };
      }
      case 'adminGetSettings':
        return { values: this.global };
      case 'adminPutSettings':
        this.global = b.values as PartialSettings;
        return { values: this.global };
      case 'adminListProfiles':
        return { profiles: this.profiles };
      case 'adminCreateProfile': {
        const p: Profile = {
          id: `p${this.profiles.length + 1}`,
          name: String(b.name),
          values: b.values as PartialSettings,
          locked: b.locked as SettingKey[],
          userCount: 0,
          updatedAt: '2026-11-20T10:00:00.000Z',
        };
        this.profiles.push(p);
        return p;
      }
      case 'adminAssignProfile': {
        const user = this.users.find((u) => u.id === params.userId)!;
        const p = this.profiles.find((x) => x.id === b.profileId) ?? null;
        user.profile = p ? { id: p.id, name: p.name } : null;
        return { userId: user.id, profileId: p?.id ?? null };
      }
      case 'adminListUsers':
        return { users: this.users };
      case 'adminAudit':
        return { entries: [] };
      default:
        throw new Error(`fake api: ${route} not handled`);
    }
  }

  /** A fetch function for createApiClient. */
  fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input), 'http://pane.test');
    const method = (init?.method ?? 'GET').toUpperCase();
    for (const [name, def] of Object.entries(apiRoutes) as [RouteName, (typeof apiRoutes)[RouteName]][]) {
      if (def.method !== method) continue;
      const names: string[] = [];
      const pattern = new RegExp(
        `^/api/v1${def.path.replace(/:([A-Za-z]+)/g, (_m, n: string) => {
          names.push(n);
          return '([^/]+)';
        })}$`,
      );
      const match = pattern.exec(url.pathname);
      if (!match) continue;
      const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]));
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      this.calls.push({ route: name, params, query: Object.fromEntries(url.searchParams), body });
      const failure = this.failures[name];
      if (failure) return fakeResponse(failure.status, failure.body);
      const answer = this.handle(name, params, body);
      def.response.parse(answer);
      return fakeResponse(def.status, answer);
    }
    return fakeResponse(404, { error: 'not-found', message: `no route ${method} ${url.pathname}`, field: null });
  };

  callsTo(route: RouteName): Call[] {
    return this.calls.filter((c) => c.route === route);
  }
}

export function fakeResponse(status: number, body: unknown): Response {
  const text = JSON.stringify(body);
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: String(status),
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
  } as Response;
}

export { defaultSettings };
