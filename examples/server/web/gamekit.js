// gamekit.js: a browser client for gamekit's realtime protocol.
//
// It is an ES module, so a page imports exactly what it uses, nothing lands
// on window, and it runs in strict mode; every browser that has WebSocket
// and fetch loads modules, with no build step:
//
//   <script type="module">
//     import { GameKit } from "/gamekit.js";
//
//     const kit = new GameKit({
//       token,                                          // from POST /api/auth/token/
//       onOpen: ({ reconnected }) => reconnected || load(),
//       onReload: ({ channel }) => load(),              // events were lost: reload
//       onStatus: (s) => (statusLine.textContent = s.message),
//     });
//     await kit.subscribe("players", (event, data, seq) => show(event, data));
//     const players = await kit.request("player", "get_list");
//     await kit.request("player", "update", { id: 1, position_x: 1, position_y: 0 });
//   </script>
//
// # Connecting
//
// The access token never goes into a URL: for each connection the client
// trades it for a short-lived, single-use ticket (POST /api/realtime/ticket/
// with "Authorization: Bearer TOKEN"; the reply is {"ticket", "expires_at",
// "user": {"id", "username"}}) and opens ws(s)://HOST/ws?ticket=TICKET.
// The constructor starts connecting (once the calling code has run to its
// end, so subscriptions made right after it go out with the first
// connection); close() stops for good.
//
// When a connection ends the client reconnects with exponential backoff and
// jitter, fetching a fresh ticket each time, and subscribes again to every
// channel it was subscribed to, unless CLOSE_CODES says the close code means
// "do not" (1008, a policy the server enforces), or the ticket request
// answers 401/403 (the token is no longer good): then
// it stops and reports state "closed" with fatal set.
//
// # Requests
//
// request(route, verb, args) sends {"id", "route", "verb", "args"} and
// returns a Promise of the reply's "data"; a refusal rejects it with a
// GameKitError whose code and message are the server's ("forbidden",
// "rate_limited", "bad_request", ...). The client adds its own codes:
// "disconnected" (the connection ended before the reply, or there was
// none) and "timeout" (no reply within requestTimeout). Requests are never
// re-sent after a reconnection: whether a move should be retried is the
// caller's decision.
//
// # Channels
//
// subscribe(channel, handler) calls handler(event, data, seq) for every
// event on the channel, and returns a Promise settled by the server's answer
// to the (first) subscription; unsubscribe(channel, handler) stops it.
// Events carry a per-channel sequence number: when one is skipped,
// onGap({channel, expected, got}) is called (by default it logs a warning).
//
// # Resuming
//
// The client keeps each channel's position, position(channel): the
// {epoch, seq} of the last event it delivered, or of the subscribe reply
// before any. After a reconnection it subscribes again with "since" that
// position, and the server (any process of a cluster) sends the events
// missed meanwhile, in order, before live ones; an event delivered once is
// never delivered again. When the server cannot ("recovered": false: the
// events are no longer kept, or the channel's history was lost), or later
// sends a "lost" notice, or there was no position to resume from, the
// client moves to the position the server gave and calls
// onReload({channel, reason, position}), reason "not_recovered" or "lost":
// the page reloads that channel's state (over the HTTP API, or a route).
// So a page loads its state on the first connection, and again only when
// told to.

// CLOSE_CODES says, for each websocket close code the client knows, whether
// to reconnect and what to tell a person. Codes not listed reconnect, with
// a generic message.
export const CLOSE_CODES = Object.freeze({
  1000: { name: "normal", reconnect: true, message: "The server closed the connection." },
  1001: { name: "going_away", reconnect: true, message: "The server is going away (restarting or shutting down)." },
  1006: { name: "abnormal", reconnect: true, message: "The connection was lost." },
  1008: { name: "policy", reconnect: false, message: "The server closed the connection: this client broke its policy (too many messages?). Reload the page to try again." },
  1009: { name: "too_big", reconnect: true, message: "A message was too big for the server." },
  1011: { name: "server_error", reconnect: true, message: "The server had an internal error." },
  1012: { name: "restart", reconnect: true, message: "The server is restarting." },
  1013: { name: "try_again_later", reconnect: true, message: "The server is busy; trying again later." },
  4000: { name: "slow_consumer", reconnect: true, message: "Slow consumer: you could not keep up." },
});

