/**
 * Headless Debian Chromium driven by playwright-core, with a fresh user-data dir per run, a 350 px wide pane,
 * axe-core checks and screenshots under test-artifacts/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const artifactsDir = path.resolve(__dirname, '..', '..', '..', 'test-artifacts', 'pane');

export interface PaneBrowser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchPane(width = 350, height = 900): Promise<PaneBrowser> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pane-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    args: chromiumArgs,
    headless: true,
    viewport: { width, height },
    // Fluent's motion honours prefers-reduced-motion: dialogs appear without a fade that axe could catch halfway.
    reducedMotion: 'reduce',
  });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; html?: string }[];
}

const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core on the page and returns the serious and critical violations. The script is evaluated through
 * the DevTools protocol, so the pane's Content-Security-Policy (script-src 'self') stays in force.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await settled(page);
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }
    ).axe;
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, html: (n as unknown as { html: string }).html })),
    }));
  });
  // Under forced colours (Windows high contrast) the browser paints every text and background in the user's
  // system colours, whatever the page asks for; axe still measures the page's own colours, so its contrast
  // figures describe colours nobody sees. The screenshots of that mode are looked at instead.
  const forced = await page.evaluate(() => matchMedia('(forced-colors: active)').matches);
  return violations
    .filter((v) => !(forced && v.id === 'color-contrast'))
    .map((v) => ({ ...v, nodes: v.nodes.filter((n) => !isTabsterDummy(v.id, n.html)) }))
    .filter((v) => v.nodes.length > 0 && (v.impact === 'serious' || v.impact === 'critical'))
    .map((v) => ({ ...v, nodes: v.nodes.map((n) => ({ target: n.target })) }));
}

/**
 * Fluent UI's focus manager (tabster) puts aria-hidden focus sentinels (<i data-tabster-dummy tabindex=0>) around
 * tab lists and dialogs; they hand focus on at once. axe reports them under aria-hidden-focus, a documented false
 * positive (microsoft/tabster#288; Accessibility Insights suppresses exactly these nodes). Only those nodes of
 * only that rule are dropped.
 */
function isTabsterDummy(ruleId: string, html: string): boolean {
  return ruleId === 'aria-hidden-focus' && /^<i [^>]*data-tabster-dummy/.test(html);
}

/**
 * Waits until no Web Animation is running, so colours and layout are final (a fading dialog is not). Endless ones
 * (a spinner, an indeterminate progress bar) never end and are what a waiting state shows: they are not waited for.
 */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      document
        .getAnimations()
        .every((a) => a.playState !== 'running' || a.effect?.getComputedTiming().iterations === Infinity),
    undefined,
    { timeout: 10_000 },
  );
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await settled(page);
  fs.mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
