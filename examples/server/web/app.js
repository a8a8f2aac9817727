// app.js: the live demo page. Sign in, see every player, move your own, and
// watch the monsters and your gifts arrive. Everything the page shows comes
// from the server: a move is drawn when the server has saved it, never
// before, so a refused move is seen to be refused.

import { GameKit } from "./gamekit.js";
import { Social } from "./social.js";

// MOVES are the Move buttons: Left is x − 1, Right x + 1, Up y + 1, Down
// y − 1. The board draws y growing upwards, as on a graph, so Up goes up.
const MOVES = {
  up: { dx: 0, dy: 1, label: "↑ Up" },
  left: { dx: -1, dy: 0, label: "← Left" },
  right: { dx: 1, dy: 0, label: "Right →" },
  down: { dx: 0, dy: -1, label: "↓ Down" },
};

const SESSION_KEY = "gamekit.session"; // {token, username}, for this tab only
const FEED_LIMIT = 50;
const MOVE_ERROR_MS = 4000;

const $ = (selector) => document.querySelector(selector);
const el = {
  account: $("#account"),
  me: $("#me"),
  signout: $("#signout"),
  signinPanel: $("#signin-panel"),
  signin: $("#signin"),
  username: $("#username"),
  password: $("#password"),
  signinButton: $("#signin-button"),
  registerButton: $("#register-button"),
  signinError: $("#signin-error"),
  game: $("#game"),
  status: $("#status"),
  board: $("#board"),
  players: $("#players"),
  feed: $("#feed"),
};

let kit = null; // the realtime connection while signed in
let social = null; // the chat and leaderboard panels, once the user is known
let session = null; // {token, username}
let me = null; // {id, username}
const players = new Map(); // id → {id, user, position_x, position_y}
let loadGeneration = 0;
let queued = null; // players events that arrived while the list was loading
let playersLoaded = false; // the list was loaded since signing in

// ---- Accounts -------------------------------------------------------------

// api sends a JSON request to the server and returns {status, data, headers}.
async function api(method, path, { token, body } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  let data = null;
  if (res.status !== 204) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  return { status: res.status, data, headers: res.headers };
}

// explain turns an error reply into a sentence: DRF's {"field": ["..."]},
// {"non_field_errors": [...]} or {"detail": "..."}.
function explain({ status, data, headers }) {
  if (status === 429) {
    const wait = Number(headers.get("Retry-After"));
    return wait > 0 ? `Too many attempts. Try again in ${wait} s.` : "Too many attempts. Try again later.";
  }
  if (data && typeof data.detail === "string") return data.detail;
  if (data && typeof data === "object") {
    const parts = [];
    for (const [field, messages] of Object.entries(data)) {
      const text = [].concat(messages).join(" ");
      parts.push(field === "non_field_errors" ? text : `${field}: ${text}`);
    }
    if (parts.length) return parts.join(" ");
  }
  return `The server answered ${status}.`;
}

async function signIn(register) {
  el.signinError.textContent = "";
  if (!el.signin.reportValidity()) return;
  const credentials = { username: el.username.value, password: el.password.value };
  setFormBusy(true);
  try {
    if (register) {
      const reply = await api("POST", "/api/auth/register/", { body: credentials });
      if (reply.status === 403) throw new Error("Registration is turned off on this server.");
      if (reply.status !== 201) throw new Error(explain(reply));
    }
    const reply = await api("POST", "/api/auth/token/", { body: credentials });
    if (reply.status !== 200 || !reply.data || !reply.data.token) throw new Error(explain(reply));
    el.password.value = "";
    start({ token: reply.data.token, username: credentials.username });
  } catch (err) {
    el.signinError.textContent = err instanceof TypeError ? "The server cannot be reached." : err.message;
  } finally {
    setFormBusy(false);
  }
}

function setFormBusy(busy) {
  el.signinButton.disabled = busy;
  el.registerButton.disabled = busy;
  el.signin.setAttribute("aria-busy", String(busy));
}

// signOut revokes the token (unless it is already dead) and forgets it.
async function signOut(message, revoke = true) {
  const token = session && session.token;
  stop();
  if (revoke && token) {
    try {
      await api("POST", "/api/auth/logout/", { token });
    } catch {
      // Signed out here whatever the server says.
    }
  }
  el.signinError.textContent = message || "";
  el.game.hidden = true;
  el.account.hidden = true;
  el.signinPanel.hidden = false;
  el.username.focus();
}

