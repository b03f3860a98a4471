import type { ApiError } from '../shared/api/common';

/** An error the API answers with a definite status and body (and the CLI prints as its one-line reason). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiError['error'],
    message: string,
    readonly field: string | null = null,
    readonly reason?: ApiError['reason'],
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toBody(): ApiError {
    return {
      error: this.code,
      message: this.message,
      field: this.field,
      ...(this.reason ? { reason: this.reason } : {}),
    };
  }
}

export const notFound = (what: string) => new HttpError(404, 'not-found', `${what} not found`);
export const badRequest = (message: string, field: string | null) => new HttpError(400, 'validation', message, field);
export const conflict = (message: string) => new HttpError(409, 'conflict', message);
