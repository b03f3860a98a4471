/**
 * The pane: gzipped size of its initial JavaScript (office.js excluded) and of all JavaScript fetched until the
 * first view is interactive; time from navigation to the first interactive view in headless Chromium against
 * the real server (SQLite, AUTH_MODE=dev), signed out (sign-in form) and signed in (Connections). Median of runs.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { loadConfig } from '../src/server/config';
import { buildApp } from '../src/server/http/app';
import { engine } from '../src/server/runs/engine';
import { createRuntime } from '../src/server/runtime';
import { openDatabase } from '../src/server/store/database';
import { migrateToLatest } from '../src/server/store/migrations';
import type { BenchSection } from './section';

const RUNS = 7;
const addinDir = path.resolve(__dirname, '..', '..', 'dist', 'addin');
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const gzipKb = (file: string) =>
  Math.round((zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length / 1024) * 10) / 10;

/** Scripts taskpane.html loads itself, office.js excluded. */
function initialScripts(): string[] {
  const html = fs.readFileSync(path.join(addinDir, 'taskpane.html'), 'utf8');
  return [...html.matchAll(/<script[^>]*src=["']?([^"' >]+)/g)]
    .map((m) => m[1]!)
    .filter((src) => !src.includes('office-js'))
    .map((src) => path.join(addinDir, src.replace(/^\//, '')));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]!);
}

async function timeToView(
  page: Page,
  url: string,
  ready: () => Promise<unknown>,
): Promise<{ ms: number; js: string[] }> {
  const js = new Set<string>();
  const onResponse = (r: { url(): string }) => {
    const u = new URL(r.url());
    if (u.pathname.endsWith('.js') && !u.pathname.startsWith('/office-js/')) js.add(u.pathname);
  };
  page.on('response', onResponse);
  const t0 = performance.now();
  await page.goto(url);
  await ready();
  const ms = Math.round(performance.now() - t0);
  page.off('response', onResponse);
  return { ms, js: [...js] };
}

export const pane: BenchSection = {
  name: 'pane',
  async run() {
    if (!fs.existsSync(path.join(addinDir, 'taskpane.html'))) throw new Error('build the pane first: npm run build');
    const initial = initialScripts();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pane-'));
    const config = loadConfig({
      AUTH_MODE: 'dev',
      LOG_LEVEL: 'silent',
      DATABASE_URL: `sqlite:${path.join(dir, 'connector.db')}`,
      ADDIN_DIR: addinDir,
      CONNECTOR_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
    });
    const db = openDatabase(config.DATABASE_URL);
    await migrateToLatest(db);
    const runtime = await createRuntime(config, db, { engine });
    const app = await buildApp({ config, db, runtime });
    const origin = await app.listen({ port: 0, host: '127.0.0.1' });
    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-chromium-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: '/usr/bin/chromium',
      args: chromiumArgs,
      headless: true,
      viewport: { width: 350, height: 900 },
    });
    try {
      const tokenRes = await fetch(`${origin}/auth/dev/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'bench@example.com' }),
      });
      const { accessToken } = (await tokenRes.json()) as { accessToken: string };
      const signedOut: number[] = [];
      const signedIn: number[] = [];
      let firstViewJs: string[] = [];
      for (let i = 0; i < RUNS; i++) {
        // A new page per run with the HTTP cache disabled: every run is a first visit.
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
        const out = await timeToView(page, `${origin}/taskpane.html`, () =>
          page.getByRole('button', { name: 'Sign in' }).waitFor(),
        );
        signedOut.push(out.ms);
        await page.evaluate((t) => sessionStorage.setItem('crm-sync.devToken', t), accessToken);
        const inn = await timeToView(page, `${origin}/taskpane.html`, () => page.getByLabel('CRM system').waitFor());
        signedIn.push(inn.ms);
        firstViewJs = inn.js;
        await page.close();
      }
      const firstViewFiles = firstViewJs.map((p) => path.join(addinDir, p.replace(/^\//, '')));
      const sum = (files: string[]) => Math.round(files.reduce((n, f) => n + gzipKb(f), 0) * 10) / 10;
      return {
        initialJsGzipKb: sum(initial),
        initialJsFiles: initial.map((f) => path.basename(f)),
        targetGzipKb: 200,
        jsUntilFirstViewGzipKb: sum(firstViewFiles),
        jsUntilFirstViewFiles: firstViewFiles.map((f) => path.basename(f)),
        runs: RUNS,
        navigationToSignInMsMedian: median(signedOut),
        navigationToConnectionsMsMedian: median(signedIn),
      };
    } finally {
      await context.close();
      await app.close();
      await runtime.stop();
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
  },
};
