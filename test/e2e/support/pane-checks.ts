/**
 * Checks every e2e view and dialog goes through: what a user at 350 px would see go wrong first (content
 * wider than the pane, a menu or dialog covering the pane, a dialog that hides itself or loses focus, raw
 * error text).
 */
import type { Page } from 'playwright-core';

export const PANE_WIDTH = 350;

/** Nothing scrolls sideways: the page, every open dialog and menu fit the pane. */
export async function expectFitsPane(page: Page, width = PANE_WIDTH): Promise<void> {
  const wide = await page.evaluate((max) => {
    const out: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > max) out.push(`page scrollWidth ${doc.scrollWidth}`);
    for (const el of document.querySelectorAll<HTMLElement>('[role="dialog"], [role="alertdialog"], [role="menu"]')) {
      const r = el.getBoundingClientRect();
      if (el.scrollWidth > max || r.right > max + 0.5 || r.left < -0.5) {
        out.push(
          `${el.getAttribute('role')} scrollWidth ${el.scrollWidth}, ${Math.round(r.left)}–${Math.round(r.right)}`,
        );
      }
    }
    return out;
  }, width);
  expect(wide).toEqual([]);
}

/** The view's heading is what the user sees at its place: no portal or overlay covers the pane. */
export async function expectHeadingVisible(page: Page): Promise<void> {
  const onTop = await page.evaluate(() => {
    const h = document.querySelector('main h2');
    if (!h) return 'no heading';
    // elementFromPoint only sees the viewport; scrolling the document does not close Fluent's menus.
    h.scrollIntoView({ block: 'nearest' });
    const r = h.getBoundingClientRect();
    const top = document.elementFromPoint(r.left + Math.min(20, r.width / 2), r.top + r.height / 2);
    return top && (h === top || h.contains(top)) ? 'visible' : `covered by ${top?.outerHTML.slice(0, 120)}`;
  });
  expect(onTop).toBe('visible');
}

/**
 * A dialog is open, reachable by its role (so not aria-hidden), and focus is inside it, also after Fluent's
 * focus manager settled (it used to hide a dialog ~300 ms after it opened).
 */
export async function expectDialogWithFocus(page: Page): Promise<void> {
  const dialog = page.getByRole('dialog').or(page.getByRole('alertdialog'));
  await dialog.first().waitFor();
  await page.waitForTimeout(600);
  expect(await dialog.count()).toBe(1);
  expect(
    await page.evaluate(() => {
      const d = document.querySelector('[role="dialog"], [role="alertdialog"]');
      return Boolean(d && d.getAttribute('aria-hidden') !== 'true' && d.contains(document.activeElement));
    }),
  ).toBe(true);
}

/** No raw JSON and no generic failure where the user made a correctable mistake. */
export async function expectNoRawErrors(page: Page): Promise<void> {
  const text = await page.evaluate(() => document.body.innerText);
  expect(text).not.toMatch(/Something went wrong/);
  expect(text).not.toMatch(/[[{]\s*"(code|path|message|expected|origin)"/);
}
