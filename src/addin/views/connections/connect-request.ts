/** Pure helpers of the connect form: building the request and reading the OAuth dialog's answer. */
import type { ConnectRequest, ProviderDescriptor } from '../../../shared/api';
import { messages } from '../../messages';

/** Keys the connect request carries at top level; every other provider field goes into `fields`. */
const topLevel = new Set(['url', 'username', 'password']);

export function connectRequestFrom(
  provider: ProviderDescriptor,
  method: 'oauth' | 'form' | 'none',
  customUrl: string,
  values: Record<string, string>,
): { body: ConnectRequest & { fields: Record<string, string> } } | { missing: string } {
  const body: ConnectRequest & { fields: Record<string, string> } = { provider: provider.id, fields: {} };
  const url = customUrl.trim();
  if (provider.customUrl === 'required' && !url && !values.url?.trim())
    return { missing: messages.connections.urlRequired };
  if (url) body.url = url;
  if (method === 'form') {
    for (const f of provider.fields) {
      const v = (values[f.key] ?? '').trim();
      if (f.key === 'url' && body.url) continue;
      if (!v) {
        if (f.required) return { missing: messages.connections.fieldRequired(f.label) };
        continue;
      }
      if (f.key === 'url') body.url = v;
      else if (f.key === 'username') body.username = v;
      else if (f.key === 'password') body.password = f.secret ? (values[f.key] ?? '') : v;
      else if (!topLevel.has(f.key)) body.fields[f.key] = f.secret ? (values[f.key] ?? '') : v;
    }
  }
  return { body };
}

export interface DialogAnswer {
  ok: boolean;
  reason?: string;
  message: string;
}

/**
 * The OAuth callback page answers with JSON ({ ok, reason?, message? } or { status: 'connected' | 'error' … }).
 * Anything else is treated as a failure with the text as its message.
 */
export function readDialogAnswer(raw: string): DialogAnswer {
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    const ok = v.ok === true || v.status === 'connected' || v.status === 'success';
    const reason = typeof v.reason === 'string' ? v.reason : undefined;
    const message =
      typeof v.message === 'string'
        ? v.message
        : typeof v.error === 'string'
          ? v.error
          : ok
            ? ''
            : messages.unknownError;
    return { ok, reason, message };
  } catch {
    return { ok: false, message: raw || messages.unknownError };
  }
}
