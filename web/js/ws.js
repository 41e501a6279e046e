// A small client of the graphql-transport-ws protocol: one WebSocket carrying many
// subscriptions, ping/pong both ways, reconnection with backoff, and durable subscriptions
// resumed after the last cursor they delivered (`after:`), so a dropped connection loses nothing.

const PROTOCOL = "graphql-transport-ws";
const ACK_TIMEOUT_MS = 10_000;
const PING_EVERY_MS = 12_000;
const PONG_TIMEOUT_MS = 6_000;
// Close codes the server uses to refuse the connection_init (bad or expired token).
const AUTH_REFUSED = new Set([4401, 4403]);

/** True when cursor `a` comes after `b`. Event cursors are decimal positions in the log. */
export function cursorAfter(a, b) {
  if (b === null || b === undefined) return true;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b);
  return a !== b;
}

/** Closes a socket without the browser's error for closing one that is still connecting. */
function closeQuietly(socket, code, reason) {
  socket.onmessage = socket.onclose = null;
  if (socket.readyState === WebSocket.CONNECTING) socket.onopen = () => socket.close(code, reason);
  else {
    socket.onopen = null;
    if (socket.readyState === WebSocket.OPEN) socket.close(code, reason);
  }
}

/**
 * Events: "status" with detail {state, attempt, retryAt, resumed}; state is "connecting",
 * "live", "reconnecting" or "closed".
 */
export class SubscriptionClient extends EventTarget {
  #subscriptions = new Map();
  #socket = null;
  #acknowledged = false;
  #everLive = false;
  #attempt = 0;
  #timers = { retry: null, ack: null, ping: null, pong: null };
  #disposed = false;
  #nextId = 0;
  #onOnline = () => this.retryNow();

