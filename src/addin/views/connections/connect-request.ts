/** Pure helpers of the connect form: building the request and reading the OAuth dialog's answer. */
import type { AuthMethod, ConnectRequest, ProviderEntry } from '../../../shared/api';
import { messages } from '../../messages';

export type ConnectBody = ConnectRequest & { fields: Record<string, string> };

/**
 * The body of a connect (or OAuth start) request, or the sentence naming what is missing. Secrets are sent as
 * typed (no trimming: a password may end in a space); other values are trimmed.
 */
export function connectRequestFrom(
  provider: ProviderEntry,
  method: AuthMethod,
  customUrl: string | null,
  values: Record<string, string>,
): { body: ConnectBody } | { missing: string; field: string } {
  const body: ConnectBody = { provider: provider.id, method: method.id, fields: {} };
  const url = customUrl?.trim() ?? '';
  if (provider.customUrl === 'required' && !url) return { missing: messages.connections.urlRequired, field: 'url' };
  if (url) body.url = url;
  for (const f of method.fields) {
    const raw = values[f.key] ?? '';
    const v = f.kind === 'password' ? raw : raw.trim();
    if (!v) {
      if (f.required) return { missing: messages.connections.fieldRequired(f.label), field: `fields.${f.key}` };
      continue;
    }
    body.fields[f.key] = v;
  }
  return { body };
}

export interface DialogAnswer {
  ok: boolean;
  reason?: string;
  message: string;
}

/** The OAuth callback page answers `{ ok, message }` (JSON); anything else counts as a failure. */
export function readDialogAnswer(raw: string): DialogAnswer {
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    const ok = v.ok === true;
    const reason = typeof v.reason === 'string' ? v.reason : undefined;
    const message = typeof v.message === 'string' ? v.message : ok ? '' : messages.unknownError;
    return { ok, reason, message };
  } catch {
    return { ok: false, message: raw || messages.unknownError };
  }
}
