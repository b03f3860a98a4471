export { AccountManager, NeedsSignInError, chooseStrategy } from './account-manager';
export { loadAuthConfig } from './config';
export { SignInError, type AuthConfig, type SignedInAccount, type SignInInput } from './types';
