import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { apiBasePath, apiRoutes, type RouteDef, type RouteName } from '../../shared/api/routes';
import type { Runtime } from '../runtime';
import { authenticate } from './auth-hook';
import type { Handlers } from './handler-types';
import { parsePart } from './validation';

/**
 * Registers every route of the shared table with its handler: authentication (user / admin / none), zod
 * validation of params, query and body (errors name the field) and the response parsed through its schema,
 * so the server can never answer with a shape the pane does not expect (nor leak a field it does not list).
 */
export function registerApiRoutes(app: FastifyInstance, runtime: Runtime, handlers: Handlers): void {
  for (const name of Object.keys(apiRoutes) as RouteName[]) {
    const def = apiRoutes[name] as RouteDef;
    const handler = handlers[name] as unknown as (ctx: unknown) => Promise<unknown>;
    app.route({
      method: def.method,
      url: apiBasePath + def.path,
      handler: async (req, reply) => {
        const auth = def.auth === 'none' ? null : await authenticate(runtime, req, def.auth === 'admin');
        const params = def.params ? parsePart(def.params, req.params, 'params') : undefined;
        const query = def.query ? parsePart(def.query, req.query, 'query') : undefined;
        const body = def.body ? parsePart(def.body, req.body, 'body') : undefined;
        const result = await handler({ runtime, auth, params, query, body, req, reply });
        if (reply.sent) return reply;
        if (def.raw) return result;
        reply.code(def.status);
        return (def.response as z.ZodType).parse(result);
      },
    });
  }
}
