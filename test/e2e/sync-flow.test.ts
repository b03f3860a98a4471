/**
 * End to end, the sync flow: the built pane in headless Chromium at 350 px against the real server (SQLite,
 * AUTH_MODE=dev, its own provider registry, real engine, in-process runs): the built-in Sandbox CRM and the CalDAV
 * connector on a real Radicale. Connect both sides through the pane, enable automatic sync, change a setting,
 * sync now and see the event in Radicale, preview, duplicate cleanup with Yes, reset with Yes and a re-pairing
 * run without duplicates, History.
 */
import type { Page } from 'playwright-core';
import { startRadicale, type RadicaleServer } from '../support/radicale';
import { calendarResources, putCopy } from './support/caldav-peek';
import { launchPane, screenshot, seriousViolations, type PaneBrowser } from './support/browser';
import { devSignIn, eventually, navigate, openPane } from './support/pane-actions';
import { ensurePaneBuilt } from './support/pane-build';
import { expectDialogWithFocus, expectFitsPane, expectHeadingVisible } from './support/pane-checks';
import { startServer, type E2eServer } from './support/server';
import { systemClock } from '../../src/shared/clock';

jest.setTimeout(180_000);

const ann = 'ann@example.com';
let server: E2eServer;
let browser: PaneBrowser;
let page: Page;
let radicale: RadicaleServer;
let meeting: { id: string };
const crmCollection = '/ann/crm/';

const eventsInRadicale = async () => [...(await calendarResources(radicale, 'ann', crmCollection)).values()];

async function checkView(name: string): Promise<void> {
  await screenshot(page, name);
  expect(await seriousViolations(page)).toEqual([]);
  await expectFitsPane(page);
  if ((await page.getByRole('dialog').or(page.getByRole('alertdialog')).count()) > 0) await expectDialogWithFocus(page);
  else await expectHeadingVisible(page);
}

async function syncActions(item: 'Preview' | 'Run duplicate cleanup' | 'Reset calendar sync'): Promise<void> {
  await page.getByRole('button', { name: 'More sync actions' }).click();
  await page.getByRole('menuitem', { name: item }).click();
}

async function syncNowAndWait(): Promise<void> {
  const before = (await server.api<{ runs: unknown[] }>(await server.token(ann), 'GET', '/runs?limit=50')).runs.length;
  await page.getByRole('button', { name: 'Sync calendar now' }).click();
  await eventually(async () => {
    const status = await server.api<{ running: unknown; queued: number; lastRun: unknown }>(
      await server.token(ann),
      'GET',
      '/sync/status',
    );
    const runs = (await server.api<{ runs: unknown[] }>(await server.token(ann), 'GET', '/runs?limit=50')).runs;
    return runs.length > before && !status.running && status.queued === 0;
  }, 'the run to finish');
}

