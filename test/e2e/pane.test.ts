/**
 * End to end: the built pane in headless Chromium at 350 px against the real server (SQLite, AUTH_MODE=dev).
 * Every view is screenshotted under test-artifacts/pane/ and checked with axe-core (no serious or critical
 * violations). The sync flow with the Sandbox CRM and Radicale is in sync-flow.test.ts.
 */
import type { Page } from 'playwright-core';
import { launchPane, screenshot, seriousViolations, type PaneBrowser } from './support/browser';
import { devSignIn, navigate, openPane } from './support/pane-actions';
import { ensurePaneBuilt } from './support/pane-build';
import {
  expectDialogWithFocus,
  expectFieldsCapped,
  expectFitsPane,
  expectHeadingVisible,
  expectNoRawErrors,
  expectOpenListsFit,
} from './support/pane-checks';
import { startServer, type E2eServer } from './support/server';

jest.setTimeout(180_000);

let server: E2eServer;
let browser: PaneBrowser;
let user: Page;
let admin: Page;

async function checkView(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect(await seriousViolations(page)).toEqual([]);
  await expectFitsPane(page);
  if ((await page.getByRole('dialog').or(page.getByRole('alertdialog')).count()) === 0) {
    if (await page.locator('main h2').count()) await expectHeadingVisible(page);
  } else await expectDialogWithFocus(page);
}

/** Opens the Sections menu: the pane stays visible under it and nothing overflows; Escape closes it. */
async function checkSectionsMenu(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Sections' }).click();
  await page.getByRole('menuitemradio', { name: 'Connections' }).waitFor();
  await screenshot(page, name);
  await expectHeadingVisible(page);
  await expectFitsPane(page);
  await page.keyboard.press('Escape');
  await page.getByRole('menu').waitFor({ state: 'detached' });
}

