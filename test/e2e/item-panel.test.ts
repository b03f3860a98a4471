/**
 * The item panel inside Outlook when the calendar connection is not Microsoft 365 (issue 18): the built pane in
 * headless Chromium at 350 px, with office.js replaced by a stand-in Outlook (an appointment the user attends) and
 * the lookup answered as the server answers through a CalDAV connection (the server side is tested on Radicale in
 * test/server/sandbox-caldav-flow.test.ts). Screenshots in light, dark and high contrast; axe-core on each.
 */
import type { Page, Route } from 'playwright-core';
import { launchPane, screenshot, seriousViolations, type PaneBrowser } from './support/browser';
import { devSignIn, navigate, openPane } from './support/pane-actions';
import { ensurePaneBuilt } from './support/pane-build';
import { expectFitsPane } from './support/pane-checks';
import { startServer, type E2eServer } from './support/server';

jest.setTimeout(180_000);

/** Outlook on the web, an appointment organised by a customer, Mailbox 1.14 (what the pane reads of it). */
const outlook = `
window.Office = {
  onReady: function () { return Promise.resolve({ host: 'Outlook', platform: 'OfficeOnline' }); },
  EventType: { ItemChanged: 'olkItemSelectedChanged', OfficeThemeChanged: 'officeThemeChanged' },
  MailboxEnums: { RestVersion: { v2_0: 'v2.0' } },
  context: {
    diagnostics: { platform: 'OfficeOnline' },
    requirements: { isSetSupported: function (name) { return name === 'Mailbox'; } },
    mailbox: {
      userProfile: { emailAddress: 'ann@example.com', displayName: 'Ann' },
      convertToRestId: function (id) { return 'AAMk' + id; },
      addHandlerAsync: function () {},
      removeHandlerAsync: function () {},
      item: {
        itemType: 'appointment',
        itemId: 'EwsIdOfTheInvitation',
        subject: 'Quarterly review with Contoso',
        start: new Date('2026-12-08T09:00:00.000Z'),
        end: new Date('2026-12-08T10:00:00.000Z'),
        organizer: { emailAddress: 'bea@contoso.example', displayName: 'Bea Buyer' },
        requiredAttendees: [{ emailAddress: 'ann@example.com', displayName: 'Ann' }],
        optionalAttendees: [],
      },
    },
  },
};`;

const probable = {
  match: 'probable',
  calendarName: 'CalDAV',
  items: [
    {
      crmId: 'm-1',
      type: 'meeting',
      subject: 'Quarterly review with Contoso',
      start: '2026-12-08T09:00:00.000Z',
      url: 'https://crm.example/meetings/m-1',
      syncToCalendar: true,
      cannotSyncReason: null,
      linkedEventId: '/ann/crm/quarterly-review.ics',
      lastSyncedAt: '2026-12-01T10:00:00.000Z',
      conflicts: [],
      trail: [],
      people: [],
    },
  ],
};

let server: E2eServer;
let browser: PaneBrowser;
const lookups: URL[] = [];
let answer: unknown = probable;

/** A page on the pane inside the stand-in Outlook, signed in, on This item; the theme is read at start. */
async function itemPanel(media: Parameters<Page['emulateMedia']>[0]): Promise<Page> {
  const page = await browser.newPage();
  await page.emulateMedia(media);
  await page.route('**/office-js/office.js', (r: Route) =>
    r.fulfill({ status: 200, contentType: 'text/javascript', body: outlook }),
  );
  await page.route('**/api/v1/items/lookup?*', (r: Route) => {
    lookups.push(new URL(r.request().url()));
    return r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(answer) });
  });
  await openPane(page, server.origin);
  await devSignIn(page, 'ann@example.com');
  await navigate(page, 'This item');
  return page;
}

beforeAll(async () => {
  server = await startServer({ addinDir: ensurePaneBuilt() });
  browser = await launchPane();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('shows a probable match as such, in light, dark and high contrast', async () => {
  for (const [theme, media] of [
    ['light', { colorScheme: 'light' as const, forcedColors: 'none' as const }],
    ['dark', { colorScheme: 'dark' as const, forcedColors: 'none' as const }],
    ['high-contrast', { colorScheme: 'light' as const, forcedColors: 'active' as const }],
  ] as const) {
    const page = await itemPanel(media);
    await page.getByText('Probable match').waitFor();
    await page.getByRole('link', { name: 'Open in CRM' }).waitFor();
    await screenshot(page, `40-item-probable-${theme}`);
    expect(await seriousViolations(page)).toEqual([]);
    await expectFitsPane(page);
    if (theme === 'dark') {
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(bg).not.toBe('rgb(255, 255, 255)');
    }
    await page.close();
  }
  // What Outlook shows of the item went with its (REST) id.
  expect(Object.fromEntries(lookups.at(-1)!.searchParams)).toEqual({
    eventId: 'AAMkEwsIdOfTheInvitation',
    subject: 'Quarterly review with Contoso',
    start: '2026-12-08T09:00:00.000Z',
    organizer: 'bea@contoso.example',
  });
});

it('says why nothing was found', async () => {
  answer = { items: [], match: 'unresolved', calendarName: 'Google Calendar' };
  const page = await itemPanel({ colorScheme: 'light', forcedColors: 'none' });
  await page.getByText(/connected through Google Calendar, which cannot look up an Outlook item by its id/).waitFor();
  await screenshot(page, '41-item-unresolved');
  expect(await seriousViolations(page)).toEqual([]);
  await page.close();
});
