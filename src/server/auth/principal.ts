/** Who a request is from, after its token was validated. */
export interface Principal {
  tenantId: string;
  /** Entra object id (`oid`), or the dev issuer's stable id. */
  oid: string;
  email: string;
  displayName: string | null;
  isAdmin: boolean;
}

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

/** A token was missing, malformed, forged, expired or for someone else; the message says which (never the token). */
export class AuthError extends Error {}
