import type * as PinoModule from 'pino';
import type { Logger } from 'pino';

/** Field paths that may carry a secret; pino replaces their values before anything is written. */
export const redactedPaths = [
  'password',
  '*.password',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'clientSecret',
  '*.clientSecret',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'credentials',
  '*.credentials',
  'fields',
  '*.fields',
  'secrets',
  '*.secrets',
  'assertion',
  'codeVerifier',
  '*.codeVerifier',
  'clientState',
  '*.clientState',
  // A malformed request's raw bytes (Fastify's client errors carry them): headers, bearer token, Basic password.
  'rawPacket',
  '*.rawPacket',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
];

/**
 * A logger that writes to stdout, or to the file descriptor `destination` (the CLI: 2, stdout being its answer),
 * with the secret paths above redacted.
 */
export function createLogger(level: string, destination?: number): Logger {
  // Required here, not at the top, so that a CLI command that logs nothing never loads pino (createLazyLogger).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a log call is synchronous, so is this load
  const { pino } = require('pino') as typeof PinoModule;
  const options = { level, redact: { paths: redactedPaths, censor: '[redacted]' } };
  return destination === undefined ? pino(options) : pino(options, pino.destination(destination));
}

/**
 * createLogger's logger, made at its first use. A CLI command mostly logs nothing, and making a pino logger loads
 * worker_threads, assert and sonic-boom: about 8 ms of a steady no-op `crm-sync sync` (issue 23).
 */
export function createLazyLogger(level: string, destination?: number): Logger {
  let made: Logger | undefined;
  const real = (): Logger => (made ??= createLogger(level, destination));
  // Every property is the real logger's, its methods bound to it; the empty target is never read.
  return new Proxy({} as Logger, {
    get(_, key) {
      const value: unknown = Reflect.get(real(), key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(real()) : value;
    },
    set: (_, key, value) => Reflect.set(real(), key, value),
    has: (_, key) => key in real(),
  });
}
