import { ProviderError, type ProviderErrorKind } from '../../../sync/errors';
import { parseRetryAfter } from '../../http/retry-after';

/** The status of one $batch answer as an engine error (same classes as whole HTTP responses). */
export function providerErrorFromStatus(
  status: number,
  message: string,
  retryAfter: string | undefined,
): ProviderError {
  let kind: ProviderErrorKind;
  if (status === 401) kind = 'auth';
  else if (status === 403) kind = 'forbidden';
  else if (status === 404) kind = 'not-found';
  else if (status === 409 || status === 412) kind = 'conflict';
  else if (status === 429 || status >= 500) kind = 'transient';
  else if (status === 400) kind = 'invalid';
  else kind = 'permanent';
  return new ProviderError(kind, `Dataverse ${status}: ${message}`, {
    status,
    retryAfterMs: parseRetryAfter(retryAfter),
  });
}
