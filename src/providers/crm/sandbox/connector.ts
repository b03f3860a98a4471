/**
 * The Sandbox CRM connector: built in, no credentials, stored in the connector's own database. The server
 * creates it with a factory that opens a SandboxRepository for a (tenant, user); everything else about it is
 * the same as a remote CRM.
 */
import type { ProviderDescriptor } from '../../../shared/providers';
import type { CrmConnector } from '../../connector';
import { ConnectError } from '../../http/connect-error';
import { sandboxCapabilities, SandboxCrmProvider } from './provider';
import type { SandboxRepositoryFactory } from './repository';

export const sandboxDescriptor: ProviderDescriptor = {
  id: 'sandbox',
  side: 'crm',
  label: 'Sandbox CRM (built in)',
  authMethods: [{ id: 'none', kind: 'none', label: 'No sign-in needed', fields: [] }],
  customUrl: 'none',
  capabilities: {
    activityTypes: [...sandboxCapabilities.types],
    recurrence: sandboxCapabilities.recurrence,
    invitees: sandboxCapabilities.invitees,
    webhooks: false,
    calendars: false,
  },
};

/** The secret-free marker a Sandbox connection stores: which tenant and CRM user it belongs to. */
export interface SandboxConnectionSecrets {
  tenantId: string;
  userEmail: string;
}

/**
 * `repoFor` opens the repository of one tenant and user. `connect` needs to know who is connecting: the server
 * passes the user as the `tenantId` and `userEmail` fields of the connect input (they are not shown in the pane;
 * the descriptor has no fields).
 */
export function createSandboxConnector(repoFor: SandboxRepositoryFactory): CrmConnector {
  return {
    descriptor: sandboxDescriptor,
    async connect(input) {
      if (input.method !== 'none')
        throw new ConnectError('invalid-input', `unknown auth method ${input.method}`, 'method');
      if (input.url) throw new ConnectError('invalid-input', 'the Sandbox CRM takes no URL', 'url');
      const tenantId = input.fields['tenantId']?.trim();
      const userEmail = input.fields['userEmail']?.trim().toLowerCase();
      if (!tenantId) throw new ConnectError('invalid-input', 'tenantId is required', 'fields.tenantId');
      if (!userEmail || !/^[^@\s]+@[^@\s]+$/.test(userEmail)) {
        throw new ConnectError('invalid-input', 'userEmail must be an e-mail address', 'fields.userEmail');
      }
      const provider = new SandboxCrmProvider(repoFor({ tenantId, userEmail }), '');
      const { account } = await provider.testConnection();
      return { secrets: { tenantId, userEmail }, account, url: null, expiresAt: null };
    },
    open(connection, env) {
      const tenantId = connection.secrets['tenantId'];
      const userEmail = connection.secrets['userEmail'];
      if (!tenantId || !userEmail) throw new Error('Sandbox connection lacks tenantId/userEmail');
      return new SandboxCrmProvider(repoFor({ tenantId, userEmail: userEmail.toLowerCase() }), env.publicUrl);
    },
  };
}
