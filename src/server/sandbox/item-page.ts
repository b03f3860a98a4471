/**
 * The Sandbox CRM's read-only page of one item: where "Open in CRM" (the item card, and the link written into
 * every synced event's body) lands. The page itself holds no data and needs no sign-in; its script reads the
 * item through /sandbox/v1 with the browser's connector token (the pane's and the development sign-in's
 * sessionStorage key) and, without one, offers the deployment's sign-in: the development sign-in that comes back
 * here (AUTH_MODE=dev), or with Entra a message saying where the item is seen (the pane inside Outlook). Text is set with textContent
 * only; the script is a separate file because the CSP allows scripts from 'self' only.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

const idParams = z.object({ id: z.string().min(1).max(64) });

const pageScript = `(function () {
  var id = decodeURIComponent(location.pathname.split('/').pop() || '');
  var main = document.getElementById('item');
  var status = document.getElementById('status');
  function say(text, link, href) {
    status.textContent = text;
    if (link) { var a = document.createElement('a'); a.href = href; a.textContent = link; status.append(' ', a); }
  }
  function row(dl, label, value) {
    if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) return;
    var dt = document.createElement('dt'); dt.textContent = label;
    var dd = document.createElement('dd'); dd.textContent = Array.isArray(value) ? value.join(', ') : String(value);
    dl.append(dt, dd);
  }
  function when(iso, allDay) {
    if (!iso) return null;
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    return allDay ? d.toLocaleDateString(undefined, { dateStyle: 'full' }) : d.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' });
  }
  var token = sessionStorage.getItem('crm-sync.devToken');
  var signIn = '/auth/dev/sign-in?return=' + encodeURIComponent(location.pathname);
  // The sign-in offered is the deployment's: the development sign-in exists only with AUTH_MODE=dev. With Microsoft
  // 365 sign-in (Entra) this page has no token of its own, so it says where the item can be seen instead of
  // offering a sign-in link that answers 404.
  function needSignIn(expired) {
    return fetch('/api/v1/auth/config', { headers: { accept: 'application/json' } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .catch(function () { return null; })
      .then(function (config) {
        if (config && config.mode === 'entra') {
          var h = document.createElement('h1');
          h.textContent = 'Open this item from Outlook';
          main.prepend(h);
          say('To see this CRM item, open its event in Outlook: the connector’s pane shows it under “This item”. This page cannot sign you in, because the connector uses your Microsoft 365 sign-in, which works inside Outlook.');
          status.setAttribute('data-sign-in', 'entra');
        } else if (config && config.mode === 'dev') {
          say(expired ? 'Your sign-in has expired.' : 'Sign in to see this CRM item.', expired ? 'Sign in again' : 'Sign in', signIn);
        } else {
          say('This page cannot sign you in on this server. Open the item from the connector’s pane in Outlook.');
        }
      });
  }
  if (!token) { needSignIn(false); return; }
  fetch('/sandbox/v1/items/' + encodeURIComponent(id), { headers: { authorization: 'Bearer ' + token } })
    .then(function (res) {
      if (res.status === 401) { sessionStorage.removeItem('crm-sync.devToken'); needSignIn(true); return null; }
      if (res.status === 404) { say('This item does not exist in your Sandbox CRM (it was deleted, or it belongs to another user).'); return null; }
      if (!res.ok) { say('The item could not be loaded. Try again in a moment.'); return null; }
      return res.json();
    })
    .then(function (item) {
      if (!item) return;
      status.textContent = '';
      document.title = (item.subject || 'Untitled') + ' · Sandbox CRM';
      var h = document.createElement('h1'); h.textContent = item.subject || '(no subject)';
      var dl = document.createElement('dl');
      var kinds = { meeting: 'Meeting', call: 'Call', 'follow-up': 'Follow-up', task: 'Task' };
      row(dl, 'Type', (kinds[item.type] || item.type) + (item.archived ? ' (archived)' : ''));
      row(dl, 'Starts', when(item.start, item.allDay));
      row(dl, 'Ends', when(item.end, item.allDay));
      row(dl, 'Due', when(item.due, false));
      row(dl, 'Location', item.location);
      row(dl, 'Invitees', item.invitees);
      row(dl, 'Synced to the calendar', item.sync === false ? 'No' : 'Yes');
      row(dl, 'Last changed', when(item.modifiedAt, false));
      main.replaceChildren(h, dl);
      if (item.body) { var p = document.createElement('p'); p.className = 'body'; p.textContent = item.body; main.append(p); }
    })
    .catch(function () { say('The connector does not answer. Check your network and try again.'); });
})();`;

export function registerSandboxItemPage(app: FastifyInstance): void {
  app.get('/sandbox/item-page.js', async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(pageScript),
  );
  app.get('/sandbox/items/:id', async (req, reply) => {
    if (!idParams.safeParse(req.params).success) {
      return reply.code(404).send({ error: 'not-found', message: 'item not found', field: 'id' });
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox CRM item</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
h1{font-size:1.5rem;line-height:1.25}dt{font-weight:600}dd{margin:0 0 .5rem 0}.body{white-space:pre-wrap;border-top:1px solid #8888;padding-top:1rem}
@media (prefers-color-scheme: dark){body{background:#1f1f1f;color:#f0f0f0}a{color:#8cb4ff}}</style></head>
<body><header><p>Sandbox CRM · read-only view</p></header><main id="item"><p id="status" role="status">Loading…</p></main>
<script src="/sandbox/item-page.js"></script></body></html>`);
  });
}
