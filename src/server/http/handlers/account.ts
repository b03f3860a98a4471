import { calendarChoice, chooseCalendars } from '../../connections/calendar-choice';
import { disconnectSide } from '../../connections/disconnect';
import type { HandlerGroup } from '../handler-types';
import { connectionDto } from './dto';

type AccountRoutes =
  | 'authConfig'
  | 'me'
  | 'listProviders'
  | 'listConnections'
  | 'connect'
  | 'oauthStart'
  | 'oauthCallback'
  | 'disconnect'
  | 'listCalendars'
  | 'chooseCalendars';

export const accountHandlers: HandlerGroup<AccountRoutes> = {
  async authConfig({ runtime }) {
    const c = runtime.config;
    if (c.AUTH_MODE === 'dev') return { mode: 'dev' as const };
    if (!c.ENTRA_CLIENT_ID) throw new Error('ENTRA_CLIENT_ID is required when AUTH_MODE=entra');
    // The pane asks for the connector API's delegated scope; the same value the token verifier requires.
    const audience = c.ENTRA_AUDIENCE?.split(',')[0]?.trim() || `api://${c.ENTRA_CLIENT_ID}`;
    return {
      mode: 'entra' as const,
      clientId: c.ENTRA_CLIENT_ID,
      authority: `${c.ENTRA_AUTHORITY_HOST.replace(/\/+$/, '')}/${c.ENTRA_TENANT_ID ?? 'organizations'}`,
      scopes: [`${audience}/${c.ENTRA_SCOPE}`],
    };
  },

  async me({ auth }) {
    return {
      tenantId: auth.user.tenantId,
      userId: auth.user.id,
      email: auth.user.email,
      displayName: auth.principal.displayName,
      isAdmin: auth.principal.isAdmin,
    };
  },

  async listProviders({ runtime }) {
    return runtime.connectionService.descriptors();
  },

  async listConnections({ runtime, auth }) {
    const list = await runtime.connections.list(auth.user.tenantId, auth.user.id);
    const find = (side: 'crm' | 'calendar') => {
      const c = list.find((x) => x.side === side);
      return c ? connectionDto(c) : null;
    };
    return { crm: find('crm'), calendar: find('calendar') };
  },

  async connect({ runtime, auth, params, body }) {
    const { tenantId, id } = auth.user;
    const connector = runtime.connectionService.connector(params.side, body.provider);
    const method = connector.descriptor.authMethods.find((m) => m.id === body.method);
    // `entra` (the user's own Microsoft 365 sign-in): trade the pane's token for unattended Graph access first.
    if (method?.kind === 'entra' && runtime.graphTokens?.mode === 'delegated') {
      await runtime.graphTokens.exchangeOnBehalfOf(auth.user, auth.token);
    }
    const record = await runtime.connectionService.connect(tenantId, id, params.side, body, auth.user.email);
    // A fresh authorization ends a needs-reauth pause (SPEC §7).
    if (auth.user.paused?.reason === 'needs-reauth') await runtime.users.setPaused(tenantId, id, null);
    return connectionDto(record);
  },

  async oauthStart({ runtime, auth, params, body }) {
    return runtime.connectionService.oauthStart(auth.user.tenantId, auth.user.id, params.side, body);
  },

  async oauthCallback({ runtime, query, reply }) {
    let outcome: { ok: boolean; message: string };
    try {
      const record = await runtime.connectionService.oauthCallback(query);
      const user = await runtime.users.get(record.tenantId, record.userId);
      if (user?.paused?.reason === 'needs-reauth') await runtime.users.setPaused(record.tenantId, record.userId, null);
      outcome = { ok: true, message: `Connected${record.account ? ` as ${record.account}` : ''}.` };
    } catch (e) {
      outcome = { ok: false, message: e instanceof Error ? e.message : 'The connection failed.' };
    }
    return reply
      .code(outcome.ok ? 200 : 400)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; script-src 'self' https://appsforoffice.microsoft.com")
      .send(callbackPage(outcome));
  },

  async disconnect({ runtime, auth, params }) {
    const { tenantId, id } = auth.user;
    const { revoked } = await disconnectSide(runtime, tenantId, id, params.side);
    return { disconnected: true as const, revoked, automaticSync: false as const };
  },

  async listCalendars({ runtime, auth }) {
    return calendarChoice(runtime, auth.user.tenantId, auth.user.id);
  },

  async chooseCalendars({ runtime, auth, body }) {
    const choice = await chooseCalendars(runtime, auth.user.tenantId, auth.user.id, body);
    return { ...choice, targetCalendarId: body.targetCalendarId };
  },
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The page the OAuth provider redirects to. It tells the Office dialog's parent (the pane) the outcome via
 * /oauth-callback.js (a static script, so the CSP needs no inline script); in a plain browser it just says so.
 */
function callbackPage(outcome: { ok: boolean; message: string }): string {
  const data = escapeHtml(JSON.stringify({ type: 'crm-sync-oauth', ok: outcome.ok, message: outcome.message }));
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${outcome.ok ? 'Connected' : 'Connection failed'}</title>
<script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js"></script>
<script src="/api/v1/oauth/callback.js"></script></head>
<body><p id="outcome" data-outcome="${data}">${escapeHtml(outcome.message)}</p><p>You can close this window.</p></body></html>`;
}