function stop() {
  if (social) social.close();
  social = null;
  if (kit) kit.close();
  kit = null;
  session = null;
  me = null;
  sessionStorage.removeItem(SESSION_KEY);
  players.clear();
  queued = null;
  playersLoaded = false;
  el.players.replaceChildren();
  el.board.replaceChildren();
  el.feed.replaceChildren();
}

// ---- The live part --------------------------------------------------------

function start(s) {
  session = s;
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
  el.signinPanel.hidden = true;
  el.game.hidden = false;
  el.account.hidden = false;
  el.me.textContent = s.username;

  const connection = new GameKit({
    token: s.token,
    onOpen: (info) => opened(connection, info),
    onStatus: (status) => showStatus(connection, status),
    onGap: ({ channel }) => {
      addFeed("connection", "gap", `Missed events on ${channel}; reloading.`);
      if (channel === "players") loadPlayers();
    },
    // After a reconnection the client resumes every channel where it
    // stopped, so the moves made meanwhile arrive as events; only when
    // the server no longer has them is the list reloaded. The feed
    // channels have no state to reload.
    onReload: ({ channel, reason }) => {
      if (connection !== kit || channel !== "players") return;
      const why = reason === "lost" ? "Some moves were lost" : "The moves made while disconnected are gone";
      addFeed("connection", "reload", `${why}; reloading the players.`);
      loadPlayers();
    },
  });
  kit = connection;
  connection.subscribe("players", onPlayerEvent);
  connection.subscribe("monsters", (event, data) => addFeed("monsters", event, describeMonster(event, data)));
}

async function opened(connection, { user, reconnected }) {
  if (connection !== kit) return;
  if (reconnected) addFeed("connection", "open", "Reconnected; catching up.");
  if (!me) {
    me = user || (await whoAmI());
    if (connection !== kit) return;
    if (me) {
      el.me.textContent = me.username || session.username;
      // The private channel: gifts and whatever else is for this user only.
      connection
        .subscribe(`user.${me.id}`, onPrivateEvent)
        .catch((err) => addFeed("connection", "error", `Your private channel: ${err.message}`));
      social = new Social({
        kit: connection,
        me,
        api: (method, path) => api(method, path, { token: session.token }),
        onName: () => renderList(),
      });
    }
  }
  // The first connection loads the list; later ones resume where it
  // stopped (see onReload), unless it never loaded.
  if (reconnected && playersLoaded) render();
  else loadPlayers();
  if (social) {
    social.load().catch((err) => addFeed("connection", "error", `Loading the chat and the board: ${err.message}`));
  }
}

// onPrivateEvent takes what comes on the user's own channel: gifts for the
// feed, and the chat's and the board's news for their panels.
function onPrivateEvent(event, data) {
  const handled = social !== null && social.onPrivate(event, data);
  if (!handled || event === "chat_joined") addFeed("you", event, describePrivate(event, data));
}

// whoAmI finds the user's id when the ticket did not carry it: a player's
// inventory list holds only their own inventory, which names its user.
async function whoAmI() {
  try {
    const { status, data } = await api("GET", "/api/inventories/", { token: session.token });
    const list = Array.isArray(data) ? data : data && data.results;
    if (status === 200 && list && list.length) return { id: list[0].user, username: session.username };
  } catch {
    // Below.
  }
  addFeed("connection", "error", "Could not tell which players are yours.");
  return null;
}

function showStatus(connection, status) {
  if (connection !== kit) return;
  let text = status.message;
  if (status.state === "reconnecting" && status.retryIn !== undefined) {
    text = `${status.message} Reconnecting in ${Math.ceil(status.retryIn / 1000)} s…`;
  }
  el.status.dataset.state = status.state;
  el.status.textContent = text;
  if (status.state === "reconnecting" && status.code) addFeed("connection", "closed", status.message);
  if (status.state === "closed" && status.name === "unauthorized") {
    signOut("Your session has ended. Sign in again.", false);
  }
}

// loadPlayers replaces the list with the server's. Events that arrive
// meanwhile are held and applied after it, in order: they are at least as
// new as the list, and each carries absolute positions.
async function loadPlayers() {
  const generation = ++loadGeneration;
  const held = [];
  queued = held;
  el.players.setAttribute("aria-busy", "true");
  try {
    const list = await kit.request("player", "get_list");
    if (generation !== loadGeneration) return;
    players.clear();
    for (const p of list || []) players.set(p.id, p);
    for (const [event, data] of held) applyPlayerEvent(event, data);
    playersLoaded = true;
  } catch (err) {
    if (generation === loadGeneration) addFeed("connection", "error", `Loading the players: ${err.message}`);
  } finally {
    if (generation === loadGeneration) {
      queued = null;
      el.players.setAttribute("aria-busy", "false");
      render();
    }
  }
}

