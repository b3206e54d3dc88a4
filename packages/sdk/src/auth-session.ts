import { checkCredentials, checkPassword, isPasswordCredentials } from './credential-check.js';
import { ApiError, NotAuthenticatedError, SessionExpiredError } from './errors.js';
import { DEFAULT_REFRESH_LEEWAY_MS, decodeJwtExpiry, expiryFromExpiresIn, refreshDueAt } from './token-expiry.js';

/** The tokens of a signed-in session, as handed to `onTokens` for safekeeping. */
export interface Tokens {
  readonly accessToken: string;
  /**
   * Trades for a new access token when this one expires. Absent when the API
   * issued none; the session then ends with the access token (or, with a
   * password, signs in again).
   */
  readonly refreshToken?: string | undefined;
  /** Epoch ms, by this machine's clock, after which the API rejects the access token. */
  readonly accessTokenExpiresAt: number;
  /** Epoch ms after which the refresh token stops working, when the API said. */
  readonly refreshTokenExpiresAt?: number | undefined;
}

/** Sign in with a password: the client logs in on first use and again whenever the session lapses. */
export interface PasswordCredentials {
  readonly email: string;
  readonly password: string;
}

/**
 * Resume a session with stored tokens (at least one of the two). Without
 * `accessToken` (or once it is due) the client refreshes first.
 * `accessTokenExpiresAt` is taken from the JWT's `exp` claim when not given.
 */
export interface TokenCredentials {
  readonly accessToken?: string | undefined;
  readonly refreshToken?: string | undefined;
  readonly accessTokenExpiresAt?: number | undefined;
  readonly refreshTokenExpiresAt?: number | undefined;
}

export type Credentials = PasswordCredentials | TokenCredentials;

/**
 * Lets several processes that share stored tokens take turns refreshing.
 * Refresh tokens rotate and the API treats a second use of an old one as theft
 * (it revokes the whole session), so two processes must not both refresh the
 * same token. The coordinator runs `refresh` under a lock of its choosing, or
 * returns tokens another process stored meanwhile. See the CLI for an example.
 */
export type RefreshCoordinator = (refresh: (refreshToken: string) => Promise<Tokens>, staleRefreshToken: string) => Promise<Tokens>;

/**
 * The part of a token response the session relies on. Structural, so it also
 * fits an API version that issues no refresh token.
 */
export interface TokenGrant {
  readonly access_token: string;
  /** Seconds the access token is valid for. */
  readonly expires_in: number;
  readonly refresh_token?: string | undefined;
  readonly refresh_expires_in?: number | undefined;
}

/** How the session reaches the token endpoints; the client supplies it. */
export interface TokenEndpoints {
  issue(email: string, password: string): Promise<TokenGrant>;
  rotate(refreshToken: string): Promise<TokenGrant>;
}

export interface AuthSessionOptions {
  readonly credentials?: Credentials | undefined;
  readonly onTokens?: ((tokens: Tokens) => void | Promise<void>) | undefined;
  readonly coordinateRefresh?: RefreshCoordinator | undefined;
  readonly refreshLeewayMs?: number | undefined;
  readonly now?: (() => number) | undefined;
}

interface State {
  accessToken?: string | undefined;
  refreshToken?: string | undefined;
  accessTokenExpiresAt?: number | undefined;
  refreshTokenExpiresAt?: number | undefined;
  refreshDueAt?: number | undefined;
}

/**
 * Holds the tokens and keeps a valid access token at hand. Every refresh or
 * login goes through one in-flight promise, so a burst of calls on an expiring
 * token costs exactly one request to the token endpoint.
 */
export class AuthSession {
  private state: State = {};
  private password: PasswordCredentials | undefined;
  private inflight: Promise<Tokens> | undefined;
  private readonly now: () => number;
  private readonly leewayMs: number;

  constructor(
    private readonly endpoints: TokenEndpoints,
    private readonly options: AuthSessionOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.leewayMs = options.refreshLeewayMs ?? DEFAULT_REFRESH_LEEWAY_MS;
    const credentials = options.credentials;
    // Throws MissingCredentialsError for empty or unset fields, before anything is sent.
    checkCredentials(credentials);
    if (credentials && isPasswordCredentials(credentials)) {
      this.password = { email: credentials.email, password: credentials.password };
    } else if (credentials) {
      const expiresAt =
        credentials.accessTokenExpiresAt ?? (credentials.accessToken ? decodeJwtExpiry(credentials.accessToken) : undefined);
      this.state = {
        accessToken: credentials.accessToken,
        refreshToken: credentials.refreshToken,
        accessTokenExpiresAt: expiresAt,
        refreshTokenExpiresAt: credentials.refreshTokenExpiresAt,
        refreshDueAt: expiresAt === undefined ? undefined : refreshDueAt(expiresAt, this.now(), this.leewayMs),
      };
    }
  }

