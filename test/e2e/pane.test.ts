/**
 * End to end: the built pane in headless Chromium at 350 px against the real server (SQLite, AUTH_MODE=dev).
 * Every view is screenshotted under test-artifacts/pane/ and checked with axe-core (no serious or critical
 * violations). The sync flow with the Sandbox CRM and Radicale is in sync-flow.test.ts.
 */
import type { Page } from 'playwright-core';
import { launchPane, screenshot, seriousViolations, type PaneBrowser } from './support/browser';
import { devSignIn, navigate, openPane } from './support/pane-actions';
import { ensurePaneBuilt } from './support/pane-build';
import { startServer, type E2eServer } from './support/server';

jest.setTimeout(180_000);

let server: E2eServer;
let browser: PaneBrowser;
let user: Page;
let admin: Page;

async function checkView(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect(await seriousViolations(page)).toEqual([]);
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
    const providers = await server.api<{ crm: { label: string }[]; calendar: { label: string }[] }>(
      await server.token('ann@example.com'),
      'GET',
      '/providers',
    );
    const crmOptions = await user.getByLabel('CRM system').locator('option').allTextContents();
    expect(crmOptions).toEqual(['Choose a provider', ...providers.crm.map((p) => p.label)]);
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
    await checkView(user, '02-connections-calendar');
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
});
