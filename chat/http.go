package chat

import (
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/rest"
)

// HandlerOptions configure Handler; nil means defaults.
type HandlerOptions struct {
	// MaxRows caps every list of rooms, members, blocks and mutes.
	// Defaults to rest.DefaultMaxRows (1000). Pages of history have their
	// own cap, MaxPageSize.
	MaxRows int
	// Logger receives the errors answered with 500. Defaults to the logger
	// on the request's context (rest.WithLogger), else slog.Default().
	Logger *slog.Logger
}

// Handler serves the chat API. Every route needs a signed-in caller (401
// otherwise), and the store decides what the caller may do (403 with a
// detail saying why, 404 for what does not exist):
//
//	GET    /chat/rooms/                       the rooms the caller may read (an admin: all);
//	                                          ?kind=public|group|dm, ?search=, ?limit=&offset=
//	POST   /chat/rooms/                       {"name": "Raid", "kind": "group"}: a group the caller
//	                                          owns; an admin's default kind is "public"; 201
//	GET    /chat/rooms/{id}/                  a room the caller may read
//	DELETE /chat/rooms/{id}/                  a group's owner, or an admin; 204
//	GET    /chat/rooms/{id}/messages/         history, oldest first: the latest page, or
//	                                          ?before={message id} (older), ?since={message id}
//	                                          (what a reconnecting client missed); ?limit= (50,
//	                                          at most 500); an admin's ?moderation=true shows what
//	                                          moderators deleted. A full page has a Link rel="next"
//	                                          to the next one (older for before, newer for since).
//	POST   /chat/rooms/{id}/messages/         {"body": "gg"}: 201 with the message
//	PATCH  /chat/rooms/{id}/messages/{mid}/   {"body": "..."}: the sender edits; 200
//	DELETE /chat/rooms/{id}/messages/{mid}/   the sender, or an admin; 204
//	GET    /chat/rooms/{id}/members/          a group's or DM's members
//	POST   /chat/rooms/{id}/members/          {"user": 5}: a group's owner or an admin adds; 201
//	DELETE /chat/rooms/{id}/members/{user}/   the owner or an admin removes; a member leaves; 204
//	POST   /chat/dm/{user}/                   {"body": "hi"}: a DM to user, its room created on
//	                                          the first; 201 with the message (its "room" is the DM)
//	GET    /chat/blocks/                      the users the caller blocked
//	POST   /chat/blocks/                      {"user": 5}; 201
//	DELETE /chat/blocks/{user}/               204
//	GET    /chat/mutes/                       an admin: mutes in force; ?user=, ?room=, ?expired=true
//	POST   /chat/mutes/                       an admin: {"user": 5, "room": 3 or null for every
//	                                          room, "until": "2026-12-03T21:00:00Z" or "seconds":
//	                                          600, "reason": "spam"}; 201
//	DELETE /chat/mutes/{user}/                an admin: lift the mute everywhere, or ?room=3's; 204
//
// Refusals: 400 {"body": ["..."]} for a bad body (blank, over the length,
// invalid UTF-8, control characters), 403 for a room the caller is not a
// member of, a message of another's, a DM between users one of whom
// blocked the other and a muted sender (the detail says until when), 409
// for a full group, 429 with Retry-After over the rate limit.
//
// Paths are relative to where the host mounts it (with http.StripPrefix,
// or rest.API's Mount(h, "chat")), and the trailing slash is optional.
// The caller's identity comes from the request context
// (gamekit.WithIdentity).
type Handler struct {
	store   Store
	maxRows int
	mux     *rest.Mux
}

// NewHandler returns the API over store.
func NewHandler(store Store, opts *HandlerOptions) (*Handler, error) {
	if opts == nil {
		opts = &HandlerOptions{}
	}
	maxRows, err := rest.MaxRows("chat", opts.MaxRows)
	if err != nil {
		return nil, err
	}
	h := &Handler{store: store, maxRows: maxRows, mux: rest.NewMux(opts.Logger)}
	h.mux.HandleFunc("/chat/rooms", h.rooms)
	h.mux.HandleFunc("/chat/rooms/{id}", h.room)
	h.mux.HandleFunc("/chat/rooms/{id}/messages", h.messages)
	h.mux.HandleFunc("/chat/rooms/{id}/messages/{mid}", h.message)
	h.mux.HandleFunc("/chat/rooms/{id}/members", h.members)
	h.mux.HandleFunc("/chat/rooms/{id}/members/{user}", h.member)
	h.mux.HandleFunc("/chat/dm/{user}", h.direct)
	h.mux.HandleFunc("/chat/blocks", h.blocks)
	h.mux.HandleFunc("/chat/blocks/{user}", h.block)
	h.mux.HandleFunc("/chat/mutes", h.mutes)
	h.mux.HandleFunc("/chat/mutes/{user}", h.mute)
	return h, nil
}

