/**
 * The built task pane and the few pages around it, on the API's origin:
 * - the pane's files from ADDIN_DIR, precompressed at build time (brotli and gzip next to each file, see
 *   webpack.config.js) and served in the encoding the browser accepts; files with a content hash in their name
 *   are cached for a year (`immutable`), everything else (taskpane.html, manifest.xml) is revalidated each time;
 * - `/manifest.xml` naming the origin the server is really reached at (PUBLIC_URL, else the request's own);
 * - `/help` (the manifest's SupportUrl) and `/favicon.ico`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Config } from '../config';

/** The origin written into the manifest source; replaced by the real one when served. */
export const manifestDevOrigin = 'https://localhost:3000';

/** `taskpane.1a2b3c4d.js`, `view-sync.1a2b3c4d.js` (webpack's [contenthash:8]), also as .br/.gz/.map. */
const hashedFile = /\.[0-9a-f]{8}\.(js|css)(\.map)?(\.br|\.gz)?$/;

export const YEAR_SECONDS = 365 * 24 * 3600;

function requestOrigin(config: Config, req: FastifyRequest): string {
  if (config.PUBLIC_URL) return new URL(config.PUBLIC_URL).origin;
  return `${req.protocol}://${req.host}`;
}

export async function registerStaticAssets(app: FastifyInstance, config: Config): Promise<void> {
  app.get('/help', async (req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(helpPage(requestOrigin(config, req))),
  );

  if (!fs.existsSync(config.ADDIN_DIR)) {
    app.log.warn({ dir: config.ADDIN_DIR }, 'the task pane is not built; run npm run build');
    return;
  }

  const manifestFile = path.join(config.ADDIN_DIR, 'manifest.xml');
  app.get('/manifest.xml', async (req, reply) => {
    if (!fs.existsSync(manifestFile))
      return reply.code(404).send({ error: 'not-found', message: 'manifest not built', field: null });
    const xml = (await fs.promises.readFile(manifestFile, 'utf8'))
      .split(manifestDevOrigin)
      .join(requestOrigin(config, req));
    return reply.type('application/xml; charset=utf-8').header('cache-control', 'no-cache').send(xml);
  });

  const icon = path.join(config.ADDIN_DIR, 'assets', 'icon-32.png');
  app.get('/favicon.ico', async (_req, reply) => {
    if (!fs.existsSync(icon)) return reply.code(404).send();
    return reply
      .type('image/png')
      .header('cache-control', `public, max-age=${7 * 24 * 3600}`)
      .send(await fs.promises.readFile(icon));
  });

  await app.register(fastifyStatic, {
    root: config.ADDIN_DIR,
    index: ['taskpane.html'],
    preCompressed: true,
    // Cache-Control is set below, per file.
    cacheControl: false,
    setHeaders: (reply, filePath) => {
      reply.header(
        'cache-control',
        hashedFile.test(filePath) ? `public, max-age=${YEAR_SECONDS}, immutable` : 'no-cache',
      );
      reply.header('vary', 'accept-encoding');
    },
  });
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The support page the manifest points at: what the add-in does and where to start. */
function helpPage(origin: string): string {
  const o = escapeHtml(origin);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>CRM Calendar Connector: help</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
@media (prefers-color-scheme: dark){body{background:#1f1f1f;color:#f0f0f0}a{color:#8cb4ff}}</style></head><body>
<h1>CRM Calendar Connector</h1>
<p>The connector keeps your CRM's meetings, calls and tasks and your calendar in sync, in both directions.</p>
<h2>Getting started</h2>
<ol>
<li>Open the <a href="${o}/taskpane.html">task pane</a> (in Outlook: the <em>CRM Calendar</em> button on a message or
event).</li>
<li>In <strong>Connections</strong>, connect your CRM, then your calendar, and choose the calendar that receives CRM
items.</li>
<li>In <strong>Automatic sync</strong>, turn sync on, or press <strong>Sync calendar now</strong>.</li>
</ol>
<h2>Something does not work?</h2>
<ul>
<li><strong>History</strong> lists every run with what it did to each item and why.</li>
<li>A banner at the top of the pane says when a connection needs to be authorized again or when deletions wait for
your confirmation.</li>
<li>Anything else: ask your admin, who sees every user's sync health in the pane's <strong>Admin</strong>
section.</li>
</ul>
<p>Add-in manifest for this server: <a href="${o}/manifest.xml">${o}/manifest.xml</a></p>
</body></html>`;
}