function onPlayerEvent(event, data) {
  if (queued) {
    queued.push([event, data]);
    return;
  }
  applyPlayerEvent(event, data);
  render();
}

function applyPlayerEvent(event, data) {
  if (!data || data.id == null) return;
  if (event === "deleted") {
    players.delete(data.id);
  } else if (event === "created") {
    players.set(data.id, data);
  } else if (event === "updated") {
    const p = players.get(data.id);
    if (p) players.set(data.id, { ...p, ...data });
    else loadPlayers(); // a player this page has not heard of
  }
}

async function move(id, direction, item) {
  const p = players.get(id);
  const step = MOVES[direction];
  if (!p || !step || !kit || item.dataset.busy) return;
  // One move at a time per player: each is computed from the position the
  // server last confirmed.
  item.dataset.busy = "true";
  try {
    const saved = await kit.request("player", "update", {
      id,
      position_x: p.position_x + step.dx,
      position_y: p.position_y + step.dy,
    });
    if (saved && saved.id === id && players.has(id)) {
      players.set(id, { ...players.get(id), ...saved });
      render();
    }
    // The server counted the move on the board: show the new count even
    // where it changes no rank and the top (and so no event).
    if (social) social.refreshBoard();
  } catch (err) {
    showMoveError(item, err);
  } finally {
    delete item.dataset.busy;
  }
}

function showMoveError(item, err) {
  const box = item.querySelector("[data-move-error]");
  const text = err.code === "disconnected" ? "Not connected: wait until the page reconnects." : err.message;
  box.textContent = text;
  box.dataset.code = err.code;
  clearTimeout(box.timer);
  box.timer = setTimeout(() => {
    box.textContent = "";
    delete box.dataset.code;
  }, MOVE_ERROR_MS);
}

// ---- Drawing ---------------------------------------------------------------

function isMine(p) {
  return me !== null && p.user === me.id;
}

function sortedPlayers() {
  return [...players.values()].sort((a, b) => isMine(b) - isMine(a) || a.id - b.id);
}

function render() {
  renderList();
  renderBoard();
}

// renderList keeps one <li> per player, reusing elements so a focused button
// keeps its focus while others move.
function renderList() {
  const items = new Map([...el.players.children].map((li) => [Number(li.dataset.playerId), li]));
  sortedPlayers().forEach((p, i) => {
    let li = items.get(p.id);
    if (!li || (li.dataset.own === "true") !== isMine(p)) {
      const fresh = playerItem(p);
      if (li) li.replaceWith(fresh);
      li = fresh;
    }
    items.delete(p.id);
    li.dataset.x = p.position_x;
    li.dataset.y = p.position_y;
    li.querySelector("[data-position]").textContent = `(${p.position_x}, ${p.position_y})`;
    if (!isMine(p)) li.querySelector(".owner").textContent = ownerName(p);
    if (el.players.children[i] !== li) el.players.insertBefore(li, el.players.children[i] || null);
  });
  for (const li of items.values()) li.remove();
}

function playerItem(p) {
  const mine = isMine(p);
  const li = document.createElement("li");
  li.className = mine ? "player own" : "player";
  li.dataset.playerId = p.id;
  li.dataset.userId = p.user;
  li.dataset.own = String(mine);

  const name = document.createElement("span");
  name.className = "name";
  name.textContent = `Player ${p.id}`;
  const owner = document.createElement("span");
  owner.className = "owner";
  owner.textContent = mine ? "yours" : ownerName(p);
  const position = document.createElement("span");
  position.className = "position";
  position.dataset.position = "";
  position.title = "(x, y)";
  li.append(name, owner, position);

  if (mine) {
    const pad = document.createElement("div");
    pad.className = "moves";
    pad.setAttribute("role", "group");
    pad.setAttribute("aria-label", `Move player ${p.id}`);
    for (const [direction, step] of Object.entries(MOVES)) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.move = direction;
      button.dataset.playerId = p.id;
      button.textContent = step.label;
      button.title = step.dx ? `x ${step.dx > 0 ? "+" : "−"} 1` : `y ${step.dy > 0 ? "+" : "−"} 1`;
      button.addEventListener("click", () => move(p.id, direction, li));
      pad.append(button);
    }
    const error = document.createElement("p");
    error.className = "move-error";
    error.dataset.moveError = "";
    error.setAttribute("role", "status");
    li.append(pad, error);
  } else {
    const dm = document.createElement("button");
    dm.type = "button";
    dm.className = "dm";
    dm.dataset.dm = p.user;
    dm.textContent = "Message";
    dm.title = "Write to this player's owner alone";
    dm.addEventListener("click", () => social && social.openDM(p.user));
    li.append(dm);
  }
  return li;
}

