// The signed-in session: tokens kept in sessionStorage (this tab only), the access token
// refreshed before it expires, and an expired or refused session ended for everyone listening.

import { GraphQLError, NetworkError, post } from "./graphql.js";
import { LOGIN, LOGOUT, REFRESH } from "./queries.js";

const KEY = "agentgraph.session";
// Refresh this long before expiry (at most a fifth of the token's life, for short-lived ones).
const LEAD_MS = 60_000;
const RETRY_MS = 5_000;

/**
 * Events: "change" (signed in or out), "refreshed" (new tokens, same sign-in) and "expired"
 * (detail: a message for the sign-in screen; "change" follows).
 */
export class Session extends EventTarget {
  constructor(storage = window.sessionStorage) {
    super();
    this.storage = storage;
    this.timer = null;
    this.refreshing = null;
    this.current = this.#load();
    if (this.current) this.#schedule();
  }

  get user() {
    return this.current?.user ?? null;
  }

  get signedIn() {
    return this.current !== null;
  }

  async signIn(email, password) {
    const data = await post(LOGIN, { input: { email, password } });
    this.#store(data.login);
    this.dispatchEvent(new Event("change"));
    return this.current.user;
  }

  /** Signs out here and revokes the refresh token's family on the server (best effort). */
  async signOut() {
    const session = this.current;
    this.#clear();
    this.dispatchEvent(new Event("change"));
    if (session) {
      try {
        let { accessToken, refreshToken } = session;
        if (session.expiresAt <= Date.now()) {
          // Signing out needs a valid access token: exchange once more, then revoke it all.
          ({ accessToken, refreshToken } = (await post(REFRESH, { refreshToken })).refreshToken);
        }
        await post(LOGOUT, { refreshToken }, accessToken);
      } catch {
        // Already signed out here; the access token dies on its own within its lifetime.
      }
    }
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async token() {
    const margin = Math.min(5_000, (this.current?.lifetimeMs ?? 0) / 10);
    if (this.current && this.current.expiresAt - Date.now() < margin) await this.refresh();
    if (!this.current) throw new GraphQLError({ message: "Not signed in.", extensions: { code: "UNAUTHENTICATED" } });
    return this.current.accessToken;
  }

  /**
   * Exchanges the refresh token for a new session (one exchange at a time: the refresh token
   * rotates, and presenting a used one would revoke the whole sign-in). Resolves true when
   * refreshed; a refusal ends the session; a network failure keeps it and retries later.
   */
  refresh() {
    if (!this.current) return Promise.resolve(false);
    this.refreshing ??= this.#exchange().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** Ends the session because the server refused it. */
  expire(message = "Your session has expired. Sign in again.") {
    if (!this.current) return;
    this.#clear();
    this.dispatchEvent(new CustomEvent("expired", { detail: message }));
    this.dispatchEvent(new Event("change"));
  }

  async #exchange() {
    const { refreshToken } = this.current;
    try {
      const data = await post(REFRESH, { refreshToken });
      if (this.current?.refreshToken !== refreshToken) return this.signedIn; // signed out meanwhile
      this.#store(data.refreshToken);
      this.dispatchEvent(new Event("refreshed"));
      return true;
    } catch (error) {
      if (error instanceof NetworkError) {
        this.#schedule(RETRY_MS);
        throw error;
      }
      this.expire();
      return false;
    }
  }

  #store(payload) {
    const lifetimeMs = payload.expiresIn * 1000;
    this.current = {
      accessToken: payload.accessToken,
      refreshToken: payload.refreshToken,
      expiresAt: Date.now() + lifetimeMs,
      lifetimeMs,
      user: payload.user,
    };
    this.storage.setItem(KEY, JSON.stringify(this.current));
    this.#schedule();
  }

  #schedule(delayMs = null) {
    clearTimeout(this.timer);
    const { expiresAt, lifetimeMs } = this.current;
    const lead = Math.min(LEAD_MS, lifetimeMs / 5);
    const delay = delayMs ?? Math.max(0, expiresAt - lead - Date.now());
    this.timer = setTimeout(() => this.refresh().catch(() => {}), delay);
  }

  #clear() {
    clearTimeout(this.timer);
    this.current = null;
    this.storage.removeItem(KEY);
  }

  #load() {
    try {
      const saved = JSON.parse(this.storage.getItem(KEY));
      return saved?.accessToken && saved?.refreshToken ? saved : null;
    } catch {
      return null;
    }
  }
}
