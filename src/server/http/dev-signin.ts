import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DevIssuer } from '../auth/dev-issuer';
import { defaultTenantId } from '../store/users';
import { parsePart } from './validation';

const signInSchema = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email()),
  tenant: z.string().trim().min(1).max(100).default(defaultTenantId),
  name: z.string().trim().max(200).optional(),
  admin: z
    .union([z.boolean(), z.enum(['on', 'true', 'false'])])
    .optional()
    .transform((v) => v === true || v === 'on' || v === 'true'),
});

export const devTokenStorageKey = 'crm-sync.devToken';

/**
 * AUTH_MODE=dev only: a sign-in page and a token endpoint for the browser (the pane outside Outlook, admins,
 * tests). The page keeps the token in sessionStorage under `crm-sync.devToken` and returns to `?return=`.
 */
export function registerDevSignIn(app: FastifyInstance, issuer: DevIssuer): void {
  app.get('/auth/dev/keys', async () => issuer.jwks());

  app.post('/auth/dev/token', async (req) => {
    const input = parsePart(signInSchema, req.body, 'body');
    const accessToken = await issuer.sign({
      tenantId: input.tenant,
      email: input.email,
      name: input.name ?? null,
      admin: input.admin,
    });
    return { accessToken, tokenType: 'Bearer', expiresIn: 8 * 3600 };
  });

  app.get('/auth/dev/sign-in.js', async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').send(`
document.getElementById('f').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const res = await fetch('/auth/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: f.email.value, tenant: f.tenant.value || undefined, admin: f.admin.checked }),
  });
  const out = document.getElementById('out');
  if (!res.ok) { out.textContent = (await res.json()).message; return; }
  const { accessToken } = await res.json();
  sessionStorage.setItem(${JSON.stringify(devTokenStorageKey)}, accessToken);
  const back = new URLSearchParams(location.search).get('return');
  if (back && back.startsWith('/') && !back.startsWith('//')) location.assign(back);
  else out.textContent = 'Signed in. You can open /taskpane.html now.';
});`),
  );

  app.get('/auth/dev/sign-in', async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Development sign-in</title></head><body>
<h1>Development sign-in</h1><p>AUTH_MODE=dev: not for production.</p>
<form id="f"><label>E-mail <input name="email" type="email" required></label>
<label>Tenant <input name="tenant" placeholder="${defaultTenantId}"></label>
<label><input name="admin" type="checkbox"> Admin</label>
<button type="submit">Sign in</button></form><p id="out" role="status"></p>
<script src="/auth/dev/sign-in.js"></script></body></html>`),
  );
}
