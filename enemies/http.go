package enemies

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/enemies/fsm"
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

// Handler serves the tutorial's REST API for monsters:
//
//	GET    /monsters/                     anyone: monsters by id; ?state= (a
//	                                      display name) filters, ?ordering= sorts
//	POST   /monsters/                     admin: 201, a new wandering monster;
//	                                      {"health_points": N} optional (default 10)
//	GET    /monsters/{id}/                anyone
//	PUT, PATCH /monsters/{id}/            admin: {"health_points": N}, then the
//	                                      automatic transitions it enables
//	DELETE /monsters/{id}/                admin: 204
//	POST   /monsters/{id}/{transition}/   admin: 200 with the monster; the body
//	                                      holds the arguments ({"user": N} for
//	                                      attack), or is empty
//	GET    /monsters/{id}/history/        anyone: its transitions, oldest first
//	GET    /monsters/graph/               anyone: the state diagram in Graphviz
//	                                      DOT; ?format=mermaid for Mermaid
//
// A transition answers 404 when the monster or the transition does not
// exist, 400 for bad arguments, and 409 with a detail naming the transition
// and the state when the monster's state refuses it or a concurrent change
// won. Bodies may repeat the read-only fields id, state and
// user_being_attacked, which are ignored as DRF ignores read-only fields
// (so a client can send back what it read): the state changes only through
// transitions.
//
// Paths are relative to where the host mounts it (with http.StripPrefix),
// and the trailing slash is optional. Lists take ?limit= and ?offset=
// (DRF's envelope). The caller's identity comes from the request context
// (gamekit.WithIdentity); a transition's history entry names the caller.
type Handler struct {
	store        Store
	maxRows      int
	mux          *rest.Mux
	dot, mermaid []byte
}

// NewHandler returns the API over store.
func NewHandler(store Store, opts *HandlerOptions) (*Handler, error) {
	if opts == nil {
		opts = &HandlerOptions{}
	}
	maxRows, err := rest.MaxRows("enemies", opts.MaxRows)
	if err != nil {
		return nil, err
	}
	h := &Handler{store: store, maxRows: maxRows, mux: rest.NewMux(opts.Logger),
		dot: []byte(machine.DOT()), mermaid: []byte(machine.Mermaid())}
	h.mux.HandleFunc("/monsters", h.monsters)
	h.mux.HandleFunc("/monsters/graph", h.graph)
	h.mux.HandleFunc("/monsters/{id}", h.monster)
	h.mux.HandleFunc("/monsters/{id}/history", h.history)
	h.mux.HandleFunc("/monsters/{id}/{transition}", h.transition)
	return h, nil
}

// ServeHTTP routes a request to its resource.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// monsterBody is the JSON a client sends for a monster. Only health_points
// is written; the rest is accepted, checked for its type, and ignored.
type monsterBody struct {
	ID                *int64  `json:"id"`
	State             *string `json:"state"`
	UserBeingAttacked *int64  `json:"user_being_attacked"`
	HealthPoints      *int    `json:"health_points"`
}

func (h *Handler) monsters(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q := r.URL.Query()
		page, err := rest.ParsePage(q, h.maxRows)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		opts := ListOptions{Sort: q.Get("ordering"), Limit: page.Fetch(), Offset: page.Offset}
		if name := q.Get("state"); name != "" {
			if opts.State, err = ParseState(name); err != nil {
				rest.WriteError(w, r, err)
				return
			}
		}
		monsters, err := h.store.Monsters(r.Context(), opts)
		rest.WriteList(w, r, page, monsters, err, func() (int, error) { return h.store.CountMonsters(r.Context(), opts) })
	case http.MethodPost:
		body, err := h.monsterBody(w, r)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		m := NewMonster()
		if body.HealthPoints != nil {
			m.HealthPoints = *body.HealthPoints
		}
		if err := h.store.CreateMonster(r.Context(), &m); err != nil {
			rest.WriteError(w, r, err)
			return
		}
		rest.WriteJSON(w, r, http.StatusCreated, m)
	default:
		rest.MethodNotAllowed(w, r)
	}
}

func (h *Handler) monster(w http.ResponseWriter, r *http.Request) {
	id, err := rest.ID(r, "id")
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	var m Monster
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		m, err = h.store.Monster(r.Context(), id)
	case http.MethodPut, http.MethodPatch:
		var body monsterBody
		if body, err = h.monsterBody(w, r); err == nil {
			if body.HealthPoints != nil {
				m, err = h.store.SetHealth(r.Context(), id, *body.HealthPoints)
			} else {
				m, err = h.store.Monster(r.Context(), id)
			}
		}
	case http.MethodDelete:
		if err = rest.Admin(r); err == nil {
			err = h.store.DeleteMonster(r.Context(), id)
		}
		if err == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
	default:
		rest.MethodNotAllowed(w, r)
		return
	}
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	rest.WriteJSON(w, r, http.StatusOK, m)
}

// monsterBody checks that the caller is an admin and reads a monster body.
func (h *Handler) monsterBody(w http.ResponseWriter, r *http.Request) (monsterBody, error) {
	var body monsterBody
	if err := rest.Admin(r); err != nil {
		return body, err
	}
	err := decode(w, r, &body)
	return body, err
}

func (h *Handler) transition(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("transition")
	// An unknown transition names no resource, whoever asks.
	if err := machine.CanFire(&Monster{}, name); errors.Is(err, fsm.ErrUnknownTransition) {
		rest.WriteError(w, r, err)
		return
	}
	id, err := rest.ID(r, "id")
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	if r.Method != http.MethodPost {
		rest.MethodNotAllowed(w, r)
		return
	}
	if err := rest.Admin(r); err != nil {
		rest.WriteError(w, r, err)
		return
	}
	caller, _ := gamekit.IdentityFrom(r.Context())
	var args Args
	if err := decode(w, r, &args); err != nil {
		rest.WriteError(w, r, err)
		return
	}
	m, err := h.store.Fire(r.Context(), id, name, args, caller.UserID)
	rest.Reply(w, r, http.StatusOK, m, err)
}

func (h *Handler) history(w http.ResponseWriter, r *http.Request) {
	id, err := rest.ID(r, "id")
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rest.MethodNotAllowed(w, r)
		return
	}
	page, err := rest.ParsePage(r.URL.Query(), h.maxRows)
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	if _, err := h.store.Monster(r.Context(), id); err != nil {
		rest.WriteError(w, r, err)
		return
	}
	opts := HistoryOptions{Monster: id, Limit: page.Fetch(), Offset: page.Offset}
	entries, err := h.store.History(r.Context(), opts)
	rest.WriteList(w, r, page, entries, err, func() (int, error) { return h.store.CountHistory(r.Context(), opts) })
}

func (h *Handler) graph(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rest.MethodNotAllowed(w, r)
		return
	}
	var body []byte
	switch r.URL.Query().Get("format") {
	case "", "dot":
		body = h.dot
		w.Header().Set("Content-Type", "text/vnd.graphviz; charset=utf-8")
	case "mermaid":
		body = h.mermaid
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	default:
		rest.WriteError(w, r, gamekit.Invalid("format", `Select "dot" or "mermaid".`))
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// decode reads an optional JSON body into dst: a request with no body at
// all counts as {}, so `curl -X POST .../evade/` fires a transition that
// takes no arguments. A body that is there is read strictly (rest.Decode).
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return rest.Decode(w, r, dst)
}