beforeAll(async () => {
  server = await startServer({ addinDir: ensurePaneBuilt() });
  browser = await launchPane();
  user = await browser.newPage();
  admin = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the pane against the real server', () => {
  it('signs in with the development sign-in', async () => {
    await openPane(user, server.origin);
    await user.getByRole('heading', { name: 'Development sign-in' }).waitFor();
    await checkView(user, '00-sign-in');
    await devSignIn(user, 'ann@example.com');
    await user.getByText('Signed in as ann@example.com').waitFor();
  });

  it('shows Connections with the CRM and Calendar tabs and the server’s providers', async () => {
    await user.getByRole('heading', { level: 2, name: 'Connections' }).waitFor();
    type Entry = { label: string; available: boolean };
    const providers = await server.api<{ crm: Entry[]; calendar: Entry[] }>(
      await server.token('ann@example.com'),
      'GET',
      '/providers',
    );
    const crmOptions = await user.getByLabel('CRM system').locator('option').allTextContents();
    const named = (p: Entry) => (p.available ? p.label : `${p.label} (not available)`);
    expect(crmOptions).toEqual(['Choose a provider', ...providers.crm.map(named)]);
    await checkView(user, '01-connections-crm');
    // A provider's notes: what the admin may add on the vendor's side (Salesforce's optional field).
    await user.getByLabel('CRM system').selectOption({ label: 'Salesforce' });
    await user.getByText(/Works on a stock org/).waitFor();
    await checkView(user, '01b-connect-salesforce');
    await user.emulateMedia({ forcedColors: 'active' });
    await screenshot(user, '01b-connect-salesforce-high-contrast');
    await user.emulateMedia({ forcedColors: 'none' });
    await user.getByRole('tab', { name: 'Calendar' }).click();
    await user.getByLabel('Calendar server').waitFor();
    // Microsoft 365 without the connector's Entra app (AUTH_MODE=dev here) and Google without its OAuth
    // client are listed, and choosing one says why it cannot be used, in words for a salesperson.
    expect(providers.calendar.filter((p) => !p.available).map((p) => p.label)).toEqual(
      expect.arrayContaining(['Microsoft 365 / Outlook']),
    );
    const m365 = providers.calendar.find((p) => p.label === 'Microsoft 365 / Outlook')!;
    await user.getByLabel('Calendar server').selectOption({ label: named(m365) });
    await user.getByText('Microsoft 365 / Outlook sign-in is not set up on this server yet. Ask your admin').waitFor();
    expect(await user.getByRole('button', { name: 'Connect' }).isDisabled()).toBe(true);
    await checkView(user, '02-connections-calendar');
    await user.getByLabel('Calendar server').selectOption('');
  });

  it('loads the first view with at most 200 KB of JavaScript on the wire, compressed and cached for good', async () => {
    const page = await browser.newPage();
    const token = await server.token('ann@example.com');
    await page.addInitScript((t) => sessionStorage.setItem('crm-sync.devToken', t), token);
    const scripts: { url: string; encoding: string | undefined; cache: string | undefined; bytes: number }[] = [];
    page.on('requestfinished', (req) => {
      const url = new URL(req.url());
      if (!url.pathname.endsWith('.js') || url.pathname.startsWith('/office-js/')) return;
      void Promise.all([req.sizes(), req.response()]).then(([sizes, res]) =>
        scripts.push({
          url: url.pathname,
          encoding: res?.headers()['content-encoding'],
          cache: res?.headers()['cache-control'],
          bytes: sizes.responseBodySize,
        }),
      );
    });
    await openPane(page, server.origin);
    await page.getByLabel('CRM system').waitFor();
    const firstView = [...scripts];
    await page.close();
    const total = firstView.reduce((n, s) => n + s.bytes, 0);
    expect(firstView.length).toBeGreaterThan(1);
    expect(total).toBeLessThanOrEqual(200 * 1024);
    for (const s of firstView) {
      expect(s.encoding).toMatch(/^(br|gzip)$/);
      expect(s.cache).toBe('public, max-age=31536000, immutable');
    }
    // The menu, the dialogs, the other views and MSAL come later.
    expect(firstView.map((s) => s.url).join(' ')).not.toMatch(/sections-menu|confirm-dialog|view-sync|view-admin/);
  });

  it('shows Automatic sync, which waits for both connections', async () => {
    await navigate(user, 'Automatic sync');
    await user.getByText('Connect your CRM and your calendar first.').waitFor();
    expect(await user.getByRole('checkbox', { name: 'Enable automatic calendar sync' }).isDisabled()).toBe(true);
    await checkView(user, '03-automatic-sync');
  });

  it('changes a setting and saves it as the user’s own', async () => {
    await navigate(user, 'Sync settings');
    await user.getByLabel('When both sides changed').selectOption('most-recent-wins');
    await user.getByRole('button', { name: 'Save settings' }).click();
    await user.getByText('Settings saved.').waitFor();
    const settings = await server.api<{ details: { key: string; value: unknown; source: string }[] }>(
      await server.token('ann@example.com'),
      'GET',
      '/settings',
    );
    expect(settings.details.find((d) => d.key === 'conflictPolicy')).toMatchObject({
      value: 'most-recent-wins',
      source: 'user',
    });
    await checkView(user, '04-sync-settings');
  });

  it('marks a value out of range at its field, without raw or generic errors', async () => {
    const field = user.getByRole('spinbutton', { name: 'Task event length (minutes)' });
    await field.fill('2');
    await user.getByRole('button', { name: 'Save settings' }).click();
    await user.getByText('Enter a number of at least 5.').waitFor();
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    await expectNoRawErrors(user);
    await checkView(user, '04b-sync-settings-field-error');
    await field.fill('30');
  });

  it('marks a malformed calendar server address at its field', async () => {
    await navigate(user, 'Connections');
    await user.getByRole('tab', { name: 'Calendar' }).click();
    await user.getByLabel('Calendar server').selectOption('caldav');
    await user.getByRole('textbox', { name: 'CalDAV server URL' }).fill('calendar dot example');
    await user.getByRole('textbox', { name: 'User name' }).fill('ann');
    await user.getByRole('textbox', { name: 'App password' }).fill('secret');
    await user.getByRole('button', { name: 'Connect' }).click();
    await user.getByText('Enter a full address, starting with https://').waitFor();
    await expectNoRawErrors(user);
    await checkView(user, '02b-connections-bad-url');
  });

  it('keeps the pane visible under the Sections menu and the sync actions menu', async () => {
    await checkSectionsMenu(user, '12-sections-menu');
    await navigate(user, 'Automatic sync');
    await user.getByRole('button', { name: 'More sync actions' }).click();
    await user.getByRole('menuitem', { name: 'Reset calendar sync' }).waitFor();
    await screenshot(user, '13-sync-actions-menu');
    await expectHeadingVisible(user);
    await expectFitsPane(user);
  });

  it('asks before a reset with the action’s name, focus on Cancel, inside the pane', async () => {
    await user.getByRole('menuitem', { name: 'Reset calendar sync' }).click();
    const dialog = user.getByRole('alertdialog');
    await dialog.getByRole('button', { name: 'Reset sync' }).waitFor();
    await checkView(user, '14-reset-dialog');
    expect(await user.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('shows This item and History', async () => {
    await navigate(user, 'This item');
    await user.getByText(/Open the pane from an email or a calendar event/).waitFor();
    await checkView(user, '05-this-item');
    await navigate(user, 'History');
    await user.getByText('No runs yet.').waitFor();
    await checkView(user, '06-history');
  });

  it('lets an admin create a profile that locks a setting and assign it; the user then sees the lock', async () => {
    await openPane(admin, server.origin);
    await devSignIn(admin, 'boss@example.com', true);
    await navigate(admin, 'Admin');
    await admin.getByRole('tab', { name: 'Global settings' }).waitFor();
    await checkView(admin, '07-admin-global');

    await admin.getByRole('tab', { name: 'Sync profiles' }).click();
    await admin.getByRole('button', { name: 'Create profile' }).click();
    await admin.getByText('This field is required.').waitFor();
    expect(await admin.evaluate(() => document.activeElement?.id)).toBe('profile-name');
    await admin.getByLabel('Profile name').fill('Quiet sales');
    await admin.getByRole('checkbox', { name: 'Set Email invitations / updates' }).check();
    await admin.getByRole('checkbox', { name: 'Lock Email invitations / updates' }).check();
    await admin.getByRole('button', { name: 'Create profile' }).click();
    await admin.getByText('Profile saved.').waitFor();
    await checkView(admin, '08-admin-profiles');

    await admin.getByRole('tab', { name: 'Users' }).click();
    const select = admin.getByLabel('Profile for ann@example.com');
    await select.waitFor();
    await select.selectOption({ label: 'Quiet sales' });
    await admin.getByText('Profile assigned.').waitFor();
    await checkView(admin, '09-admin-users');

    await admin.getByRole('tab', { name: 'Audit log' }).click();
    await admin
      .getByText(/boss@example.com/)
      .first()
      .waitFor();
    await checkView(admin, '10-admin-audit');

    await user.reload();
    await user.getByRole('button', { name: 'Sections' }).waitFor();
    await navigate(user, 'Sync settings');
    const invitations = user.locator('li', { hasText: 'Email invitations / updates' });
    await invitations.getByText('Locked by the profile “Quiet sales”').waitFor();
    expect(await invitations.getByRole('combobox').count()).toBe(0);
    await checkView(user, '11-sync-settings-locked');
  });

  it('is reachable by keyboard: Tab to the section menu, open it, arrow to a section', async () => {
    await user.bringToFront();
    await user.keyboard.press('Escape');
    // From the view (focus sits on its heading after navigation), Shift+Tab walks back to the Sections menu.
    let onMenu = false;
    for (let i = 0; i < 8 && !onMenu; i++) {
      await user.keyboard.press('Shift+Tab');
      onMenu = await user.evaluate(() => document.activeElement?.getAttribute('aria-label') === 'Sections');
    }
    expect(onMenu).toBe(true);
    await user.keyboard.press('Enter');
    await user.getByRole('menuitemradio', { name: 'Connections' }).waitFor();
    // Connections, Automatic sync, Sync settings, This item, History
    for (let i = 0; i < 4; i++) await user.keyboard.press('ArrowDown');
    await user.keyboard.press('Enter');
    await user.getByRole('heading', { level: 2, name: 'History' }).waitFor();
    expect(await user.evaluate(() => document.activeElement?.textContent)).toBe('History');
  });

  it('looks right in the dark and high-contrast themes: no frame, nothing covered, nothing wider than the pane', async () => {
    for (const [theme, media] of [
      ['light', { colorScheme: 'light' as const }],
      ['dark', { colorScheme: 'dark' as const }],
      ['high-contrast', { forcedColors: 'active' as const }],
    ] as const) {
      const page = await browser.newPage();
      await page.emulateMedia(media);
      await openPane(page, server.origin);
      await devSignIn(page, 'ann@example.com');
      await page.getByRole('heading', { level: 2 }).waitFor();
      // The page's own background is the theme's: no white browser margin around the pane.
      const corner = await page.evaluate(() => {
        const el = document.elementFromPoint(1, 1);
        return el ? getComputedStyle(el).backgroundColor : null;
      });
      if (theme === 'dark') expect(corner).not.toBe('rgb(255, 255, 255)');
      await checkView(page, `30-${theme}-connections`);
      await expectOpenListsFit(page, 350, () => screenshot(page, `30b-${theme}-connections-open-list`), 0);
      await checkSectionsMenu(page, `31-${theme}-sections-menu`);
      await navigate(page, 'Automatic sync');
      await checkView(page, `32-${theme}-automatic-sync`);
      await page.getByRole('button', { name: 'More sync actions' }).click();
      await page.getByRole('menuitem', { name: 'Reset calendar sync' }).click();
      await checkView(page, `33-${theme}-reset-dialog`);
      await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
      await navigate(page, 'Sync settings');
      await checkView(page, `34-${theme}-sync-settings`);
      await expectOpenListsFit(page, 350, () => screenshot(page, `34b-${theme}-sync-settings-open-list`));
      await page.close();
    }
    // A wide pane (Outlook on the web lets users widen it; admins use a browser tab).
    const wide = await browser.newPage();
    await wide.setViewportSize({ width: 900, height: 900 });
    await openPane(wide, server.origin);
    await devSignIn(wide, 'ann@example.com');
    await navigate(wide, 'Sync settings');
    await screenshot(wide, '35-wide-sync-settings');
    await expectFitsPane(wide, 900);
    // Fields stop at 28rem (448 px) instead of stretching to 860 px, and so do their open lists.
    await expectFieldsCapped(wide, 448);
    await expectOpenListsFit(wide, 900, () => screenshot(wide, '35b-wide-sync-settings-open-list'));
    await navigate(wide, 'Connections');
    await screenshot(wide, '36-wide-connections');
    await expectFieldsCapped(wide, 448);
    await wide.close();
  });
});