// GameKitError is how a request or subscription fails: code is the
// server's error code (or "disconnected", "timeout"), message its words.
export class GameKitError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = "GameKitError";
    this.code = code;
  }
}

// GameKit is one realtime connection for one signed-in user, kept open until
// close().
//
// Options:
//   token           the bearer token (required)
//   origin          where the server is; defaults to the page's origin
//   onOpen({user, reconnected})                 each time a connection opens
//   onStatus({state, message, name, code, retryIn, fatal})
//                   state is "connecting", "open", "reconnecting" or "closed"
//   onGap({channel, expected, got})             a sequence number was skipped
//   onReload({channel, reason, position})       reload the channel's state
//   requestTimeout  ms to wait for a reply; defaults to 10000
//   backoff         {base, max} in ms; defaults to {base: 500, max: 30000}:
//                   the n-th retry in a row waits between half and all of
//                   min(max, base * 2^n)
export class GameKit {
  #token;
  #origin;
  #hooks;
  #requestTimeout;
  #backoff;

  #ws = null;
  #user = null;
  #opened = false; // a connection has opened before
  #stopped = false;
  #attempt = 0; // retries in a row without a stable connection
  #retryTimer = null;
  #stableTimer = null;
  #nextID = 1;
  #pending = new Map(); // request id → {resolve, reject, timer}
  #subs = new Map(); // channel → {handlers, ready, settle, position: {epoch, seq} | null, sent}

  constructor({ token, origin = location.origin, onOpen, onStatus, onGap, onReload, requestTimeout = 10000, backoff = {} } = {}) {
    if (!token) throw new TypeError("GameKit: a token is required");
    this.#token = token;
    this.#origin = origin;
    this.#hooks = {
      onOpen: onOpen || (() => {}),
      onStatus: onStatus || (() => {}),
      onGap: onGap || ((gap) => console.warn("gamekit: missed events on", gap.channel, gap)),
      onReload: onReload || ((r) => console.warn("gamekit: reload the state of", r.channel, r)),
    };
    this.#requestTimeout = requestTimeout;
    this.#backoff = { base: 500, max: 30000, ...backoff };
    // Connect once the caller has the object, and has had the chance to
    // subscribe first.
    queueMicrotask(() => this.#connect());
  }

  // user is {id, username} of the signed-in user, once a ticket was issued.
  get user() {
    return this.#user;
  }

  // connected reports whether requests can be sent now.
  get connected() {
    return this.#ws !== null && this.#ws.readyState === WebSocket.OPEN;
  }

  // request sends route + verb with args, and resolves with the reply's data.
  request(route, verb, args) {
    const msg = { route, verb };
    if (args !== undefined) msg.args = args;
    return this.#call(msg);
  }

  // subscribe calls handler(event, data, seq) for the channel's events, now
  // and after every reconnection, until unsubscribe.
  subscribe(channel, handler) {
    let sub = this.#subs.get(channel);
    if (!sub) {
      sub = { handlers: new Set(), position: null, sent: false };
      sub.ready = new Promise((resolve, reject) => (sub.settle = { resolve, reject }));
      sub.ready.catch(() => {}); // a caller who does not await it is not an unhandled rejection
      this.#subs.set(channel, sub);
      if (this.connected) this.#sendSubscribe(channel, sub);
    }
    sub.handlers.add(handler);
    return sub.ready;
  }

