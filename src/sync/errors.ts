/**
 * Provider failures, classified so the applier knows what to do with them (SPEC §7):
 * transient → retry with backoff honouring retryAfterMs; auth → pause automatic sync and ask to re-authorize;
 * the rest → report the item and go on.
 */
export type ProviderErrorKind =
  | 'transient' // 429, 503, timeouts, connection resets
  | 'auth' // expired or revoked authorization
  | 'forbidden' // authenticated but not allowed (missing permission / scope)
  | 'not-found'
  | 'conflict' // precondition failed (etag changed under us)
  | 'invalid' // the provider rejected our request body
  | 'permanent'; // anything else that retrying will not fix

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  /** From Retry-After or the provider's own hint. */
  readonly retryAfterMs: number | undefined;
  /** HTTP status when there was one. */
  readonly status: number | undefined;
  /** True when the request may have taken effect although we got no answer (timeout after sending a create). */
  readonly uncertain: boolean;

  constructor(
    kind: ProviderErrorKind,
    message: string,
    options: { retryAfterMs?: number; status?: number; uncertain?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
    this.kind = kind;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
    this.uncertain = options.uncertain ?? false;
  }
}

export function isProviderError(e: unknown): e is ProviderError {
  return e instanceof ProviderError;
}
