/** The HTTP API contract of /api/v1, shared by the server and the pane's typed client. */
export * from './common';
export * from './me';
export * from './connections';
export * from './settings';
export * from './sync';
export * from './cleanup';
export * from './items';
export * from './admin';
export * from './routes';