// ServeHTTP routes a request to its resource.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// caller returns the signed-in caller and the path ids named, or writes
// the error and returns false.
func caller(w http.ResponseWriter, r *http.Request, ids ...string) (gamekit.Identity, []int64, bool) {
	values := make([]int64, len(ids))
	for i, name := range ids {
		id, err := rest.ID(r, name)
		if err != nil {
			rest.WriteError(w, r, err)
			return gamekit.Identity{}, nil, false
		}
		values[i] = id
	}
	by, err := rest.SignedIn(r)
	if err != nil {
		rest.WriteError(w, r, err)
		return gamekit.Identity{}, nil, false
	}
	return by, values, true
}

// queryID reads an optional positive id from the query: 0 when absent.
func queryID(q url.Values, name string) (int64, error) {
	s := q.Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, gamekit.Invalid(name, "Ensure this value is a positive integer.")
	}
	return n, nil
}

func noContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) rooms(w http.ResponseWriter, r *http.Request) {
	by, _, ok := caller(w, r)
	if !ok {
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q := r.URL.Query()
		page, err := rest.ParsePage(q, h.maxRows)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		opts := RoomListOptions{Kind: Kind(q.Get("kind")), Search: q.Get("search"), Limit: page.Fetch(), Offset: page.Offset}
		switch opts.Kind {
		case "", Public, Group, Direct:
		default:
			rest.WriteError(w, r, gamekit.Invalid("kind", `Choose "public", "group" or "dm".`))
			return
		}
		if !by.Admin {
			opts.Visible = by.UserID
		}
		rooms, err := h.store.Rooms(r.Context(), opts)
		rest.WriteList(w, r, page, rooms, err, func() (int, error) { return h.store.CountRooms(r.Context(), opts) })
	case http.MethodPost:
		var body struct {
			Name string `json:"name"`
			Kind Kind   `json:"kind"`
		}
		if err := rest.Decode(w, r, &body); err != nil {
			rest.WriteError(w, r, err)
			return
		}
		room := Room{Name: body.Name, Kind: body.Kind}
		if room.Kind == "" {
			room.Kind = Group
			if by.Admin {
				room.Kind = Public
			}
		}
		err := h.store.CreateRoom(r.Context(), by, &room)
		rest.Reply(w, r, http.StatusCreated, room, err)
	default:
		rest.MethodNotAllowed(w, r)
	}
}

func (h *Handler) room(w http.ResponseWriter, r *http.Request) {
	by, ids, ok := caller(w, r, "id")
	if !ok {
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		room, err := h.store.Room(r.Context(), ids[0], by)
		rest.Reply(w, r, http.StatusOK, room, err)
	case http.MethodDelete:
		noContent(w, r, h.store.DeleteRoom(r.Context(), ids[0], by))
	default:
		rest.MethodNotAllowed(w, r)
	}
}

// bodyOf is the JSON of a message to send or an edit.
type bodyOf struct {
	Body *string `json:"body"`
}

func (b bodyOf) text() (string, error) {
	if b.Body == nil {
		return "", gamekit.Invalid("body", "This field is required.")
	}
	return *b.Body, nil
}

func decodeBody(w http.ResponseWriter, r *http.Request) (string, error) {
	var b bodyOf
	if err := rest.Decode(w, r, &b); err != nil {
		return "", err
	}
	return b.text()
}

