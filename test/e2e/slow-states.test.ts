/**
 * Slow and empty states (issue 17): a connection test against a server that accepts and never answers, a calendar
 * account with no calendars, and a sync run held by a calendar server that stops answering. Real peers: a black
 * hole on 127.0.0.1, Radicale behind a proxy that holds requests on demand, the built-in Sandbox CRM, the built pane
 * in headless Chromium at 350 px (and wide), light, dark and forced colours. The browser's clock is moved forward
 * (Playwright's clock) instead of waiting 10 or 20 real seconds.
 */
import type { Page } from 'playwright-core';
import { startRadicale, type RadicaleServer } from '../support/radicale';
import { launchPane, screenshot, seriousViolations, type PaneBrowser } from './support/browser';
import { devSignIn, eventually, navigate, openPane } from './support/pane-actions';
import { ensurePaneBuilt } from './support/pane-build';
import { expectFitsPane, expectHeadingVisible } from './support/pane-checks';
import { startServer, type E2eServer } from './support/server';
import { startBlackHole, startHoldingProxy, type BlackHole, type HoldingProxy } from './support/slow-peers';

jest.setTimeout(180_000);

const ann = 'ann@example.com';
let server: E2eServer;
let browser: PaneBrowser;
let page: Page;
let radicale: RadicaleServer;
let blackHole: BlackHole;
let proxy: HoldingProxy;

async function checkView(name: string): Promise<void> {
  await screenshot(page, name);
  expect(await seriousViolations(page)).toEqual([]);
  await expectFitsPane(page);
  await expectHeadingVisible(page);
}

/** The same view in dark, forced colours and a wide pane, then back to light at 350 px. */
async function checkThemes(name: string): Promise<void> {
  // The pane follows the system's theme while open (no reload, so the state on screen stays).
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForFunction(() => {
    const el = document.elementFromPoint(1, 1);
    return el !== null && getComputedStyle(el).backgroundColor !== 'rgb(255, 255, 255)';
  });
  await checkView(`${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light', forcedColors: 'active' });
  await checkView(`${name}-high-contrast`);
  await page.emulateMedia({ forcedColors: 'none' });
  await page.setViewportSize({ width: 900, height: 900 });
  await screenshot(page, `${name}-wide`);
  await expectFitsPane(page, 900);
  await page.setViewportSize({ width: 350, height: 900 });
}

async function fillCalDav(url: string, user: string, password: string): Promise<void> {
  await page.getByRole('textbox', { name: 'CalDAV server URL' }).fill(url);
  await page.getByRole('textbox', { name: 'User name' }).fill(user);
  await page.getByRole('textbox', { name: 'App password' }).fill(password);
  await page.getByRole('button', { name: 'Connect' }).click();
}

beforeAll(async () => {
  radicale = await startRadicale({ eve: 'eve-app-password' });
  blackHole = await startBlackHole();
  proxy = await startHoldingProxy(radicale.origin);
  server = await startServer({ addinDir: ensurePaneBuilt(), allowedPrivateHosts: [blackHole.host, proxy.host] });
  browser = await launchPane();
  page = await browser.newPage();
  // The page's timers and Date run on Playwright's clock: it flows as usual, and jumps when the test says so.
  await page.clock.install();
});

afterAll(async () => {
  proxy?.release();
  await browser?.close();
  // The black hole hangs up first, so the server's pending connection test ends at once instead of at its timeout.
  await blackHole?.close();
  await server?.close();
  await proxy?.close();
  await radicale?.stop();
});

describe('slow and empty states', () => {
  it('a connection test with no answer says whom it is waiting for, and the user can stop waiting', async () => {
    await openPane(page, server.origin);
    await devSignIn(page, ann);
    await page.getByRole('tab', { name: 'Calendar' }).click();
    await page.getByLabel('Calendar server').selectOption('caldav');
    await fillCalDav(`http://${blackHole.host}/dav/`, 'eve', 'eve-app-password');
    await page.getByText('Testing the connection…').waitFor();
    await eventually(async () => blackHole.accepted() > 0, 'the server to call the black hole');
    // Nothing is said in the first seconds (most servers answer at once)…
    expect(await page.getByText(/Still waiting for/).count()).toBe(0);
    // …and after 12 s without an answer, the pane names the server and offers to stop.
    await page.clock.fastForward('00:12');
    const waiting = page.getByRole('status').filter({ hasText: 'Still waiting for' });
    await waiting.waitFor();
    expect(await waiting.textContent()).toMatch(
      new RegExp(`Still waiting for ${blackHole.host.replace(/\./g, '\\.')}… it has not answered for 1[2-9] s`),
    );
    await checkView('50-connect-still-waiting');
    await checkThemes('50-connect-still-waiting');

    await page.getByRole('button', { name: 'Stop waiting' }).click();
    await page.getByRole('alert').getByText(`Stopped waiting for ${blackHole.host}.`).waitFor();
    // The next thing to do is to check the address: the focus is there, and Connect can be pressed again.
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value)).toBe(
      `http://${blackHole.host}/dav/`,
    );
    expect(await page.getByRole('button', { name: 'Connect' }).isEnabled()).toBe(true);
    expect(await page.getByText(/Still waiting for/).count()).toBe(0);
    await checkView('51-connect-stopped-waiting');
  });

  it('an account without calendars says so and what to do; Check again finds the one made since', async () => {
    await fillCalDav(`${proxy.origin}/`, 'eve', 'eve-app-password');
    await page.locator('.fui-Badge', { hasText: 'Connected' }).waitFor();
    const empty = page.getByRole('status').filter({ hasText: 'This calendar account has no calendars yet.' });
    await empty.waitFor();
    expect(await page.getByLabel('Target calendar (receives CRM items)').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Save calendars' }).count()).toBe(0);
    await checkView('52-no-calendars');
    await checkThemes('52-no-calendars');

    await radicale.makeCalendar('eve', 'crm', 'CRM items');
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.getByLabel('Target calendar (receives CRM items)').waitFor();
    expect(await empty.count()).toBe(0);
    await page.getByRole('button', { name: 'Save calendars' }).click();
    await page.getByText('Calendars saved.').waitFor();
  });

  it('a run held by a server that stopped answering says why it takes long and that the pane can be closed', async () => {
    await page.getByRole('tab', { name: 'CRM' }).click();
    await page.getByLabel('CRM system').selectOption('sandbox');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.locator('.fui-Badge', { hasText: 'Connected' }).waitFor();
    await navigate(page, 'Automatic sync');
    proxy.hold();
    await page.getByRole('button', { name: 'Sync calendar now' }).click();
    await page.getByText('Sync in progress…').first().waitFor();
    await eventually(async () => proxy.waiting() > 0, 'the run to call the calendar server');
    expect(await page.getByText(/Still syncing/).count()).toBe(0);
    await page.clock.fastForward('00:25');
    const slow = page.getByText(/^Still syncing: this run started (2\d|3\d) s ago\./);
    await slow.waitFor();
    expect(await slow.textContent()).toContain('You can close the pane: the run goes on.');
    await checkView('53-run-still-syncing');
    await checkThemes('53-run-still-syncing');

    // The server answers again: the run ends, and so does the message.
    proxy.release();
    await page.getByText('Sync in progress…').first().waitFor({ state: 'detached', timeout: 60_000 });
    expect(await slow.count()).toBe(0);
  });
});
