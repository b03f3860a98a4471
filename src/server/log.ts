import pino from 'pino';

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

export function createLogger(level: string): pino.Logger {
  return pino({ level, redact: { paths: redactedPaths, censor: '[redacted]' } });
}
