/** How the server wants the pane to sign in (see docs/addin.md). */
export type AuthConfig =
  | { mode: 'dev' }
  | {
      mode: 'entra';
      clientId: string;
      /** https://login.microsoftonline.com/<tenant or common> */
      authority: string;
      /** Scopes for the connector's own API, e.g. api://<host>/<client id>/access_as_user */
      scopes: string[];
    };

/** What the user types for the development sign-in (Entra sign-in asks nothing). */
export interface SignInInput {
  email?: string;
  /** Development sign-in only: the token carries the admin role. */
  admin?: boolean;
}

export interface SignedInAccount {
  email: string;
  name: string | null;
}

export interface TokenResult {
  accessToken: string;
  /** Epoch ms; the manager renews a minute before. */
  expiresAt: number;
  account: SignedInAccount;
}

/** One way of getting a token: NAA, MSAL in a dialog/popup, or the development sign-in. */
export interface SignInStrategy {
  readonly name: 'naa' | 'msal-dialog' | 'msal-popup' | 'dev' | 'unconfigured';
  /** Without user interaction; null when interaction is needed. */
  silent(): Promise<TokenResult | null>;
  /** With user interaction (popup, dialog or form input). */
  interactive(input?: SignInInput): Promise<TokenResult>;
  signOut(): Promise<void>;
}

export class SignInError extends Error {
  constructor(
    readonly code: 'cancelled' | 'popup-blocked' | 'failed',
    message: string,
  ) {
    super(message);
    this.name = 'SignInError';
  }
}
