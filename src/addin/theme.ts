/** The Fluent theme for the Office theme (light, dark, high contrast): colours only ever come from tokens. */
import { teamsHighContrastTheme, webDarkTheme, webLightTheme, type Theme } from '@fluentui/react-components';
import type { ThemeKind } from './office';

export function fluentTheme(kind: ThemeKind): Theme {
  if (kind === 'high-contrast') return teamsHighContrastTheme;
  return kind === 'dark' ? webDarkTheme : webLightTheme;
}