func (h *Handler) messages(w http.ResponseWriter, r *http.Request) {
	by, ids, ok := caller(w, r, "id")
	if !ok {
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q := r.URL.Query()
		var opts HistoryOptions
		bad := &gamekit.InvalidError{}
		var err error
		if opts.Before, err = queryID(q, "before"); err != nil {
			bad.Add("before", "Ensure this value is a positive integer.")
		}
		if opts.Since, err = queryID(q, "since"); err != nil {
			bad.Add("since", "Ensure this value is a positive integer.")
		}
		if s := q.Get("limit"); s != "" {
			if opts.Limit, err = strconv.Atoi(s); err != nil || opts.Limit < 1 || opts.Limit > MaxPageSize {
				bad.Add("limit", "Ensure this value is between 1 and "+strconv.Itoa(MaxPageSize)+".")
			}
		}
		switch q.Get("moderation") {
		case "", "false", "0":
		case "true", "1":
			opts.Moderation = true
		default:
			bad.Add("moderation", "Must be a valid boolean.")
		}
		if err := bad.Err(); err != nil {
			rest.WriteError(w, r, err)
			return
		}
		page, err := h.store.History(r.Context(), ids[0], by, opts)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		limit := opts.Limit
		if limit == 0 {
			limit = DefaultPageSize
		}
		if len(page) == limit {
			next := url.Values{"limit": {strconv.Itoa(limit)}}
			if opts.Since != 0 {
				next.Set("since", strconv.FormatInt(page[len(page)-1].ID, 10))
			} else {
				next.Set("before", strconv.FormatInt(page[0].ID, 10))
			}
			if opts.Moderation {
				next.Set("moderation", "true")
			}
			u := url.URL{Path: requestPath(r), RawQuery: next.Encode()}
			w.Header().Set("Link", "<"+rest.AbsoluteURL(r, u.String())+`>; rel="next"`)
		}
		rest.WriteJSON(w, r, http.StatusOK, page)
	case http.MethodPost:
		body, err := decodeBody(w, r)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		m, err := h.store.Send(r.Context(), ids[0], by, body)
		rest.Reply(w, r, http.StatusCreated, m, err)
	default:
		rest.MethodNotAllowed(w, r)
	}
}

// requestPath is the path the client asked for, before any
// http.StripPrefix.
func requestPath(r *http.Request) string {
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
		return u.Path
	}
	return r.URL.Path
}

func (h *Handler) message(w http.ResponseWriter, r *http.Request) {
	by, ids, ok := caller(w, r, "id", "mid")
	if !ok {
		return
	}
	switch r.Method {
	case http.MethodPatch:
		body, err := decodeBody(w, r)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		m, err := h.store.Edit(r.Context(), ids[0], ids[1], by, body)
		rest.Reply(w, r, http.StatusOK, m, err)
	case http.MethodDelete:
		_, err := h.store.DeleteMessage(r.Context(), ids[0], ids[1], by)
		noContent(w, r, err)
	default:
		rest.MethodNotAllowed(w, r)
	}
}

// userOf is the JSON naming a user: a member to add, a user to block.
type userOf struct {
	User *int64 `json:"user"`
}

func decodeUser(w http.ResponseWriter, r *http.Request) (int64, error) {
	var u userOf
	if err := rest.Decode(w, r, &u); err != nil {
		return 0, err
	}
	if u.User == nil {
		return 0, gamekit.Invalid("user", "This field is required.")
	}
	return *u.User, nil
}

func (h *Handler) members(w http.ResponseWriter, r *http.Request) {
	by, ids, ok := caller(w, r, "id")
	if !ok {
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		page, err := rest.ParsePage(r.URL.Query(), h.maxRows)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		members, err := h.store.Members(r.Context(), ids[0], by, page.Fetch(), page.Offset)
		rest.WriteList(w, r, page, members, err, func() (int, error) {
			room, err := h.store.Room(r.Context(), ids[0], by)
			return room.Members, err
		})
	case http.MethodPost:
		user, err := decodeUser(w, r)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		m, err := h.store.AddMember(r.Context(), ids[0], by, user)
		rest.Reply(w, r, http.StatusCreated, m, err)
	default:
		rest.MethodNotAllowed(w, r)
	}
}

func (h *Handler) member(w http.ResponseWriter, r *http.Request) {
	by, ids, ok := caller(w, r, "id", "user")
	if !ok {
		return
	}
	if r.Method != http.MethodDelete {
		rest.MethodNotAllowed(w, r)
		return
	}
	noContent(w, r, h.store.RemoveMember(r.Context(), ids[0], by, ids[1]))
}

func (h *Handler) direct(w http.ResponseWriter, r *http.Request) {
	by, ids, ok := caller(w, r, "user")
	if !ok {
		return
	}
	if r.Method != http.MethodPost {
		rest.MethodNotAllowed(w, r)
		return
	}
	body, err := decodeBody(w, r)
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	m, err := h.store.SendDirect(r.Context(), ids[0], by, body)
	rest.Reply(w, r, http.StatusCreated, m, err)
}