beforeAll(async () => {
  radicale = await startRadicale({ ann: 'ann-app-password' });
  await radicale.makeCalendar('ann', 'calendar', 'Calendar');
  await radicale.makeCalendar('ann', 'crm', 'CRM items');
  server = await startServer({
    addinDir: ensurePaneBuilt(),
    allowedPrivateHosts: [radicale.hostPort],
  });
  browser = await launchPane();
  page = await browser.newPage();
  const tomorrow = new Date(systemClock().getTime() + 24 * 3600_000);
  tomorrow.setUTCHours(9, 0, 0, 0);
  // The salesperson's meeting, entered in the Sandbox CRM (its own REST API, as the user).
  meeting = await server.request<{ id: string }>(await server.token(ann), 'POST', '/sandbox/v1/items', {
    type: 'meeting',
    subject: 'Kick-off with Acme',
    start: tomorrow.toISOString(),
    end: new Date(tomorrow.getTime() + 3600_000).toISOString(),
    invitees: ['bob@acme.example'],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await radicale?.stop();
});

describe('sync flow through the pane', () => {
  it('connects the CRM', async () => {
    await openPane(page, server.origin);
    await devSignIn(page, ann);
    await page.getByLabel('CRM system').selectOption('sandbox');
    await page.getByText('Nothing to enter: the Sandbox CRM lives in the connector itself.').waitFor();
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.locator('.fui-Badge', { hasText: 'Connected' }).waitFor();
    await checkView('20-crm-connected');
  });

  it('shows why a calendar connection fails, then connects and picks the calendars', async () => {
    await page.getByRole('tab', { name: 'Calendar' }).click();
    await page.getByLabel('Calendar server').selectOption('caldav');
    await page.getByRole('textbox', { name: 'CalDAV server URL' }).fill(`${radicale.origin}/`);
    await page.getByRole('textbox', { name: 'User name' }).fill('ann');
    await page.getByRole('textbox', { name: 'App password' }).fill('wrong');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByRole('alert').getByText('The provider refused these credentials.').waitFor();
    await checkView('21-calendar-connect-failed');

    await page.getByRole('textbox', { name: 'App password' }).fill('ann-app-password');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.locator('.fui-Badge', { hasText: 'Connected' }).waitFor();
    await page.getByLabel('Target calendar (receives CRM items)').selectOption({ label: 'CRM items' });
    await page.getByRole('button', { name: 'Save calendars' }).click();
    await page.getByText('Calendars saved.').waitFor();
    const calendars = await server.api<{ targetCalendarId: string; sourceCalendarIds: string[] }>(
      await server.token(ann),
      'GET',
      '/connections/calendar/calendars',
    );
    expect(calendars.targetCalendarId).toContain(crmCollection);
    await checkView('22-calendar-connected');
  });

  it('enables automatic sync', async () => {
    await navigate(page, 'Automatic sync');
    await page.getByRole('checkbox', { name: 'Enable automatic calendar sync' }).check();
    await page.getByText(/Runs every 5 minutes/).waitFor();
    const status = await server.api<{ automaticSync: boolean }>(await server.token(ann), 'GET', '/sync/status');
    expect(status.automaticSync).toBe(true);
  });

  it('changes a setting', async () => {
    await navigate(page, 'Sync settings');
    await page.getByLabel('Default reminder').selectOption({ label: '30 minutes before' });
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
  });

  it('syncs now and the meeting appears in the target calendar', async () => {
    await navigate(page, 'Automatic sync');
    await syncNowAndWait();
    await page.getByText('Result of the last run').waitFor();
    // Enabling automatic sync queued a run of its own, which may have created the event before Sync now did:
    // either way exactly one run created it, once.
    await page.getByText(/^Calendar: [01] created, 0 updated, 0 deleted, 0 archived$/).waitFor();
    const { runs } = await server.api<{ runs: { calendar: { created: number } }[] }>(
      await server.token(ann),
      'GET',
      '/runs',
    );
    expect(runs.reduce((n, r) => n + r.calendar.created, 0)).toBe(1);
    const events = await eventsInRadicale();
    expect(events).toHaveLength(1);
    expect(events[0]).toContain('SUMMARY:Kick-off with Acme');
    expect(events[0]).toContain(`X-CRM-CONNECTOR-ID:${meeting.id}`);
    await checkView('23-synced');
  });

  it('previews a run: nothing left to do', async () => {
    await syncActions('Preview');
    await page.getByRole('dialog').getByText('A run now would change nothing.').waitFor();
    await checkView('24-preview');
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  });

  it('finds a duplicate event and removes it only after Yes', async () => {
    const [original] = await eventsInRadicale();
    await putCopy(radicale, 'ann', original!, `${crmCollection}copy-from-other-client.ics`);
    expect(await eventsInRadicale()).toHaveLength(2);
    await syncActions('Run duplicate cleanup');
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText(/Found 1 group of duplicates/).waitFor();
    await checkView('25-cleanup-preview');
    expect(await eventsInRadicale()).toHaveLength(2);
    await dialog.getByRole('button', { name: 'Remove 1 copy' }).click();
    await dialog.getByText('Removed 1 copy.').waitFor();
    expect(await eventsInRadicale()).toHaveLength(1);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('resets calendar sync after Yes; the next run pairs again without duplicates', async () => {
    await syncActions('Reset calendar sync');
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText(/Every event and every CRM item stays/).waitFor();
    await checkView('26-reset-confirm');
    await dialog.getByRole('button', { name: 'Reset sync' }).click();
    await page.getByText('Sync state reset. The next run pairs your items again.').waitFor();
    await syncNowAndWait();
    expect(await eventsInRadicale()).toHaveLength(1);
    const crm = await server.request<{ items: unknown[] }>(await server.token(ann), 'GET', '/sandbox/v1/items');
    expect(crm.items).toHaveLength(1);
  });

  it('shows a run it did not start, without a click', async () => {
    // The bar of the previous Sync now goes away by itself once that run is over.
    await page.getByText('Sync started.').waitFor({ state: 'detached', timeout: 15_000 });
    const created = page.getByText('Calendar: 1 created, 0 updated, 0 deleted, 0 archived');
    expect(await created.count()).toBe(0);
    const start = new Date(systemClock().getTime() + 2 * 24 * 3600_000);
    start.setUTCHours(14, 0, 0, 0);
    await server.request(await server.token(ann), 'POST', '/sandbox/v1/items', {
      type: 'call',
      subject: 'Follow-up call with Acme',
      start: start.toISOString(),
      end: new Date(start.getTime() + 1800_000).toISOString(),
      invitees: ['bob@acme.example'],
    });
    // Another client (the CLI, another Outlook window, the scheduler) starts a run through the API.
    await server.api(await server.token(ann), 'POST', '/runs', {});
    // The pane polls while visible (every 10 s when nothing runs): the result arrives without a click.
    await created.waitFor({ timeout: 45_000 });
    expect(await page.getByText('Not synced yet.').count()).toBe(0);
    await checkView('26b-live-status');
  });

  it('opens the CRM item from the link written into the event', async () => {
    const events = await eventsInRadicale();
    const kickOff = events.find((e) => e.includes('Kick-off with Acme'))!;
    const link = /\/sandbox\/items\/[\w-]+/.exec(kickOff.replace(/\r?\n[ \t]/g, ''));
    expect(link).not.toBeNull();
    const crmPage = await browser.newPage();
    await crmPage.goto(`${server.origin}${link![0]}`);
    await crmPage.getByText('Sign in to see this CRM item.').waitFor();
    await crmPage.getByRole('link', { name: 'Sign in' }).click();
    await crmPage.getByLabel('E-mail').fill(ann);
    await crmPage.getByRole('button', { name: 'Sign in' }).click();
    await crmPage.getByRole('heading', { level: 1, name: 'Kick-off with Acme' }).waitFor();
    await crmPage.getByText('bob@acme.example').waitFor();
    await screenshot(crmPage, '28-sandbox-item-page');
    await crmPage.close();
  });

  it('lists the runs in History', async () => {
    await navigate(page, 'History');
    await page.getByText('Sync now').first().waitFor();
    expect(await page.getByText('Succeeded').count()).toBeGreaterThanOrEqual(2);
    // The reset above is an entry of its own, in plain words (SPEC §7: who, when, what).
    await page.getByText(/^Reset the sync: the links between CRM items and events were forgotten/).waitFor();
    await page.getByText('Removed 1 duplicate copy.').waitFor();
    expect(await page.getByText(/^By you · /).count()).toBe(2);
    await checkView('27-history');
  });
});
