export * from './client';
export * from './mapping';
export * from './provider';
export * from './connector';
