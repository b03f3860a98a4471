import { screen, within } from '@testing-library/react';

/**
 * Fluent dialogs in jsdom: tabster's modalizer cannot see layout here, never activates and leaves the surface
 * aria-hidden, so the queries include hidden nodes. Real accessibility is checked with axe in Chromium (test/e2e).
 */
export async function findDialog(role: 'alertdialog' | 'dialog' = 'alertdialog'): Promise<HTMLElement> {
  const all = await screen.findAllByRole(role, { hidden: true });
  return all[all.length - 1]!;
}

export function dialogButton(dialog: HTMLElement, name: string | RegExp): HTMLElement {
  return within(dialog).getByRole('button', { name, hidden: true });
}