func (h *Handler) blocks(w http.ResponseWriter, r *http.Request) {
	by, _, ok := caller(w, r)
	if !ok {
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		blocks, err := h.store.Blocks(r.Context(), by)
		if blocks == nil {
			blocks = []Block{}
		}
		rest.Reply(w, r, http.StatusOK, blocks, err)
	case http.MethodPost:
		user, err := decodeUser(w, r)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		b, err := h.store.Block(r.Context(), by, user)
		rest.Reply(w, r, http.StatusCreated, b, err)
	default:
		rest.MethodNotAllowed(w, r)
	}
}

func (h *Handler) block(w http.ResponseWriter, r *http.Request) {
	by, ids, ok := caller(w, r, "user")
	if !ok {
		return
	}
	if r.Method != http.MethodDelete {
		rest.MethodNotAllowed(w, r)
		return
	}
	noContent(w, r, h.store.Unblock(r.Context(), by, ids[0]))
}

// muteBody is the JSON of a new mute: until a time, or for a number of
// seconds from now.
type muteBody struct {
	User    *int64     `json:"user"`
	Room    *int64     `json:"room"`
	Until   *time.Time `json:"until"`
	Seconds *int64     `json:"seconds"`
	Reason  string     `json:"reason"`
}

func (h *Handler) mutes(w http.ResponseWriter, r *http.Request) {
	by, _, ok := caller(w, r)
	if !ok {
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if err := rest.Admin(r); err != nil {
			rest.WriteError(w, r, err)
			return
		}
		q := r.URL.Query()
		page, err := rest.ParsePage(q, h.maxRows)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		opts := MuteListOptions{Limit: page.Fetch(), Offset: page.Offset, Expired: q.Get("expired") == "true"}
		bad := &gamekit.InvalidError{}
		if opts.User, err = queryID(q, "user"); err != nil {
			bad.Add("user", "Ensure this value is a positive integer.")
		}
		if opts.Room, err = queryID(q, "room"); err != nil {
			bad.Add("room", "Ensure this value is a positive integer.")
		}
		if err := bad.Err(); err != nil {
			rest.WriteError(w, r, err)
			return
		}
		mutes, err := h.store.Mutes(r.Context(), by, opts)
		rest.WriteList(w, r, page, mutes, err, func() (int, error) {
			all, err := h.store.Mutes(r.Context(), by, MuteListOptions{User: opts.User, Room: opts.Room, Expired: opts.Expired, Limit: 1 << 30})
			return len(all), err
		})
	case http.MethodPost:
		if err := rest.Admin(r); err != nil {
			rest.WriteError(w, r, err)
			return
		}
		var body muteBody
		if err := rest.Decode(w, r, &body); err != nil {
			rest.WriteError(w, r, err)
			return
		}
		bad := &gamekit.InvalidError{}
		m := Mute{Reason: body.Reason}
		if body.User == nil {
			bad.Add("user", "This field is required.")
		} else {
			m.User = *body.User
		}
		if body.Room != nil {
			if *body.Room < 1 {
				bad.Add("room", "Ensure this value is a room id, or null for every room.")
			}
			m.Room = *body.Room
		}
		switch {
		case body.Until != nil && body.Seconds != nil:
			bad.Add("until", "Give until or seconds, not both.")
		case body.Until != nil:
			m.Until = *body.Until
		case body.Seconds != nil && (*body.Seconds < 1 || *body.Seconds > 100*365*24*3600):
			bad.Add("seconds", "Ensure this value is a positive number of seconds.")
		case body.Seconds != nil:
			m.Until = time.Now().Add(time.Duration(*body.Seconds) * time.Second)
		default:
			bad.Add("until", "Give until or seconds.")
		}
		if err := bad.Err(); err != nil {
			rest.WriteError(w, r, err)
			return
		}
		m, err := h.store.Mute(r.Context(), by, m)
		rest.Reply(w, r, http.StatusCreated, m, err)
	default:
		rest.MethodNotAllowed(w, r)
	}
}

func (h *Handler) mute(w http.ResponseWriter, r *http.Request) {
	by, ids, ok := caller(w, r, "user")
	if !ok {
		return
	}
	if r.Method != http.MethodDelete {
		rest.MethodNotAllowed(w, r)
		return
	}
	room, err := queryID(r.URL.Query(), "room")
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	noContent(w, r, h.store.Unmute(r.Context(), by, room, ids[0]))
}
