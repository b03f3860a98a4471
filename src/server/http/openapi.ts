import { z } from 'zod';
import { apiErrorSchema } from '../../shared/api/common';
import { apiBasePath, apiRoutes, type RouteDef } from '../../shared/api/routes';
import { version } from '../version';

type JsonSchema = Record<string, unknown>;

function schema(s: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parameters(s: z.ZodType | undefined, where: 'path' | 'query') {
  if (!s) return [];
  const js = schema(s, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    schema: p,
  }));
}

/** OpenAPI 3.1 document generated from the shared zod route table (served at /api/openapi.json). */
export function buildOpenApi(): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  const error = { content: { 'application/json': { schema: schema(apiErrorSchema, 'output') } } };
  for (const [name, r] of Object.entries(apiRoutes) as [string, RouteDef][]) {
    const path = apiBasePath + r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const op: Record<string, unknown> = {
      operationId: name,
      summary: r.summary,
      security: r.auth === 'none' ? [] : [{ bearer: [] }],
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      responses: {
        [r.status]: r.raw
          ? { description: 'provider-specific answer' }
          : { description: 'success', content: { 'application/json': { schema: schema(r.response, 'output') } } },
        400: { description: 'invalid input (names the field)', ...error },
        ...(r.auth !== 'none' ? { 401: { description: 'missing, expired or invalid token', ...error } } : {}),
        ...(r.auth === 'admin' ? { 403: { description: 'not an admin', ...error } } : {}),
        404: { description: 'not found (or another tenant’s)', ...error },
        429: { description: 'rate limited', ...error },
      },
      ...(r.auth === 'admin' ? { tags: ['admin'] } : {}),
    };
    if (r.body) {
      op.requestBody = { required: true, content: { 'application/json': { schema: schema(r.body, 'input') } } };
    }
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  paths['/healthz'] = {
    get: {
      operationId: 'health',
      summary: 'Liveness and database check',
      security: [],
      responses: { 200: { description: 'ok' } },
    },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'CRM Calendar Connector API', version },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Entra ID access token (scope access_as_user)',
        },
      },
    },
    paths,
  };
}
