/**
 * The Office theme as one of three looks the pane knows. Office gives colours, not a name, so darkness is read
 * from the body background's luminance; Windows high contrast shows up as forced colours.
 */
import { isSetSupported, officeGlobal } from './host';

export type ThemeKind = 'light' | 'dark' | 'high-contrast';

function luminance(hex: string): number | null {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (!m?.[1]) return null;
  const n = parseInt(m[1], 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

function matches(query: string): boolean {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' && window.matchMedia(query).matches;
}

export function currentTheme(): ThemeKind {
  if (matches('(forced-colors: active)')) return 'high-contrast';
  const officeTheme = officeGlobal()?.context?.officeTheme;
  if (officeTheme?.bodyBackgroundColor) {
    const l = luminance(officeTheme.bodyBackgroundColor);
    if (l !== null) return l < 0.5 ? 'dark' : 'light';
  }
  return matches('(prefers-color-scheme: dark)') ? 'dark' : 'light';
}

/**
 * Calls the listener when the user switches Office's theme while the pane is open (Office.EventType
 * .OfficeThemeChanged, Mailbox 1.14, task panes only), or the system's high contrast or dark mode changes.
 * Returns the function that stops listening.
 */
export function onThemeChanged(listener: () => void): () => void {
  const stops: (() => void)[] = [];
  // Windows high contrast switched on or off, or the system's dark mode (Outlook on the web, a browser tab), while
  // the pane is open: the media queries change, and the pane follows without a reload.
  if (typeof window !== 'undefined' && typeof window.matchMedia === 'function') {
    for (const query of ['(forced-colors: active)', '(prefers-color-scheme: dark)']) {
      const mq = window.matchMedia(query);
      if (typeof mq.addEventListener !== 'function') continue;
      mq.addEventListener('change', listener);
      stops.push(() => mq.removeEventListener('change', listener));
    }
  }
  const office = officeGlobal();
  const mailbox = office?.context?.mailbox;
  const type = office?.EventType?.OfficeThemeChanged;
  if (mailbox?.addHandlerAsync && type && isSetSupported('Mailbox', '1.14')) {
    mailbox.addHandlerAsync(type, listener);
    stops.push(() => mailbox.removeHandlerAsync(type));
  }
  return () => stops.forEach((stop) => stop());
}
