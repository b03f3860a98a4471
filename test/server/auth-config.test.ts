import { authConfigResponseSchema } from '../../src/shared/api/me';
import { startHarness } from './support/harness';

describe('GET /api/v1/auth/config: how the pane signs in', () => {
  it('names the Entra app, authority and API scope, without a token', async () => {
    const h = await startHarness({ ENTRA_TENANT_ID: 'organizations' });
    try {
      const res = await h.app.inject({ method: 'GET', url: '/api/v1/auth/config' });
      expect(res.statusCode).toBe(200);
      const body = authConfigResponseSchema.parse(res.json());
      expect(body).toEqual({
        mode: 'entra',
        clientId: 'client-1',
        authority: `${h.idp.origin}/organizations`,
        scopes: ['api://client-1/access_as_user'],
      });
      // The scope the pane asks for is the one the server's verifier demands: a token minted for it is accepted.
      const me = await h.app.inject({
        method: 'GET',
        url: '/api/v1/me',
        headers: { authorization: `Bearer ${await h.idp.token({ tid: 't', oid: 'o', email: 'e@t.test' })}` },
      });
      expect(me.statusCode).toBe(200);
    } finally {
      await h.close();
    }
    // Starting a whole server (SQLite, migrations, an identity provider) takes seconds on a loaded machine.
  }, 30_000);

  it('says dev when the development sign-in is on', async () => {
    const h = await startHarness({ AUTH_MODE: 'dev' });
    try {
      const res = await h.app.inject({ method: 'GET', url: '/api/v1/auth/config' });
      expect(res.json()).toEqual({ mode: 'dev' });
    } finally {
      await h.close();
    }
  }, 30_000);
});