// ownerName names the owner of someone else's player: by username once the
// chat or the board told it, else by id.
function ownerName(p) {
  return (social && social.name(p.user)) || `user ${p.user}`;
}

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// renderBoard draws every player on a square grid centred on (0, 0), large
// enough for the farthest one; y grows upwards.
function renderBoard() {
  const list = sortedPlayers();
  let reach = 5;
  for (const p of list) reach = Math.max(reach, Math.abs(p.position_x) + 1, Math.abs(p.position_y) + 1);
  const size = 2 * reach + 1;
  el.board.setAttribute("viewBox", `${-reach - 0.5} ${-reach - 0.5} ${size} ${size}`);
  const nodes = [svg("rect", { class: "ground", x: -reach - 0.5, y: -reach - 0.5, width: size, height: size })];
  if (reach <= 25) {
    for (let i = -reach; i <= reach; i++) {
      const cls = i === 0 ? "axis" : "grid";
      nodes.push(svg("line", { class: cls, x1: i, y1: -reach - 0.5, x2: i, y2: reach + 0.5 }));
      nodes.push(svg("line", { class: cls, x1: -reach - 0.5, y1: i, x2: reach + 0.5, y2: i }));
    }
  }
  // Others first, so your own players are drawn on top.
  const cells = new Map(); // "x,y" → how many players stand there
  for (const p of list.slice().reverse()) {
    const g = svg("g", { class: isMine(p) ? "dot own" : "dot", "data-player-id": p.id });
    g.append(
      svg("title", {}, `Player ${p.id} (user ${p.user}) at (${p.position_x}, ${p.position_y})`),
      svg("circle", { cx: p.position_x, cy: -p.position_y, r: 0.4 }),
      svg("text", { x: p.position_x, y: -p.position_y, dy: "0.18" }, String(p.id)),
    );
    nodes.push(g);
    const cell = `${p.position_x},${p.position_y}`;
    cells.set(cell, (cells.get(cell) || 0) + 1);
  }
  // Players on one spot hide one another: say how many are there.
  for (const [cell, n] of cells) {
    if (n < 2) continue;
    const [x, y] = cell.split(",").map(Number);
    nodes.push(svg("text", { class: "count", x: x + 0.38, y: -y - 0.3 }, `×${n}`));
  }
  el.board.replaceChildren(...nodes);
}

// ---- The feed ---------------------------------------------------------------

function describeMonster(event, m) {
  if (!m) return event;
  if (event === "deleted") return `Monster ${m.id} is gone.`;
  const target = m.user_being_attacked != null ? `, targeting user ${m.user_being_attacked}` : "";
  const verb = event === "created" ? "appeared" : "is now";
  return `Monster ${m.id} ${verb} ${m.state}${target} (${m.health_points} HP).`;
}

function describePrivate(event, data) {
  if (event === "gift") return "You received a gift: it is in your inventory.";
  if (event === "chat_joined") {
    const peer = data && Array.isArray(data.users) ? data.users.find((u) => !me || u !== me.id) : undefined;
    return peer === undefined ? "A new conversation: see the chat." : `A conversation with ${ownerName({ user: peer })} began: see the chat.`;
  }
  return `${event}: ${JSON.stringify(data)}`.slice(0, 200);
}

function addFeed(channel, event, text) {
  const li = document.createElement("li");
  li.dataset.channel = channel;
  li.dataset.event = event;
  const time = document.createElement("time");
  const now = new Date();
  time.dateTime = now.toISOString();
  time.textContent = now.toLocaleTimeString([], { hour12: false });
  const tag = document.createElement("span");
  tag.className = "tag";
  tag.textContent = channel;
  const body = document.createElement("span");
  body.textContent = text;
  li.append(time, tag, body);
  el.feed.prepend(li);
  while (el.feed.children.length > FEED_LIMIT) el.feed.lastElementChild.remove();
}

// ---- Wiring ------------------------------------------------------------------

el.signin.addEventListener("submit", (e) => {
  e.preventDefault();
  signIn(false);
});
el.registerButton.addEventListener("click", () => signIn(true));
el.signout.addEventListener("click", () => signOut("Signed out."));

try {
  const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY));
  if (saved && saved.token) start(saved);
} catch {
  sessionStorage.removeItem(SESSION_KEY);
}
document.documentElement.dataset.ready = "true";
