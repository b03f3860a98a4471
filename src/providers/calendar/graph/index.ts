export { graphConnector, openGraphProvider, type GraphOpenOptions } from './connector';
export { GraphCalendarProvider } from './provider';
export { graphNotifications } from './notifications';
export { tagPropertyId } from './mapping';
export { decorationMarker, parseBody, renderBody } from './body';
export type { TransportStats } from './transport';
