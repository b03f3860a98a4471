import { ProviderError } from '../../sync/errors';
import { UnsafeUrlError } from './url-policy';

/** Why connecting failed, in words a salesperson can act on (SPEC §3). */
export type ConnectFailureReason =
  | 'invalid-input'
  | 'bad-url'
  | 'blocked-url'
  | 'unreachable'
  | 'tls'
  | 'unauthorized'
  | 'missing-permission'
  | 'provider-error';

export class ConnectError extends Error {
  readonly reason: ConnectFailureReason;
  /** The input field the problem is about, when there is one (e.g. "url", "fields.password"). */
  readonly field: string | undefined;
  constructor(reason: ConnectFailureReason, message: string, field?: string) {
    super(message);
    this.name = 'ConnectError';
    this.reason = reason;
    this.field = field;
  }
}

const tlsCodes = /^(CERT_|ERR_TLS_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_SSL_)/;

function errorCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Turns whatever a connection test threw into a ConnectError with a clear reason. */
export function toConnectError(e: unknown, urlField = 'url'): ConnectError {
  if (e instanceof ConnectError) return e;
  if (e instanceof UnsafeUrlError) {
    return e.reason === 'malformed' || e.reason === 'scheme' || e.reason === 'credentials'
      ? new ConnectError('bad-url', e.message, urlField)
      : e.reason === 'unresolvable'
        ? new ConnectError('unreachable', e.message, urlField)
        : new ConnectError('blocked-url', e.message, urlField);
  }
  if (e instanceof ProviderError) {
    if (e.kind === 'auth') return new ConnectError('unauthorized', 'The provider rejected these credentials.');
    if (e.kind === 'forbidden')
      return new ConnectError(
        'missing-permission',
        'Signed in, but the account lacks a permission the connector needs.',
      );
    if (e.kind === 'not-found')
      return new ConnectError('bad-url', 'Nothing answered at that address: check the URL.', urlField);
    if (e.kind === 'transient' && !e.status) return toConnectError(e.cause, urlField);
    // The connectors build ProviderError messages from their own words and the vendor's error code only (never
    // the vendor's message text, which can echo request data or secrets), so the message can be shown.
    return new ConnectError('provider-error', `The provider answered with an error (${e.message}).`);
  }
  const code = errorCode(e);
  if (code && tlsCodes.test(code)) {
    return new ConnectError('tls', `The server's TLS certificate could not be verified (${code}).`, urlField);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ConnectError('unreachable', 'The server name could not be found.', urlField);
  }
  if (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EHOSTUNREACH' ||
    code === 'ETIMEDOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return new ConnectError('unreachable', `The server could not be reached (${code}).`, urlField);
  }
  // By name: the abort signal's DOMException is not always `instanceof Error` (another realm: undici's, a test VM's).
  const name = (e as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new ConnectError('unreachable', 'The server did not answer in time.', urlField);
  }
  // A JSON parse failure quotes the answer it could not read (V8: `Unexpected token '<', "<html>…" is not valid
  // JSON`): the provider's text never reaches the user or the log.
  if (e instanceof SyntaxError)
    return new ConnectError('provider-error', 'The provider answered with something other than the JSON expected.');
  return new ConnectError('provider-error', e instanceof Error ? e.message : String(e));
}
