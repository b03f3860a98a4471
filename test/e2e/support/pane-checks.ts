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
    for (const el of document.querySelectorAll<HTMLElement>(
      '[role="dialog"], [role="alertdialog"], [role="menu"], [role="listbox"]',
    )) {
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

/**
 * Every drop-down on the view, opened one by one: its list is drawn in the page (a customisable select, so it can
 * be measured and kept in the pane; the browser's native list is as wide as the longest option and out of reach)
 * and no option reaches past `width`. `shoot` takes a screenshot of the first open list. Escape closes each.
 */
export async function expectOpenListsFit(
  page: Page,
  width = PANE_WIDTH,
  shoot?: () => Promise<unknown>,
  atLeast = 1,
): Promise<void> {
  const selects = page.locator('select:visible');
  const n = await selects.count();
  expect(n).toBeGreaterThanOrEqual(atLeast);
  const problems: string[] = [];
  for (let i = 0; i < n; i++) {
    const select = selects.nth(i);
    if (await select.isDisabled()) continue;
    await select.click();
    const seen = await select.evaluate((el, max) => {
      const s = el as HTMLSelectElement;
      const name = s.labels?.[0]?.textContent ?? s.getAttribute('aria-label') ?? s.id;
      const appearance = getComputedStyle(s).getPropertyValue('appearance');
      const rects = [...s.options].map((o) => o.getBoundingClientRect()).filter((r) => r.width > 0);
      const right = Math.max(...rects.map((r) => r.right));
      const left = Math.min(...rects.map((r) => r.left));
      const out: string[] = [];
      if (appearance !== 'base-select') out.push(`${name}: a native list (appearance ${appearance})`);
      else if (!s.matches(':open') || rects.length === 0) out.push(`${name}: its list did not open`);
      else if (right > max + 0.5 || left < -0.5) out.push(`${name}: list ${Math.round(left)}–${Math.round(right)}`);
      return out;
    }, width);
    problems.push(...seen);
    if (i === 0 && shoot) await shoot();
    await page.keyboard.press('Escape');
    await page.waitForFunction((el) => !(el as HTMLSelectElement).matches(':open'), await select.elementHandle());
  }
  expect(problems).toEqual([]);
}

/** In a wide pane, fields and drop-downs stop at `max` px instead of stretching across it. */
export async function expectFieldsCapped(page: Page, max: number): Promise<void> {
  const wide = await page.evaluate(
    (cap) =>
      [...document.querySelectorAll<HTMLElement>('select, input:not([type=checkbox]):not([type=radio]), textarea')]
        .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().width > cap + 0.5)
        .map((el) => `${el.tagName.toLowerCase()} ${Math.round(el.getBoundingClientRect().width)} px`),
    max,
  );
  expect(wide).toEqual([]);
}
