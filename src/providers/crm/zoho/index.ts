export * from './client';
export * from './provider';
export * from './connector';
