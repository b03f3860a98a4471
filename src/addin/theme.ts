/**
 * The Fluent theme for the Office theme (light, dark, high contrast): colours only ever come from tokens.
 * Light is in the first download; dark and high contrast are their own chunks (each theme is ~20 KB of tokens
 * that most users never need), fetched before the first render when Office asks for them.
 */
import { webLightTheme, type Theme } from '@fluentui/react-components';
import type { ThemeKind } from './office';

const cache = new Map<ThemeKind, Promise<Theme>>();

export function loadFluentTheme(kind: ThemeKind): Promise<Theme> {
  let p = cache.get(kind);
  if (!p) {
    p =
      kind === 'dark'
        ? import(/* webpackChunkName: "theme-dark" */ './themes/dark.js').then((m) => m.theme)
        : kind === 'high-contrast'
          ? import(/* webpackChunkName: "theme-hc" */ './themes/high-contrast.js').then((m) => m.theme)
          : Promise.resolve(webLightTheme);
    cache.set(kind, p);
  }
  return p;
}

/** The theme at once when it is already loaded (light always is), else null. */
export function loadedFluentTheme(kind: ThemeKind): Theme | null {
  return kind === 'light' ? webLightTheme : null;
}
