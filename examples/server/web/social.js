// social.js: the chat and leaderboard panels of the live page. Everything
// shown comes from the server, over the page's realtime connection: the
// history of a room is read with the chat route, new messages arrive on
// the room's channel ("chat.{id}"), a DM's room is announced on the user's
// own channel ("user.{id}", chat_joined), and the board's top changes on
// "leaderboard.moves-today". Text from other players only ever goes into
// the page as textContent.

export const BOARD = "moves-today";
const GLOBAL = "global";
const HISTORY = 50; // messages read when a room opens
const KEEP = 200; // messages kept per room
const TOP = 10;

// Social drives the two panels for one connection of one user.
export class Social {
  #kit;
  #me;
  #api;
  #el;
  #onName;
  #rooms = new Map(); // key ("room:7", or "to:5" for a DM not yet begun) → room
  #active = null; // the key shown
  #names = new Map(); // user id → username, as messages and records tell them
  #boardBusy = null; // the refresh in flight
  #boardAgain = false; // another refresh was asked for meanwhile
  #closed = false;

  // kit is the GameKit connection, me {id, username}, api the page's JSON
  // fetch (method, path) → {status, data}; onName(id, username) is told each
  // username learnt, so the player list can show names.
  constructor({ kit, me, api, onName }) {
    this.#kit = kit;
    this.#me = me;
    this.#api = api;
    this.#onName = onName || (() => {});
    const $ = (s) => document.querySelector(s);
    this.#el = {
      tabs: $("#chat-tabs"),
      log: $("#chat-log"),
      form: $("#chat-form"),
      input: $("#chat-input"),
      send: $("#chat-send"),
      error: $("#chat-error"),
      top: $("#top"),
      mine: $("#my-rank"),
      period: $("#board-period"),
    };
    this.#learn(me.id, me.username);
    this.#el.form.onsubmit = (e) => {
      e.preventDefault();
      this.#send();
    };
    kit.subscribe(`leaderboard.${BOARD}`, () => this.refreshBoard()).catch((err) => this.#boardError(err));
  }

  // close stops the panels and empties them.
  close() {
    this.#closed = true;
    for (const room of this.#rooms.values()) if (room.id) this.#kit.unsubscribe(`chat.${room.id}`, room.handler);
    this.#rooms.clear();
    this.#el.form.onsubmit = null;
    for (const node of [this.#el.tabs, this.#el.log, this.#el.top]) node.replaceChildren();
    this.#el.mine.textContent = "";
    this.#el.period.textContent = "";
    this.#el.error.textContent = "";
  }

  name(id) {
    return this.#names.get(id);
  }

  // load (re)reads everything: on every connection, since events may have
  // been missed while disconnected.
  async load() {
    await Promise.all([this.#loadRooms(), this.refreshBoard()]);
  }

  // onPrivate takes the events of the user's own channel that are about
  // chat or the board, and reports whether it did.
  onPrivate(event, data) {
    if (event === "chat_joined" && data && data.kind === "dm") {
      this.#joined(data);
      return true;
    }
    if (event === "chat_left" && data) {
      const room = this.#rooms.get(`room:${data.id}`);
      if (room) this.#drop(room);
      return true;
    }
    if (event === "rank") {
      this.refreshBoard();
      return true;
    }
    return false;
  }

  // openDM shows the DM with user peer, made on its first message.
  openDM(peer) {
    if (peer === this.#me.id) return;
    const room = this.#dmWith(peer) || this.#add({ key: `to:${peer}`, kind: "dm", peer });
    this.#show(room.key);
    this.#el.input.focus();
  }

  // ---- Rooms ----------------------------------------------------------------

  async #loadRooms() {
    const { status, data } = await this.#api("GET", "/api/chat/rooms/?limit=1000");
    if (this.#closed) return;
    if (status !== 200 || !data) {
      this.#el.error.textContent = `Loading the chat rooms: the server answered ${status}.`;
      return;
    }
    const list = Array.isArray(data) ? data : data.results || [];
    const global = list.find((r) => r.kind === "public" && r.name === GLOBAL);
    const loads = [];
    for (const r of list) {
      if (r !== global && r.kind !== "dm") continue; // the page shows the global room and DMs
      loads.push(this.#open(r));
    }
    if (!this.#active) {
      if (global) this.#show(`room:${global.id}`);
      else this.#el.error.textContent = `There is no room called "${GLOBAL}".`;
    }
    await Promise.all(loads);
    this.#renderTabs();
  }

  // #open adds a room the server told of, subscribes to it and reads its
  // latest messages. Subscribing first and reading next shows a message at
  // most twice, which the ids make once, and never misses one. For a
  // conversation that has just begun (fresh), the others' messages in the
  // history are new to the user: they count as unread.
  async #open(r, fresh = false) {
    let room = this.#rooms.get(`room:${r.id}`);
    if (!room) {
      let peer = null;
      if (r.kind === "dm" && Array.isArray(r.users)) peer = r.users.find((u) => u !== this.#me.id) ?? null;
      const pending = peer !== null && this.#rooms.get(`to:${peer}`);
      if (pending) {
        this.#rooms.delete(pending.key);
        pending.key = `room:${r.id}`;
        pending.id = r.id;
        this.#rooms.set(pending.key, pending);
        if (this.#active === `to:${peer}`) this.#active = pending.key;
        room = pending;
      } else {
        room = this.#add({ key: `room:${r.id}`, id: r.id, kind: r.kind, name: r.name, peer });
      }
    }
    if (!room.handler) {
      room.handler = (event, data) => this.#onRoomEvent(room, event, data);
      this.#kit
        .subscribe(`chat.${r.id}`, room.handler)
        .catch((err) => (this.#el.error.textContent = `The room ${this.#title(room)}: ${err.message}`));
    }
    if (room.peer !== null && !this.#names.has(room.peer)) this.#members(room);
    try {
      const page = await this.#kit.request("chat", "history", { room: r.id, limit: HISTORY });
      for (const m of page || []) {
        if (fresh && !room.messages.has(m.id) && m.sender !== this.#me.id && this.#active !== room.key) room.unread++;
        this.#put(room, m);
      }
    } catch (err) {
      this.#el.error.textContent = `The history of ${this.#title(room)}: ${err.message}`;
    }
    this.#renderTabs();
    if (this.#active === room.key) this.#renderLog();
  }

  async #members(room) {
    const { status, data } = await this.#api("GET", `/api/chat/rooms/${room.id}/members/`);
    if (status !== 200 || !data) return;
    for (const m of Array.isArray(data) ? data : data.results || []) this.#learn(m.user, m.username);
    this.#renderTabs();
  }

  #add(room) {
    room.messages = new Map(); // id → message
    room.unread = 0;
    this.#rooms.set(room.key, room);
    this.#renderTabs();
    return room;
  }

  #drop(room) {
    if (room.id) this.#kit.unsubscribe(`chat.${room.id}`, room.handler);
    this.#rooms.delete(room.key);
    if (this.#active === room.key) this.#active = null;
    const first = this.#rooms.keys().next();
    if (!this.#active && !first.done) this.#show(first.value);
    this.#renderTabs();
    this.#renderLog();
  }

  #dmWith(peer) {
    for (const room of this.#rooms.values()) if (room.kind === "dm" && room.peer === peer) return room;
    return null;
  }

  #joined(r) {
    this.#open(r, true);
  }

  #onRoomEvent(room, event, data) {
    if (!data || data.id == null) return;
    if (event === "room_deleted") {
      this.#drop(room);
      return;
    }
    if (event !== "message" && event !== "edited" && event !== "deleted") return;
    const fresh = !room.messages.has(data.id);
    this.#put(room, data);
    if (this.#active === room.key) {
      this.#renderLog();
    } else if (fresh && event === "message" && data.sender !== this.#me.id) {
      room.unread++;
      this.#renderTabs();
    }
  }

  #put(room, m) {
    this.#learn(m.sender, m.username);
    room.messages.set(m.id, m);
    if (room.messages.size > KEEP) {
      const oldest = Math.min(...room.messages.keys());
      room.messages.delete(oldest);
    }
  }

  #learn(id, username) {
    if (id == null || !username || this.#names.get(id) === username) return;
    this.#names.set(id, username);
    this.#onName(id, username);
  }

  // ---- Sending ----------------------------------------------------------------

  async #send() {
    const room = this.#rooms.get(this.#active);
    const body = this.#el.input.value;
    if (!room || !body.trim()) return;
    this.#el.error.textContent = "";
    this.#el.send.disabled = true;
    try {
      const args = room.id ? { room: room.id, body } : { to: room.peer, body };
      const m = await this.#kit.request("chat", "send", args);
      this.#el.input.value = "";
      if (m && m.room != null) {
        if (!room.id) await this.#open({ id: m.room, kind: "dm", users: [this.#me.id, room.peer] });
        const target = this.#rooms.get(`room:${m.room}`);
        if (target) {
          this.#put(target, m);
          if (this.#active === target.key) this.#renderLog();
        }
      }
    } catch (err) {
      this.#el.error.textContent =
        err.code === "disconnected" ? "Not connected: wait until the page reconnects." : err.message;
    } finally {
      this.#el.send.disabled = false;
      this.#el.input.focus();
    }
  }

  // ---- Drawing ----------------------------------------------------------------

  #title(room) {
    if (room.kind !== "dm") return `# ${room.name}`;
    return `@ ${this.#names.get(room.peer) || `user ${room.peer}`}`;
  }

  #show(key) {
    this.#active = key;
    const room = this.#rooms.get(key);
    if (room) room.unread = 0;
    this.#renderTabs();
    this.#renderLog();
  }

  #renderTabs() {
    const rooms = [...this.#rooms.values()].sort((a, b) => (a.kind === "dm") - (b.kind === "dm") || (a.id || Infinity) - (b.id || Infinity));
    const buttons = rooms.map((room) => {
      const b = document.createElement("button");
      b.type = "button";
      b.setAttribute("role", "tab");
      b.dataset.room = room.id || "";
      b.dataset.kind = room.kind;
      if (room.peer !== null && room.peer !== undefined) b.dataset.peer = room.peer;
      b.setAttribute("aria-selected", String(room.key === this.#active));
      b.textContent = this.#title(room);
      if (room.unread) {
        const n = document.createElement("span");
        n.className = "unread";
        n.textContent = String(room.unread);
        n.title = `${room.unread} new`;
        b.append(n);
      }
      b.onclick = () => this.#show(room.key);
      return b;
    });
    this.#el.tabs.replaceChildren(...buttons);
    const room = this.#rooms.get(this.#active);
    this.#el.input.placeholder = room ? `Message ${this.#title(room)}` : "";
    this.#el.input.disabled = !room;
  }

  #renderLog() {
    const log = this.#el.log;
    const room = this.#rooms.get(this.#active);
    const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    if (!room) {
      log.replaceChildren();
      return;
    }
    log.dataset.room = room.id || "";
    const items = [...room.messages.values()]
      .sort((a, b) => a.id - b.id)
      .map((m) => {
        const li = document.createElement("li");
        li.dataset.messageId = m.id;
        li.dataset.sender = m.sender;
        if (m.sender === this.#me.id) li.className = "own";
        const time = document.createElement("time");
        const at = new Date(m.created);
        time.dateTime = at.toISOString();
        time.textContent = at.toLocaleTimeString([], { hour12: false, hour: "2-digit", minute: "2-digit" });
        const who = document.createElement("strong");
        who.textContent = m.username || `user ${m.sender}`;
        const body = document.createElement("span");
        body.className = "body";
        if (m.deleted) {
          body.classList.add("deleted");
          body.textContent = m.deleted_by === "moderator" ? "removed by a moderator" : "deleted";
        } else {
          body.textContent = m.body;
        }
        li.append(time, who, body);
        return li;
      });
    if (!items.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = room.id ? "No messages yet. Say hello." : "Your first message starts the conversation.";
      items.push(li);
    }
    log.replaceChildren(...items);
    if (stick || items.length) log.scrollTop = log.scrollHeight;
  }

  // ---- The board --------------------------------------------------------------

  // refreshBoard reads the top and the user's own record again; calls that
  // come while one runs make one more read after it, not one each.
  refreshBoard() {
    if (this.#boardBusy) {
      this.#boardAgain = true;
      return this.#boardBusy;
    }
    this.#boardBusy = (async () => {
      try {
        do {
          this.#boardAgain = false;
          await this.#readBoard();
        } while (this.#boardAgain && !this.#closed);
      } finally {
        this.#boardBusy = null;
      }
    })();
    return this.#boardBusy;
  }

  async #readBoard() {
    let top;
    try {
      top = await this.#kit.request("leaderboard", "get", { id: BOARD, limit: TOP });
    } catch (err) {
      this.#boardError(err);
      return;
    }
    let mine = null;
    try {
      const around = await this.#kit.request("leaderboard", "around", { id: BOARD, limit: 1 });
      mine = (around.records || []).find((r) => r.user === this.#me.id) || null;
    } catch (err) {
      if (err.code !== "not_found") {
        this.#boardError(err);
        return;
      }
    }
    if (this.#closed) return;
    this.#renderBoard(top, mine);
  }

  #boardError(err) {
    this.#el.mine.textContent = `The board: ${err.message}`;
  }

  #renderBoard(page, mine) {
    const records = (page && page.records) || [];
    const items = records.map((r) => {
      this.#learn(r.user, r.username);
      const li = document.createElement("li");
      li.dataset.user = r.user;
      li.dataset.rank = r.rank;
      li.dataset.score = r.score;
      if (r.user === this.#me.id) li.className = "own";
      const rank = document.createElement("span");
      rank.className = "rank";
      rank.textContent = `#${r.rank}`;
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = r.username || `user ${r.user}`;
      const score = document.createElement("span");
      score.className = "score";
      score.textContent = String(r.score);
      li.append(rank, who, score);
      return li;
    });
    if (!items.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = "No moves yet today.";
      items.push(li);
    }
    this.#el.top.replaceChildren(...items);
    const m = this.#el.mine;
    if (mine) {
      m.dataset.rank = mine.rank;
      m.dataset.score = mine.score;
      m.textContent = `You are #${mine.rank} with ${mine.score} ${mine.score === 1 ? "move" : "moves"} today.`;
    } else {
      m.dataset.rank = "0";
      m.dataset.score = "0";
      m.textContent = "You have not moved today.";
    }
    const end = page && page.period && page.period.end;
    this.#el.period.textContent = end
      ? `Starts again at ${new Date(end).toLocaleString([], { hour12: false, dateStyle: "short", timeStyle: "short" })}.`
      : "";
  }
}
