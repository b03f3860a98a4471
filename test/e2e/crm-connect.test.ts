/**
 * End to end: connecting the vendor CRMs from the pane's dropdown against the real server, with the HubSpot and
 * Pipedrive connectors pointed at their contract-checked doubles on 127.0.0.1. HubSpot goes through OAuth in the
 * dialog (a popup outside Outlook): the server's authorize URL, the double's consent page, the server's callback,
 * the pane's Connected badge. Pipedrive goes through the API-token form with the company domain as custom URL;
 * Zoho CRM through OAuth at the data centre chosen in the form.
 */
import type { Page } from 'playwright-core';
import { calendarConnectors } from '../../src/providers/registry';
import { launchPane, screenshot, seriousViolations, type PaneBrowser } from './support/browser';
import { devSignIn, openPane } from './support/pane-actions';
import { ensurePaneBuilt } from './support/pane-build';
import { startServer, type E2eServer } from './support/server';
import { startHubSpotDouble, type HubSpotDouble } from '../support/crm-doubles/hubspot/double';
import { startPipedriveDouble, type PipedriveDouble } from '../support/crm-doubles/pipedrive/double';
import { pipedriveConnectorFor } from '../support/crm-doubles/pipedrive/connect';
import { createHubSpotConnector } from '../../src/providers/crm/hubspot';
import { startZohoDouble, type ZohoDouble } from '../support/crm-doubles/zoho/double';
import { zohoConnectorFor } from '../support/crm-doubles/zoho/connect';

jest.setTimeout(180_000);

let server: E2eServer;
let browser: PaneBrowser;
let hs: HubSpotDouble;
let pd: PipedriveDouble;
let zd: ZohoDouble;

beforeAll(async () => {
  hs = await startHubSpotDouble();
  pd = await startPipedriveDouble();
  zd = await startZohoDouble();
  server = await startServer({
    addinDir: ensurePaneBuilt(),
    allowedPrivateHosts: [hs.host, pd.host, zd.host],
    fixedPort: true,
    registry: {
      calendar: calendarConnectors,
      crm: [
        // HubSpot's consent page is the double's too (app.hubspot.com in production).
        createHubSpotConnector({ apiBase: hs.url, appBase: hs.url, searchIntervalMs: 0 }),
        pipedriveConnectorFor(pd),
        // The double is its own data centre (accounts server and API).
        zohoConnectorFor(zd),
      ],
    },
  });
  browser = await launchPane();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await hs?.close();
  await pd?.close();
  await zd?.close();
});

async function signedIn(email: string): Promise<Page> {
  const page = await browser.newPage();
  await openPane(page, server.origin);
  await devSignIn(page, email);
  await page.getByRole('heading', { level: 2, name: 'Connections' }).waitFor();
  return page;
}

describe('connecting vendor CRMs from the pane', () => {
  it('lists HubSpot, Pipedrive and Zoho CRM from their descriptors', async () => {
    const page = await signedIn('ann@example.com');
    const options = await page.getByLabel('CRM system').locator('option').allTextContents();
    expect(options).toEqual(['Choose a provider', 'HubSpot', 'Pipedrive', 'Zoho CRM']);
    await page.close();
  });

  it('HubSpot: OAuth through the dialog, then the Connected badge with the HubSpot account', async () => {
    const page = await signedIn('ann@example.com');
    await page.getByLabel('CRM system').selectOption('hubspot');
    await page.getByRole('radio', { name: 'Sign in with HubSpot' }).check();
    await page.getByText('A window opens where you sign in to the provider and grant access.').waitFor();
    await page.getByLabel('App client ID').fill(hs.clientId);
    await page.getByLabel('App client secret').fill(hs.clientSecret);
    await screenshot(page, 'crm-hubspot-oauth');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.locator('.fui-Badge', { hasText: 'Connected' }).waitFor();
    await page.getByText('Account: sally@corp.example @ HubSpot 4242').waitFor();
    await screenshot(page, 'crm-hubspot-connected');
    expect(hs.violations).toEqual([]);
    await page.close();
  });

  it('Pipedrive: the API-token form with the company domain; a wrong token is refused with its reason', async () => {
    const page = await signedIn('bob@example.com');
    await page.getByLabel('CRM system').selectOption('pipedrive');
    await page.getByRole('checkbox', { name: 'Custom URL' }).check();
    await page.getByLabel('Company domain').fill(pd.url);
    await page.getByRole('textbox', { name: 'API token' }).fill('not-a-token');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByRole('alert').getByText('The provider refused these credentials.').waitFor();
    await page.getByRole('textbox', { name: 'API token' }).fill(pd.users[1]!.token);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.locator('.fui-Badge', { hasText: 'Connected' }).waitFor();
    await page.getByText('Account: max@corp.example @ corp.pipedrive.com').waitFor();
    await screenshot(page, 'crm-pipedrive-connected');
    expect(await seriousViolations(page)).toEqual([]);
    expect(pd.violations).toEqual([]);
    await page.close();
  });

  it('Zoho CRM: the data centre from the form, OAuth through the dialog, then the Connected badge', async () => {
    const page = await signedIn('cleo@example.com');
    await page.getByLabel('CRM system').selectOption('zoho');
    await page.getByLabel('Data centre').selectOption('test');
    await page.getByRole('textbox', { name: 'Client ID (Zoho API console)' }).fill(zd.clientId);
    await page.getByLabel('Client secret').fill(zd.clientSecret);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.locator('.fui-Badge', { hasText: 'Connected' }).waitFor();
    await page.getByText('Account: sallysmith@corpx.com').waitFor();
    await screenshot(page, 'crm-zoho-connected');
    expect(await seriousViolations(page)).toEqual([]);
    expect(zd.violations).toEqual([]);
    await page.close();
  });
});