  /** The current tokens, if signed in. */
  get tokens(): Tokens | undefined {
    const { accessToken, refreshToken, accessTokenExpiresAt, refreshTokenExpiresAt } = this.state;
    if (!accessToken || accessTokenExpiresAt === undefined) return undefined;
    return { accessToken, refreshToken, accessTokenExpiresAt, refreshTokenExpiresAt };
  }

  get refreshToken(): string | undefined {
    return this.state.refreshToken;
  }

  /** A usable access token: the current one, or a refreshed one when it is due. */
  async accessToken(): Promise<string> {
    const { accessToken, refreshDueAt: due, accessTokenExpiresAt, refreshToken } = this.state;
    if (accessToken && !this.inflight) {
      if (due === undefined || this.now() < due) return accessToken;
      // Nothing to renew with: use the token to its last second.
      const canRenew = Boolean(refreshToken || this.password);
      if (!canRenew && (accessTokenExpiresAt === undefined || this.now() < accessTokenExpiresAt)) return accessToken;
    }
    return (await this.renew()).accessToken;
  }

  /**
   * The API rejected `rejected` with 401. If a newer token exists (another call
   * already refreshed) use it; otherwise refresh once. Undefined when there is
   * nothing to refresh with, so the caller surfaces the 401 as it is.
   */
  async recover(rejected: string): Promise<string | undefined> {
    if (this.inflight) return (await this.inflight).accessToken;
    if (this.state.accessToken && this.state.accessToken !== rejected) return this.state.accessToken;
    if (!this.state.refreshToken && !this.password) return undefined;
    this.state = { ...this.state, accessToken: undefined };
    return (await this.renew()).accessToken;
  }

  /** Signs in with a password (the given one, or the one from the credentials). */
  async login(credentials?: PasswordCredentials): Promise<Tokens> {
    if (credentials) checkPassword(credentials);
    if (credentials) this.password = { email: credentials.email, password: credentials.password };
    const password = this.password;
    if (!password) throw new NotAuthenticatedError();
    // A refresh already under way finishes first; then this login replaces its result.
    await this.inflight?.catch(() => undefined);
    return this.singleFlight(() => this.issue(password));
  }

  /** Forgets the tokens (and the password), e.g. after logout. */
  clear(): void {
    this.state = {};
    this.password = undefined;
  }

  private renew(): Promise<Tokens> {
    return this.singleFlight(async () => {
      const { refreshToken, refreshTokenExpiresAt } = this.state;
      if (refreshToken && refreshTokenExpiresAt !== undefined && this.now() >= refreshTokenExpiresAt) {
        // Known to be dead: do not spend a request on it.
        this.state = {};
        if (this.password) return this.issue(this.password);
        throw new SessionExpiredError(undefined);
      }
      if (!refreshToken) {
        if (this.password) return this.issue(this.password);
        if (this.state.accessToken) throw new SessionExpiredError(undefined);
        throw new NotAuthenticatedError();
      }
      try {
        const coordinate = this.options.coordinateRefresh;
        const rotate = (token: string): Promise<Tokens> => this.rotate(token);
        const tokens = coordinate ? await coordinate(rotate, refreshToken) : await rotate(refreshToken);
        this.adopt(tokens);
        return tokens;
      } catch (error) {
        if (!(error instanceof ApiError) || (error.status !== 401 && error.status !== 400)) throw error;
        // The refresh token is dead (expired, revoked, or reused). With a
        // password we can quietly start a new session; without, the caller must.
        this.state = {};
        if (this.password) return this.issue(this.password);
        throw new SessionExpiredError(error);
      }
    });
  }

  private singleFlight(run: () => Promise<Tokens>): Promise<Tokens> {
    if (!this.inflight) {
      this.inflight = run().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  private async issue(password: PasswordCredentials): Promise<Tokens> {
    return this.accept(await this.endpoints.issue(password.email, password.password));
  }

  private async rotate(refreshToken: string): Promise<Tokens> {
    return this.accept(await this.endpoints.rotate(refreshToken));
  }

  /** Takes new tokens into use, then hands them to `onTokens` before any call goes on with them. */
  private async accept(response: TokenGrant): Promise<Tokens> {
    const receivedAt = this.now();
    const tokens: Tokens = {
      accessToken: response.access_token,
      // Tolerates an API that issues no refresh token (then the session ends with the access token).
      refreshToken: typeof response.refresh_token === 'string' ? response.refresh_token : undefined,
      accessTokenExpiresAt: expiryFromExpiresIn(response.expires_in, receivedAt),
      refreshTokenExpiresAt:
        typeof response.refresh_expires_in === 'number' ? expiryFromExpiresIn(response.refresh_expires_in, receivedAt) : undefined,
    };
    this.adopt(tokens);
    await this.options.onTokens?.(tokens);
    return tokens;
  }

  private adopt(tokens: Tokens): void {
    this.state = {
      ...tokens,
      refreshDueAt: refreshDueAt(tokens.accessTokenExpiresAt, this.now(), this.leewayMs),
    };
  }
}
