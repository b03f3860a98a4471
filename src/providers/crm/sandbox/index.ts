export * from './repository';
export * from './provider';
export * from './connector';
export * from './item-json';
