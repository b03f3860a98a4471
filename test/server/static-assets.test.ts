/**
 * The pane's files as a browser gets them: precompressed in the encoding it accepts, hashed files cached for a
 * year and the rest revalidated; the manifest naming the origin the server is reached at; /help, /favicon.ico;
 * the Sandbox CRM's read-only item page ("Open in CRM") and its API answering 401, not 500, without a sign-in.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/server/config';
import { buildApp } from '../../src/server/http/app';
import { manifestDevOrigin } from '../../src/server/http/static-assets';
import { openDatabase, type Db } from '../../src/server/store/database';
import { migrateToLatest } from '../../src/server/store/migrations';
import { startHarness, type Harness } from './support/harness';

const script = `console.log(${JSON.stringify('x'.repeat(4000))});`;

function writePane(dir: string): void {
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'taskpane.html'), '<!doctype html><title>pane</title>');
  fs.writeFileSync(path.join(dir, 'taskpane.1a2b3c4d.js'), script);
  fs.writeFileSync(path.join(dir, 'taskpane.1a2b3c4d.js.br'), zlib.brotliCompressSync(script));
  fs.writeFileSync(path.join(dir, 'taskpane.1a2b3c4d.js.gz'), zlib.gzipSync(script));
  fs.writeFileSync(
    path.join(dir, 'manifest.xml'),
    `<OfficeApp><SourceLocation DefaultValue="${manifestDevOrigin}/taskpane.html"/><SupportUrl DefaultValue="${manifestDevOrigin}/help"/></OfficeApp>`,
  );
  fs.writeFileSync(path.join(dir, 'assets', 'icon-32.png'), Buffer.from('89504e470d0a1a0a', 'hex'));
}

describe('the pane’s files and pages, without PUBLIC_URL', () => {
  let dir: string;
  let db: Db;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'static-'));
    writePane(path.join(dir, 'addin'));
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      AUTH_MODE: 'dev',
      DATABASE_URL: `sqlite:${path.join(dir, 'connector.db')}`,
      ADDIN_DIR: path.join(dir, 'addin'),
      CONNECTOR_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
    });
    db = openDatabase(config.DATABASE_URL);
    await migrateToLatest(db);
    app = await buildApp({ config, db });
  });
  afterAll(async () => {
    await app.close();
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends a hashed script brotli- or gzip-compressed, cached for a year', async () => {
    const br = await app.inject({ url: '/taskpane.1a2b3c4d.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(zlib.brotliDecompressSync(br.rawPayload).toString()).toBe(script);
    expect(br.rawPayload.length).toBeLessThan(script.length / 10);
    const gz = await app.inject({ url: '/taskpane.1a2b3c4d.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.rawPayload).toString()).toBe(script);
    const plain = await app.inject({ url: '/taskpane.1a2b3c4d.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(script);
  });

  it('has the browser revalidate taskpane.html (it names the hashed files)', async () => {
    const r = await app.inject({ url: '/taskpane.html' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-cache');
  });

  it('serves the manifest with the origin the request reached, whatever the port', async () => {
    const r = await app.inject({ url: '/manifest.xml', headers: { host: '127.0.0.1:4567' } });
    expect(r.statusCode).toBe(200);
    expect(r.body).not.toContain(manifestDevOrigin);
    expect(r.body).toContain('DefaultValue="http://127.0.0.1:4567/taskpane.html"');
    expect(r.body).toContain('DefaultValue="http://127.0.0.1:4567/help"');
  });

  it('answers the manifest’s SupportUrl and /favicon.ico', async () => {
    const help = await app.inject({ url: '/help' });
    expect(help.statusCode).toBe(200);
    expect(help.headers['content-type']).toMatch(/text\/html/);
    expect(help.body).toContain('Getting started');
    const icon = await app.inject({ url: '/favicon.ico' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toBe('image/png');
  });
});

describe('the manifest with PUBLIC_URL, and the Sandbox item page', () => {
  let h: Harness;
  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'static-pub-'));
    writePane(dir);
    h = await startHarness({ ADDIN_DIR: dir });
  });
  afterAll(async () => {
    fs.rmSync(h.config.ADDIN_DIR, { recursive: true, force: true });
    await h.close();
  });

  it('names PUBLIC_URL in the manifest', async () => {
    const r = await h.app.inject({ url: '/manifest.xml', headers: { host: '127.0.0.1:4567' } });
    expect(r.body).toContain('DefaultValue="https://connector.example.test/taskpane.html"');
  });

  it('serves the read-only item page to anyone (it holds no data) and the item API only with a sign-in', async () => {
    const page = await h.app.inject({ url: '/sandbox/items/some-item' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('<script src="/sandbox/item-page.js"></script>');
    const js = await h.app.inject({ url: '/sandbox/item-page.js' });
    expect(js.statusCode).toBe(200);
    expect(js.body).toContain('textContent');
    expect(js.body).not.toContain('innerHTML');
    const api = await h.app.inject({ url: '/sandbox/v1/items/some-item' });
    expect(api.statusCode).toBe(401);
    expect(api.json()).toMatchObject({ error: 'unauthorized' });
  });
});
