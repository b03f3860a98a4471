/**
 * The Sandbox CRM's read-only item page ("Open in CRM", and the link written into every event body) on a server
 * that signs in with Microsoft 365 (AUTH_MODE=entra): it offers the deployment's sign-in, never the development
 * sign-in (which does not exist there). The dev-mode sign-in and item view are covered by sync-flow.test.ts.
 * Headless Chromium at 350 px and wide, light, dark and forced colours.
 */
import type { Page } from 'playwright-core';
import { launchPane, screenshot, seriousViolations, type PaneBrowser } from './support/browser';
import { ensurePaneBuilt } from './support/pane-build';
import { expectFitsPane } from './support/pane-checks';
import { startServer, type E2eServer } from './support/server';

jest.setTimeout(120_000);

let server: E2eServer;
let browser: PaneBrowser;
let page: Page;

beforeAll(async () => {
  server = await startServer({
    addinDir: ensurePaneBuilt(),
    env: {
      AUTH_MODE: 'entra',
      ENTRA_CLIENT_ID: '00000000-0000-0000-0000-00000000c0de',
      ENTRA_AUTHORITY_HOST: 'https://login.invalid',
    },
  });
  browser = await launchPane();
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('in Entra mode says where the item can be seen, and offers no development sign-in', async () => {
  const devSignIn = await fetch(`${server.origin}/auth/dev/sign-in`);
  expect(devSignIn.status).toBe(404);

  await page.goto(`${server.origin}/sandbox/items/item-123`);
  const status = page.getByRole('status');
  await status.getByText(/uses your Microsoft 365 sign-in/).waitFor();
  await page.getByRole('heading', { level: 1, name: 'Open this item from Outlook' }).waitFor();
  expect(await status.textContent()).toContain('open its event in Outlook');
  expect(await page.locator('a[href*="/auth/dev/"]').count()).toBe(0);
  expect(await page.getByRole('link', { name: /sign in/i }).count()).toBe(0);

  expect(await seriousViolations(page)).toEqual([]);
  await expectFitsPane(page);
  await screenshot(page, '40-sandbox-item-entra');
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, '40-sandbox-item-entra-dark');
  await page.emulateMedia({ colorScheme: 'light', forcedColors: 'active' });
  await screenshot(page, '40-sandbox-item-entra-high-contrast');
  await page.emulateMedia({ forcedColors: 'none' });
  await page.setViewportSize({ width: 900, height: 700 });
  await screenshot(page, '40-sandbox-item-entra-wide');
});

it('in Entra mode, an expired or foreign token leads to the same explanation, not to a dead sign-in link', async () => {
  await page.setViewportSize({ width: 350, height: 900 });
  await page.evaluate(() => sessionStorage.setItem('crm-sync.devToken', 'not-a-valid-token'));
  await page.goto(`${server.origin}/sandbox/items/item-123`);
  await page
    .getByRole('status')
    .getByText(/uses your Microsoft 365 sign-in/)
    .waitFor();
  expect(await page.locator('a[href*="/auth/dev/"]').count()).toBe(0);
});
