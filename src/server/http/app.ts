import type { Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { ConnectError } from '../../providers/http/connect-error';
import { isProviderError } from '../../sync/errors';
import type { Config } from '../config';
import { connectFailure } from '../connections/connection-service';
import { HttpError } from '../errors';
import type { Runtime } from '../runtime';
import { sandboxRoutes } from '../sandbox/routes';
import { authenticate } from './auth-hook';
import type { Db } from '../store/database';
import { redactedPaths } from '../log';
import { registerDevSignIn } from './dev-signin';
import { handlers } from './handlers';
import { buildOpenApi } from './openapi';
import { registerApiRoutes } from './register-routes';
import { registerSecurity } from './security';
import { registerOperations } from './operations';
import { RateLimitKeys } from './rate-limit-key';
import { clientErrorResponse, frameworkError, jsonBodyError, parseJsonBody } from './error-shape';
import { registerStaticAssets } from './static-assets';

export interface AppDeps {
  config: Config;
  db: Db;
  /** With a runtime the API is served; without, only health and the pane (e.g. a bare start-up check). */
  runtime?: Runtime;
  /** Where request logs go (default stdout); the security tests read them back. */
  logStream?: NodeJS.WritableStream;
}

/** Script of the OAuth callback page: tells the Office dialog's parent (or the opener) the outcome. */
// It runs from the page's head: the outcome element is read once the document is parsed (without office.js, e.g.
// in a plain browser's popup, nothing else would wait for it).
const oauthCallbackScript = `(function () {
  function send() {
    var el = document.getElementById('outcome');
    var data = el ? el.getAttribute('data-outcome') : '{}';
    if (window.Office && Office.context && Office.context.ui && Office.context.ui.messageParent) {
      Office.context.ui.messageParent(data);
    } else if (window.opener) {
      window.opener.postMessage(JSON.parse(data), location.origin);
    }
  }
  function start() {
    if (window.Office && Office.onReady) Office.onReady(send); else send();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();`;

/** Builds the HTTP server: API, OpenAPI, health and the built task pane on one origin (SPEC §11). */
export async function buildApp({ config, db, runtime, logStream }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.LOG_LEVEL,
      ...(logStream ? { stream: logStream } : {}),
      redact: { paths: redactedPaths, censor: '[redacted]' },
      // Query strings can carry OAuth codes and state: log the path only.
      serializers: {
        req: (req: { method: string; url: string; id: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url.split('?')[0],
        }),
      },
    },
    bodyLimit: 256 * 1024,
    trustProxy: config.NODE_ENV === 'production',
    // Requests Node's parser refuses (431 header overflow, malformed bytes): our error shape, and no raw bytes
    // logged (Fastify's default handler logs the packet, bearer token and Basic password included, at trace).
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      app.log.debug({ code: err.code }, 'client error');
      if (socket.writable) socket.write(clientErrorResponse(err.code));
      socket.destroy();
    },
    // Bad URL encodings and over-long path parameters (414): the same error shape as every other answer.
    frameworkErrors: (err, _req, reply) => {
      const e = frameworkError(err);
      void (reply as unknown as FastifyReply).code(e.status).send(e.toBody());
    },
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    let e: HttpError;
    if (err instanceof HttpError) e = err;
    else if (err instanceof ConnectError) e = connectFailure(err);
    else if (isProviderError(err)) {
      e =
        err.kind === 'not-found'
          ? new HttpError(404, 'not-found', err.message)
          : new HttpError(502, 'unavailable', `The provider failed: ${err.message}`);
    } else if (err.statusCode === 429) e = new HttpError(429, 'rate-limited', err.message);
    else if (jsonBodyError(err)) e = jsonBodyError(err)!;
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      e = new HttpError(413, 'payload-too-large', 'request body too large');
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      e = new HttpError(415, 'validation', 'send application/json', 'content-type');
    } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      e = new HttpError(err.statusCode, 'validation', err.message, 'body');
    } else {
      req.log.error({ err }, 'request failed');
      e = new HttpError(500, 'internal', 'internal error');
    }
    const issues = (e as HttpError & { issues?: unknown }).issues;
    if (e.status === 429) void reply.header('retry-after', reply.getHeader('retry-after') ?? '60');
    return reply.code(e.status).send({ ...e.toBody(), ...(issues ? { issues } : {}) });
  });

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(String(body)));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(new HttpError(404, 'not-found', `no route ${req.method} ${req.url.split('?')[0]}`).toBody()),
  );

  const keys = runtime ? new RateLimitKeys(runtime.verifier) : null;
  await registerSecurity(app, config, keys ? (req) => keys.keyFor(req) : undefined);

  registerOperations(app, { config, db, ...(runtime ? { runtime } : {}) });

  if (runtime) {
    const openapi = buildOpenApi();
    app.get('/api/openapi.json', async () => openapi);
    app.get('/api/v1/oauth/callback.js', async (_req, reply) =>
      reply.type('text/javascript; charset=utf-8').send(oauthCallbackScript),
    );
    registerApiRoutes(app, runtime, handlers);
    if (runtime.devIssuer) registerDevSignIn(app, runtime.devIssuer);
    await app.register(sandboxRoutes, {
      repoFor: runtime.sandboxRepos,
      // The Sandbox CRM's API acts as the signed-in user's CRM: same bearer tokens as /api/v1.
      authenticate: async (request) => {
        const { user } = await authenticate(runtime, request, false);
        return { tenantId: user.tenantId, userEmail: user.email };
      },
    });
  }

  await registerStaticAssets(app, config);
  return app;
}
