import type { FastifyInstance, FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { Config } from '../config';

/** Origins Outlook hosts the task pane in (Outlook on the web, new Outlook, Microsoft 365). */
const officeFrameAncestors = [
  'https://*.office.com',
  'https://*.office365.com',
  'https://*.outlook.com',
  'https://outlook.live.com',
  'https://*.cloud.microsoft',
];

/** The pane's origin, the only one CORS lets call the API (when the pane is served from elsewhere). */
export function paneOrigin(config: Config): string | null {
  const url = config.PANE_ORIGIN ?? config.PUBLIC_URL;
  return url ? new URL(url).origin : null;
}

/** SPEC §9: security headers, CORS limited to the pane, per-client rate limits. */
export async function registerSecurity(
  app: FastifyInstance,
  config: Config,
  /** The verified principal's key (see RateLimitKeys); without it every caller is limited by address. */
  rateLimitKey?: (req: FastifyRequest) => Promise<string>,
): Promise<void> {
  await app.register(helmet, {
    // The pane runs inside Outlook's frames: allow those as ancestors instead of denying every frame.
    frameguard: false,
    crossOriginEmbedderPolicy: false,
    // Outside Outlook the pane runs OAuth in a popup (src/addin/office/dialog.ts): helmet's default `same-origin`
    // would cut the popup from the pane as soon as it navigates to the provider, and the pane would never hear back.
    crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", 'https://appsforoffice.microsoft.com'],
        // Fluent UI v9 (Griffel) injects style elements at runtime.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'https:'],
        connectSrc: ["'self'", 'https://login.microsoftonline.com'],
        frameAncestors: ["'self'", ...officeFrameAncestors],
        formAction: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
      },
    },
  });
  const origin = paneOrigin(config);
  await app.register(cors, {
    origin: origin ? [origin] : false,
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type'],
    maxAge: 600,
  });
  await app.register(rateLimit, {
    max: config.RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    // Signed-in callers are limited per verified user, everyone else per address (never per raw header text).
    keyGenerator: rateLimitKey ?? ((req) => `ip:${req.ip}`),
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      error: 'rate-limited',
      message: `Too many requests: retry in ${Math.ceil(ctx.ttl / 1000)} s`,
      field: null,
    }),
  });
}
