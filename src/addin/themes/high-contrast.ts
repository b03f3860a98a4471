/** Fluent's high-contrast theme, as its own chunk (see ../theme.ts). */
export { teamsHighContrastTheme as theme } from '@fluentui/react-components';