  // unsubscribe stops handler (every handler when omitted) from receiving the
  // channel's events; the server is told once no handler is left.
  unsubscribe(channel, handler) {
    const sub = this.#subs.get(channel);
    if (!sub) return Promise.resolve();
    if (handler) sub.handlers.delete(handler);
    if (handler && sub.handlers.size > 0) return Promise.resolve();
    this.#subs.delete(channel);
    if (!this.connected) return Promise.resolve();
    return this.#call({ verb: "unsubscribe", channel }).then(() => undefined);
  }

  // close ends the connection for good.
  close() {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#stableTimer);
    if (this.#ws) {
      this.#ws.close(1000, "client closed");
      this.#ws = null;
    }
    this.#failPending("the client was closed");
    this.#status({ state: "closed", name: "closed", message: "Disconnected.", fatal: false });
  }

  // position is the {epoch, seq} of the last event of channel this client
  // delivered (or of its subscribe reply), or null before the reply.
  position(channel) {
    const sub = this.#subs.get(channel);
    return sub && sub.position ? { ...sub.position } : null;
  }

  #status(s) {
    this.#hook("onStatus", s);
  }

  #hook(name, arg) {
    try {
      this.#hooks[name](arg);
    } catch (err) {
      console.error(`gamekit: ${name}:`, err);
    }
  }

  async #connect() {
    if (this.#stopped) return;
    this.#status({ state: this.#opened ? "reconnecting" : "connecting", message: "Connecting…" });
    let ticket;
    try {
      ticket = await this.#fetchTicket();
    } catch (err) {
      if (this.#stopped) return;
      if (err.fatal) {
        this.#stop(err.name, err.message);
      } else {
        this.#retry(err.message, err.retryAfter || 0);
      }
      return;
    }
    if (this.#stopped) return;
    if (ticket.user) this.#user = ticket.user;
    const url = new URL("/ws", this.#origin);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("ticket", ticket.ticket);
    const ws = new WebSocket(url);
    this.#ws = ws;
    ws.onopen = () => this.#onOpen(ws);
    ws.onmessage = (ev) => this.#receive(ev.data);
    ws.onclose = (ev) => this.#onClose(ws, ev);
  }

  // fetchTicket asks for a ticket; it throws {fatal, name, message,
  // retryAfter}.
  async #fetchTicket() {
    let res;
    try {
      res = await fetch(new URL("/api/realtime/ticket/", this.#origin), {
        method: "POST",
        headers: { Authorization: `Bearer ${this.#token}`, Accept: "application/json" },
        cache: "no-store",
      });
    } catch (err) {
      throw { fatal: false, message: "The server cannot be reached." };
    }
    if (res.status === 401 || res.status === 403) {
      throw { fatal: true, name: "unauthorized", message: "Unauthorized: sign in again." };
    }
    if (!res.ok) {
      const retryAfter = Number(res.headers.get("Retry-After")) * 1000 || 0;
      throw { fatal: false, message: `The server refused a ticket (HTTP ${res.status}).`, retryAfter };
    }
    const body = await res.json();
    if (!body || typeof body.ticket !== "string") {
      throw { fatal: false, message: "The server sent no ticket." };
    }
    return body;
  }

  #onOpen(ws) {
    if (ws !== this.#ws) return;
    const reconnected = this.#opened;
    this.#opened = true;
    // Only a connection that stays up resets the backoff: a server that
    // accepts and at once closes (4000, say) is not hammered.
    this.#stableTimer = setTimeout(() => (this.#attempt = 0), 5000);
    for (const [channel, sub] of this.#subs) this.#sendSubscribe(channel, sub);
    this.#status({ state: "open", message: "Connected." });
    this.#hook("onOpen", { user: this.#user, reconnected });
  }

  #onClose(ws, ev) {
    if (ws !== this.#ws) return;
    this.#ws = null;
    clearTimeout(this.#stableTimer);
    this.#failPending("the connection closed");
    if (this.#stopped) return;
    const known = CLOSE_CODES[ev.code];
    const message = known ? known.message : `The connection closed (code ${ev.code}${ev.reason ? ": " + ev.reason : ""}).`;
    if (known && !known.reconnect) {
      this.#stop(known.name, message, ev.code);
      return;
    }
    this.#retry(message, 0, ev.code);
  }

  #stop(name, message, code) {
    this.#stopped = true;
    this.#status({ state: "closed", name, code, message, fatal: true });
  }

  #retry(message, atLeast, code) {
    const ceiling = Math.min(this.#backoff.max, this.#backoff.base * 2 ** this.#attempt);
    const delay = Math.max(atLeast, ceiling / 2 + (Math.random() * ceiling) / 2);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    const known = CLOSE_CODES[code];
    this.#status({ state: "reconnecting", name: known ? known.name : undefined, code, message, retryIn: delay });
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  // sendSubscribe subscribes, resuming from the channel's position when it
  // has one. The reply comes before the events it announces, so it is
  // handled before them.
  #sendSubscribe(channel, sub) {
    const since = sub.position;
    const again = sub.sent; // a subscription is being made again, after a reconnection
    sub.sent = true;
    const msg = { verb: "subscribe", channel };
    if (since) msg.since = { ...since };
    this.#call(msg).then(
      (reply) => {
        if (this.#subs.get(channel) !== sub) return; // unsubscribed meanwhile
        const now = reply && typeof reply.epoch === "string" ? { epoch: reply.epoch, seq: reply.seq } : null;
        if (since && reply && reply.recovered === true) {
          // The missed events follow, and move the position on.
        } else {
          sub.position = now;
          if (since || again) this.#hook("onReload", { channel, reason: "not_recovered", position: now });
        }
        sub.settle.resolve();
      },
      (err) => {
        if (err.code === "disconnected") return; // sent again on the next connection
        // Refused (forbidden, say): forget it, so it is not asked again.
        if (this.#subs.get(channel) === sub) this.#subs.delete(channel);
        sub.settle.reject(err);
      },
    );
  }

  #call(msg) {
    if (!this.connected) {
      return Promise.reject(new GameKitError("disconnected", "Not connected to the server."));
    }
    const id = this.#nextID++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new GameKitError("timeout", "The server did not answer in time."));
      }, this.#requestTimeout);
      this.#pending.set(id, { resolve, reject, timer });
      this.#ws.send(JSON.stringify({ id, ...msg }));
    });
  }

  #failPending(why) {
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(new GameKitError("disconnected", `No answer: ${why}.`));
    }
    this.#pending.clear();
  }

  #receive(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      console.warn("gamekit: a message that is not JSON:", text);
      return;
    }
    if (msg.id != null) {
      const p = this.#pending.get(msg.id);
      if (!p) return; // timed out already
      this.#pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) {
        p.resolve(msg.data);
      } else {
        const e = msg.error || {};
        p.reject(new GameKitError(e.code || "error", e.message));
      }
      return;
    }
    if (typeof msg.channel === "string" && typeof msg.event === "string") {
      this.#deliver(msg);
      return;
    }
    if (typeof msg.channel === "string" && msg.lost) {
      // Events up to msg.lost will not come: go on from there, reloaded.
      const sub = this.#subs.get(msg.channel);
      if (!sub) return;
      sub.position = { epoch: msg.lost.epoch, seq: msg.lost.seq };
      this.#hook("onReload", { channel: msg.channel, reason: "lost", position: { ...sub.position } });
      return;
    }
    if (msg.ok === false) console.warn("gamekit: the server refused a message:", msg.error);
  }

  #deliver({ channel, event, data, seq }) {
    const sub = this.#subs.get(channel);
    if (!sub) return;
    if (typeof seq === "number" && sub.position) {
      const last = sub.position.seq;
      if (seq <= last) return; // delivered already
      if (seq > last + 1) this.#hook("onGap", { channel, expected: last + 1, got: seq });
      sub.position = { epoch: sub.position.epoch, seq };
    }
    for (const handler of [...sub.handlers]) {
      try {
        handler(event, data, seq);
      } catch (err) {
        console.error(`gamekit: a handler of ${channel}:`, err);
      }
    }
  }
}
