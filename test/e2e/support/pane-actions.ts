/** What a user does in the pane, in Playwright terms (roles and visible names, as a screen reader finds them). */
import type { Page } from 'playwright-core';

export async function openPane(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/taskpane.html`);
}

export async function devSignIn(page: Page, email: string, admin = false): Promise<void> {
  await page.getByLabel('E-mail address').fill(email);
  if (admin) await page.getByRole('checkbox', { name: 'Sign in as an admin' }).check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sections' }).waitFor();
}

export async function navigate(page: Page, section: string): Promise<void> {
  await page.getByRole('button', { name: 'Sections' }).click();
  await page.getByRole('menuitemradio', { name: section }).click();
  await page.getByRole('heading', { level: 2, name: section }).waitFor();
}

/** Polls until `check` returns a truthy value (the server finishes runs asynchronously); gives up after 60 s. */
export async function eventually<T>(check: () => Promise<T>, what: string): Promise<NonNullable<T>> {
  for (let i = 0; i < 300; i++) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`still waiting for ${what}`);
}
