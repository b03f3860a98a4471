/** Turns whatever a call threw into a sentence for the user. */
import { messages } from '../messages';
import { ApiCallError, ApiUnreachableError } from './client';

export function describeError(err: unknown): string {
  if (err instanceof ApiUnreachableError) return messages.serverUnreachable;
  if (err instanceof ApiCallError) {
    const { body } = err;
    if (body.error === 'connection-failed') {
      const reason =
        messages.connections.failureReasons[body.reason ?? 'other'] ?? messages.connections.failureReasons.other;
      return body.message && body.message !== reason ? `${reason} (${body.message})` : (reason ?? body.message);
    }
    return body.field ? `${body.message} (${body.field})` : body.message;
  }
  return messages.unknownError;
}
