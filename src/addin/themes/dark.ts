/** Fluent's dark theme, as its own chunk (see ../theme.ts). */
export { webDarkTheme as theme } from '@fluentui/react-components';
