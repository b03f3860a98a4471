/**
 * The typed client of /api/v1, derived from the shared route table: each call's params, query, body and answer
 * are the zod schemas the server validates with, and every answer is parsed before the pane trusts it.
 */
import type { z } from 'zod';
import {
  apiErrorSchema,
  apiRoutes,
  routeUrl,
  type ApiError,
  type RouteBody,
  type RouteName,
  type RouteParams,
  type RouteQuery,
  type RouteResponse,
} from '../../shared/api';

export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
  ) {
    super(body.message);
    this.name = 'ApiCallError';
  }
}

/**
 * The pane's own check of a request body failed (before anything was sent): the same zod schema the server
 * validates with, so `issues` name the same fields the server would (`url`, `set.syncIntervalMinutes`).
 */
export class InputError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(issues[0] ? `${issues[0].path}: ${issues[0].message}` : 'invalid input');
    this.name = 'InputError';
  }
}

/** The server could not be reached at all (network down, server stopped). */
export class ApiUnreachableError extends Error {
  constructor(cause: unknown) {
    super('unreachable', { cause });
    this.name = 'ApiUnreachableError';
  }
}

type Args<N extends RouteName> = (RouteParams<N> extends undefined ? object : { params: RouteParams<N> }) &
  (RouteQuery<N> extends undefined ? object : { query?: RouteQuery<N> }) &
  (RouteBody<N> extends undefined ? object : { body: RouteBody<N> });

export interface ApiClientOptions {
  /** Bearer token for the connector's API; called before every request (the auth module caches). */
  getToken(): Promise<string>;
  /** Called on 401 so the auth module can drop its token and sign in again. */
  onUnauthorized?(): void;
  fetch?: typeof fetch;
  baseUrl?: string;
}

/** `signal` stops waiting for the answer (the user cancelled a call to a server that does not answer). */
type Abortable = { signal?: AbortSignal };

export type ApiClient = <N extends RouteName>(
  name: N,
  ...args: keyof Args<N> extends never ? [options?: Abortable] : [Args<N> & Abortable]
) => Promise<RouteResponse<N>>;

/** The user stopped waiting for a call (its `signal` was aborted). */
export class ApiCancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'ApiCancelledError';
  }
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const base = options.baseUrl ?? '';
  return (async (
    name: RouteName,
    args?: { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown; signal?: AbortSignal },
  ) => {
    const route = apiRoutes[name];
    let url = base + routeUrl(route.path, args?.params ?? {});
    if (args?.query) {
      const search = new URLSearchParams();
      for (const [k, v] of Object.entries(args.query)) if (v !== undefined && v !== null) search.set(k, String(v));
      const qs = search.toString();
      if (qs) url += `?${qs}`;
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = await options.getToken();
    headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if ('body' in route && route.body) {
      // Validate before sending: a form bug surfaces as a named field, not a 400 from the server.
      const parsed = (route.body as z.ZodType).safeParse(args?.body ?? {});
      if (!parsed.success) {
        throw new InputError(
          parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || 'body', message: i.message })),
        );
      }
      body = JSON.stringify(parsed.data);
      headers['content-type'] = 'application/json';
    } else if (route.method === 'POST' || route.method === 'PUT') {
      body = '{}';
      headers['content-type'] = 'application/json';
    }
    let response: Response;
    try {
      response = await doFetch(url, { method: route.method, headers, body, signal: args?.signal ?? null });
    } catch (err) {
      if (args?.signal?.aborted) throw new ApiCancelledError();
      throw new ApiUnreachableError(err);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      if (args?.signal?.aborted) throw new ApiCancelledError();
      throw new ApiUnreachableError(err);
    }
    const json: unknown = text ? safeJson(text) : null;
    if (!response.ok) {
      if (response.status === 401) options.onUnauthorized?.();
      const parsed = apiErrorSchema.safeParse(json);
      throw new ApiCallError(
        response.status,
        parsed.success
          ? parsed.data
          : {
              error: response.status >= 500 ? 'internal' : 'validation',
              message: text.slice(0, 200) || response.statusText,
              field: null,
            },
      );
    }
    return (route.response as z.ZodType).parse(json);
  }) as ApiClient;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
