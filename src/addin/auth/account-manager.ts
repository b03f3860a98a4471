/**
 * The one owner of sign-in (after the NAA samples' AccountManager): picks the strategy for where the pane runs,
 * keeps the current token in memory, renews it silently and tells the pane when the user must act.
 */
import type { OfficeBridge } from '../office';
import { devStrategy } from './dev-strategy';
import { naaStrategy, standardStrategy } from './msal-strategies';
import {
  SignInError,
  type AuthConfig,
  type SignedInAccount,
  type SignInInput,
  type SignInStrategy,
  type TokenResult,
} from './types';
import { systemClock, type Clock } from '../../shared/clock';

/** Renew this long before the token expires, so a request never leaves with a token that dies in flight. */
const RENEW_MARGIN_MS = 60_000;

export class NeedsSignInError extends Error {
  constructor() {
    super('sign-in required');
    this.name = 'NeedsSignInError';
  }
}

/** The server told the pane no way to sign in: say so instead of guessing. */
const unconfigured: SignInStrategy = {
  name: 'unconfigured',
  silent: async () => null,
  interactive: async () => {
    throw new SignInError('failed', 'the server has no sign-in configured');
  },
  signOut: async () => undefined,
};

export function chooseStrategy(
  config: AuthConfig | null,
  office: OfficeBridge,
  fetchImpl: typeof fetch,
): SignInStrategy {
  if (!config) return unconfigured;
  if (config.mode === 'dev') return devStrategy(fetchImpl);
  if (office.inOutlook && office.supportsNaa()) return naaStrategy(config, office);
  return standardStrategy(config, office);
}

export class AccountManager {
  private token: TokenResult | null = null;
  private pending: Promise<TokenResult | null> | null = null;

  constructor(
    readonly strategy: SignInStrategy,
    private readonly clock: Clock = systemClock,
  ) {}

  get account(): SignedInAccount | null {
    return this.token?.account ?? null;
  }

  /** Tries to sign in without the user (cached or brokered token); false when the user has to sign in. */
  async restore(): Promise<boolean> {
    return (await this.silent()) !== null;
  }

  async signIn(input?: SignInInput): Promise<SignedInAccount> {
    this.token = await this.strategy.interactive(input);
    return this.token.account;
  }

  /** A valid token for the connector's API; throws NeedsSignInError when only the user can get one. */
  async getToken(): Promise<string> {
    if (this.token && this.token.expiresAt - RENEW_MARGIN_MS > this.clock().getTime()) return this.token.accessToken;
    const renewed = await this.silent();
    if (!renewed) throw new NeedsSignInError();
    return renewed.accessToken;
  }

  /** The server refused the token: forget it so the next call renews or asks the user. */
  invalidate(): void {
    this.token = null;
  }

  async signOut(): Promise<void> {
    this.token = null;
    await this.strategy.signOut();
  }

  private silent(): Promise<TokenResult | null> {
    this.pending ??= this.strategy
      .silent()
      .catch((err: unknown) => {
        if (err instanceof SignInError) return null;
        throw err;
      })
      .then((t) => {
        if (t) this.token = t;
        return t;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }
}
