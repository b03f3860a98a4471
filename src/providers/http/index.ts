export * from './url-policy';
export * from './safe-fetch';
export * from './retry-after';
export * from './provider-errors';
export * from './connect-error';
export * from './oauth-token';
export * from './rate-limit';
export * from './oauth-session';
