package players

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/rest"
)

// HandlerOptions configure Handler; nil means defaults.
type HandlerOptions struct {
	// MaxRows caps every list, plain or paginated. Defaults to
	// rest.DefaultMaxRows (1000).
	MaxRows int
	// Logger receives the errors answered with 500. Defaults to the logger
	// on the request's context (rest.WithLogger), else slog.Default().
	Logger *slog.Logger
}

// Handler serves the tutorial's REST API for players:
//
//	GET  /players/             signed in: players by id; ?user=N keeps user N's,
//	                           ?ordering= sorts by id, user, position_x or
//	                           position_y ("-" first for descending)
//	GET  /players/{id}/        signed in
//	POST /players/{id}/move/   the owner: {"dx": 1, "dy": 0}, each optional
//	                           (0); 200 with the player as saved
//
// A move is checked by the store's rules (see SQLStore.Move): 401 for an
// anonymous caller, 403 for another user's player, 404 for a missing one,
// 400 with messages for "dx" and "dy" for a step too long or a position
// out of bounds, 429 with Retry-After over the rate limit. An empty body
// is {}, a move by (0, 0), which counts towards the rate limit like any
// move. Lists cannot be ordered by username: the API does not show
// usernames, so it does not sort by them either.
//
// Paths are relative to where the host mounts it (with http.StripPrefix),
// and the trailing slash is optional. Lists take ?limit= and ?offset=
// (DRF's envelope). The caller's identity comes from the request context
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
	maxRows, err := rest.MaxRows("players", opts.MaxRows)
	if err != nil {
		return nil, err
	}
	h := &Handler{store: store, maxRows: maxRows, mux: rest.NewMux(opts.Logger)}
	h.mux.HandleFunc("/players", h.players)
	h.mux.HandleFunc("/players/{id}", h.player)
	h.mux.HandleFunc("/players/{id}/move", h.move)
	return h, nil
}

// ServeHTTP routes a request to its resource.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// apiSorts are the orderings the API offers: the fields it shows.
var apiSorts = map[string]bool{
	"": true, "id": true, "-id": true, "user": true, "-user": true,
	"position_x": true, "-position_x": true, "position_y": true, "-position_y": true,
}

func (h *Handler) players(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rest.MethodNotAllowed(w, r)
		return
	}
	if _, err := rest.SignedIn(r); err != nil {
		rest.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	page, err := rest.ParsePage(q, h.maxRows)
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	opts := ListOptions{Sort: q.Get("ordering"), Limit: page.Fetch(), Offset: page.Offset}
	if !apiSorts[opts.Sort] {
		rest.WriteError(w, r, gamekit.Invalid("ordering", "Unknown sort "+strconv.Quote(opts.Sort)+"."))
		return
	}
	if s := q.Get("user"); s != "" {
		if opts.UserID, err = strconv.ParseInt(s, 10, 64); err != nil {
			rest.WriteError(w, r, gamekit.Invalid("user", "A valid integer is required."))
			return
		}
		if opts.UserID < 1 {
			rest.WriteError(w, r, gamekit.Invalid("user", "Ensure this value is greater than or equal to 1."))
			return
		}
	}
	players, err := h.store.Players(r.Context(), opts)
	rest.WriteList(w, r, page, players, err, func() (int, error) { return h.store.CountPlayers(r.Context(), opts) })
}

func (h *Handler) player(w http.ResponseWriter, r *http.Request) {
	id, err := rest.ID(r, "id")
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rest.MethodNotAllowed(w, r)
		return
	}
	if _, err := rest.SignedIn(r); err != nil {
		rest.WriteError(w, r, err)
		return
	}
	p, err := h.store.Player(r.Context(), id)
	rest.Reply(w, r, http.StatusOK, p, err)
}

// moveBody is the JSON of a move: how far on each axis.
type moveBody struct {
	DX float64 `json:"dx"`
	DY float64 `json:"dy"`
}

func (h *Handler) move(w http.ResponseWriter, r *http.Request) {
	id, err := rest.ID(r, "id")
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	if r.Method != http.MethodPost {
		rest.MethodNotAllowed(w, r)
		return
	}
	caller, err := rest.SignedIn(r)
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	var body moveBody
	if r.ContentLength != 0 { // no body at all is {}
		if err := rest.Decode(w, r, &body); err != nil {
			rest.WriteError(w, r, err)
			return
		}
	}
	p, err := h.store.Move(r.Context(), id, caller.UserID, body.DX, body.DY)
	rest.Reply(w, r, http.StatusOK, p, err)
}
