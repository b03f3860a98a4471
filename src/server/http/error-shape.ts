import http from 'node:http';
import type { FastifyError } from 'fastify';
import { HttpError } from '../errors';

/**
 * The API's one error shape (`{error, message, field}`, see shared/api/common.ts) for the answers Fastify and
 * Node would otherwise write in their own: client errors before routing, bad URLs, over-long parameters, JSON
 * bodies that do not parse or carry a prototype key.
 */

/** A raw HTTP response for a request Node's parser refused (the socket is closed after it). */
export function clientErrorResponse(code: string | undefined): string {
  const [status, error, message] =
    code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'validation', 'request headers too large']
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'unavailable', 'request timed out']
        : [400, 'validation', 'malformed HTTP request'];
  const body = JSON.stringify({ error, message, field: null });
  return (
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n` +
    `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** Errors from Fastify's router (never echoes the offending path, which may be huge). */
export function frameworkError(err: FastifyError): HttpError {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return new HttpError(414, 'validation', 'a path parameter is too long', 'params');
  return new HttpError(400, 'validation', 'the URL is not validly encoded', 'params');
}

/**
 * The JSON body parser: JSON.parse, refusing the keys that poison prototypes when a body is later merged into an
 * object (`__proto__`, `constructor.prototype`) with an error that names the key. Fastify's own parser refuses
 * them too, but reports any failure as "not valid JSON".
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new HttpError(400, 'validation', 'body: empty JSON body', 'body');
  let poisoned: string | null = null;
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v: unknown) => {
      if (key === '__proto__') poisoned ??= '__proto__';
      else if (key === 'constructor' && typeof v === 'object' && v !== null && 'prototype' in v) poisoned ??= key;
      return v;
    });
  } catch {
    throw new HttpError(400, 'validation', 'body: not valid JSON', 'body');
  }
  if (poisoned) throw new HttpError(400, 'validation', `${poisoned}: this key is not allowed in a body`, poisoned);
  return value;
}

/** A body Fastify's JSON parser refused, named as such; null for any other error. */
export function jsonBodyError(err: FastifyError): HttpError | null {
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return new HttpError(400, 'validation', 'body: empty JSON body', 'body');
  if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
    const m = /forbidden (prototype|constructor) property/i.exec(err.message);
    if (m) {
      const key = m[1] === 'prototype' ? '__proto__' : 'constructor';
      return new HttpError(400, 'validation', `${key}: this key is not allowed in a body`, key);
    }
    return new HttpError(400, 'validation', 'body: not valid JSON', 'body');
  }
  return null;
}
