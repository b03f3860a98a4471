import { z } from 'zod';
import { apiRoutes, routeUrl, type RouteBody, type RouteResponse } from '../../src/shared/api';

describe('the /api/v1 contract', () => {
  it('every schema converts to JSON Schema (for OpenAPI)', () => {
    for (const [name, r] of Object.entries(apiRoutes)) {
      for (const s of [
        r.response,
        'params' in r ? r.params : undefined,
        'query' in r ? r.query : undefined,
        'body' in r ? r.body : undefined,
      ]) {
        if (!s) continue;
        expect(() => z.toJSONSchema(s as z.ZodType, { io: 'input', unrepresentable: 'any' })).not.toThrow();
      }
      expect(name).toBeTruthy();
    }
  });

  it('has one route per method and path', () => {
    const keys = Object.values(apiRoutes).map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('builds URLs with encoded params and refuses missing ones', () => {
    expect(routeUrl(apiRoutes.getRun.path, { runId: 'a/b' })).toBe('/api/v1/runs/a%2Fb');
    expect(() => routeUrl(apiRoutes.getRun.path)).toThrow(/runId/);
  });

  it('types requests and responses from the table', () => {
    const body: RouteBody<'connect'> = { provider: 'caldav', method: 'password', url: 'https://dav.example.com/' };
    const parsed = apiRoutes.connect.body.parse(body);
    expect(parsed.fields).toEqual({});
    const me: RouteResponse<'me'> = { tenantId: 't', userId: 'u', email: 'a@b.c', displayName: null, isAdmin: false };
    expect(apiRoutes.me.response.parse(me)).toEqual(me);
  });

  it('names the field of a bad item lookup', () => {
    const r = apiRoutes.lookupItems.query.safeParse({ eventId: 'x', email: 'a@b.c' });
    expect(r.success).toBe(false);
    const bad = apiRoutes.lookupItems.query.safeParse({ email: 'nope' });
    expect(bad.success ? null : bad.error.issues[0]?.path).toEqual(['email']);
  });
});
