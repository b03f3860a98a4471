import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ApiRoutes, RouteName } from '../../shared/api/routes';
import type { Runtime } from '../runtime';
import type { RequestAuth } from './auth-hook';

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
type Part<N extends RouteName, K extends 'params' | 'query' | 'body'> =
  ApiRoutes[N] extends Record<K, infer S> ? Out<S> : undefined;

export interface HandlerContext<N extends RouteName> {
  runtime: Runtime;
  /** Null only on `auth: 'none'` routes. */
  auth: ApiRoutes[N]['auth'] extends 'none' ? null : RequestAuth;
  params: Part<N, 'params'>;
  query: Part<N, 'query'>;
  body: Part<N, 'body'>;
  req: FastifyRequest;
  reply: FastifyReply;
}

/** A handler returns the response body; the registrar validates it against the route's response schema. */
export type Handler<N extends RouteName> = (ctx: HandlerContext<N>) => Promise<z.input<ApiRoutes[N]['response']>>;

export type Handlers = { [N in RouteName]: Handler<N> };
export type HandlerGroup<K extends RouteName> = { [N in K]: Handler<N> };