  /**
   * url: ws(s)://…/graphql; connectionParams: async () => the connection_init payload;
   * onAuthRefused: async () => true when new credentials are worth another try.
   */
  constructor({ url, connectionParams, onAuthRefused, baseDelayMs = 500, maxDelayMs = 10_000 }) {
    super();
    this.url = url;
    this.connectionParams = connectionParams;
    this.onAuthRefused = onAuthRefused ?? (async () => false);
    this.baseDelayMs = baseDelayMs;
    this.maxDelayMs = maxDelayMs;
    this.state = "closed";
    window.addEventListener("online", this.#onOnline);
  }

  /**
   * Starts a subscription; sink = {next(field), error(error), complete()}. A resumable one
   * passes `after: <last cursor>` whenever it (re)subscribes, starting from `cursor`.
   * Returns a handle with unsubscribe() and the current cursor.
   */
  subscribe(query, variables, sink, { resumable = false, cursor = null } = {}) {
    const subscription = { id: this.#newId(), query, variables, sink, resumable, cursor, resuming: false };
    this.#subscriptions.set(subscription.id, subscription);
    if (this.#acknowledged) this.#start(subscription);
    else if (!this.#socket && !this.#timers.retry) this.#connect();
    return {
      unsubscribe: () => {
        if (!this.#subscriptions.delete(subscription.id)) return;
        if (this.#acknowledged) this.#send({ id: subscription.id, type: "complete" });
      },
      get cursor() {
        return subscription.cursor;
      },
    };
  }

  /** Skips the backoff wait (the "Retry now" button, the browser coming back online). */
  retryNow() {
    if (this.#disposed || this.state !== "reconnecting") return;
    clearTimeout(this.#timers.retry);
    this.#timers.retry = null;
    this.#connect();
  }

  dispose() {
    this.#disposed = true;
    window.removeEventListener("online", this.#onOnline);
    for (const name of Object.keys(this.#timers)) clearTimeout(this.#timers[name]);
    const socket = this.#socket;
    this.#socket = null;
    this.#subscriptions.clear();
    if (socket) closeQuietly(socket, 1000, "done");
    this.#status("closed");
  }

  #newId() {
    this.#nextId += 1;
    return String(this.#nextId);
  }

  #status(state, extra = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("status", { detail: { state, attempt: this.#attempt, ...extra } }));
  }

  #connect() {
    this.#timers.retry = null;
    this.#status(this.#everLive ? "reconnecting" : "connecting", { connecting: true });
    const socket = new WebSocket(this.url, PROTOCOL);
    this.#socket = socket;
    socket.onopen = async () => {
      let payload;
      try {
        payload = await this.connectionParams();
      } catch {
        if (socket === this.#socket) this.#lost(socket, 4499);
        return;
      }
      if (socket !== this.#socket) return;
      this.#send({ type: "connection_init", payload });
      this.#timers.ack = setTimeout(() => this.#lost(socket, 4408), ACK_TIMEOUT_MS);
    };
    socket.onmessage = (event) => {
      if (socket === this.#socket) this.#receive(JSON.parse(event.data));
    };
    socket.onclose = (event) => this.#lost(socket, event.code);
  }

  #receive(message) {
    const subscription = this.#subscriptions.get(message.id);
    switch (message.type) {
      case "connection_ack":
        clearTimeout(this.#timers.ack);
        this.#acknowledged = true;
        this.#attempt = 0;
        this.#status("live", { resumed: this.#everLive });
        this.#everLive = true;
        for (const each of this.#subscriptions.values()) this.#start(each);
        this.#keepAlive();
        break;
      case "ping":
        this.#send({ type: "pong" });
        break;
      case "pong":
        clearTimeout(this.#timers.pong);
        break;
      case "next":
        if (subscription) this.#deliver(subscription, message.payload);
        break;
      case "error":
        if (subscription) {
          this.#subscriptions.delete(subscription.id);
          subscription.sink.error?.(message.payload?.[0] ?? { message: "Subscription refused." });
        }
        break;
      case "complete":
        if (subscription) this.#completed(subscription);
        break;
      default:
        break;
    }
  }

  #deliver(subscription, payload) {
    const error = payload.errors?.[0];
    if (error) {
      // A subscriber that fell behind is ended with the cursor to resume from.
      if (error.extensions?.code === "RATE_LIMITED" && subscription.resumable) {
        subscription.cursor = error.extensions.cursor ?? subscription.cursor;
        subscription.resuming = true;
      } else {
        subscription.sink.error?.(error);
      }
      return;
    }
    const field = payload.data ? Object.values(payload.data)[0] : null;
    if (!field) return;
    if (subscription.resumable && field.cursor) {
      if (!cursorAfter(field.cursor, subscription.cursor)) return; // already delivered
      subscription.cursor = field.cursor;
    }
    subscription.sink.next(field);
  }

  #completed(subscription) {
    this.#subscriptions.delete(subscription.id);
    if (!subscription.resuming) {
      subscription.sink.complete?.();
      return;
    }
    subscription.resuming = false;
    subscription.id = this.#newId();
    this.#subscriptions.set(subscription.id, subscription);
    this.#start(subscription);
  }

  #start(subscription) {
    const variables = { ...subscription.variables };
    if (subscription.resumable && subscription.cursor) variables.after = subscription.cursor;
    this.#send({ id: subscription.id, type: "subscribe", payload: { query: subscription.query, variables } });
  }

  #keepAlive() {
    clearInterval(this.#timers.ping);
    const socket = this.#socket;
    this.#timers.ping = setInterval(() => {
      this.#send({ type: "ping" });
      clearTimeout(this.#timers.pong);
      // No answer: the connection is dead even if the browser has not noticed yet.
      this.#timers.pong = setTimeout(() => this.#lost(socket, 4504), PONG_TIMEOUT_MS);
    }, PING_EVERY_MS);
  }

  #send(message) {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  async #lost(socket, code) {
    if (socket !== this.#socket || this.#disposed) return;
    this.#socket = null;
    this.#acknowledged = false;
    clearTimeout(this.#timers.ack);
    clearInterval(this.#timers.ping);
    clearTimeout(this.#timers.pong);
    closeQuietly(socket, 4000, "reconnecting");
    // Ids are per connection; the subscriptions start again on the next one.
    if (AUTH_REFUSED.has(code)) {
      this.#status("reconnecting", { reason: "auth" });
      if (!(await this.onAuthRefused())) {
        this.dispose();
        return;
      }
    }
    this.#schedule();
  }

  #schedule() {
    if (this.#disposed) return;
    this.#attempt += 1;
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (this.#attempt - 1));
    const delay = Math.round(ceiling * (0.5 + Math.random() / 2));
    this.#status("reconnecting", { retryAt: Date.now() + delay });
    this.#timers.retry = setTimeout(() => this.#connect(), delay);
  }
}
