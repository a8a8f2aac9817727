package leaderboards

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/rest"
)

// SubmitCheck judges a player's own submission to a client-writable board
// before it is stored: bounds ("no score above 10,000 a level"), rate
// ("one submit a second per player"), or a proof the game sent in the
// metadata. A nil error lets it through; an *gamekit.InvalidError is a 400
// naming the fields, a *gamekit.RateLimitError a 429, an error of kind
// gamekit.ErrForbidden a 403. It is not called for an admin's submits.
type SubmitCheck func(ctx context.Context, caller gamekit.Identity, board Board, s Submission) error

// HandlerOptions configure Handler; nil means defaults.
type HandlerOptions struct {
	// MaxRows caps the list of boards, plain or paginated. Defaults to
	// rest.DefaultMaxRows (1000).
	MaxRows int
	// Logger receives the errors answered with 500. Defaults to the logger
	// on the request's context (rest.WithLogger), else slog.Default().
	Logger *slog.Logger
	// CheckSubmit judges every player's submission to a client-writable
	// board. Defaults to nil: players may then submit to no board, not
	// even a client-writable one (403), since a score no server checked
	// is one any client can make up.
	CheckSubmit SubmitCheck
}

// Handler serves the leaderboards API:
//
//	GET    /leaderboards/                 anyone: the boards, by id (?search=, ?limit=&offset=)
//	POST   /leaderboards/                 admin: create a board, 201
//	GET    /leaderboards/{id}/            anyone: the board, its period and its top records
//	                                      (?limit= up to MaxLimit, ?cursor= from "next",
//	                                      ?period= a past period's id, ?around=me)
//	POST   /leaderboards/{id}/            submit {"score": 10, "subscore": 0, "metadata": {}}:
//	                                      an admin for anyone ("user", "username"), a player
//	                                      for themselves to a client-writable board,
//	                                      through HandlerOptions.CheckSubmit
//	PUT, PATCH /leaderboards/{id}/        admin: {"operator", "reset", "client_writable"}
//	DELETE /leaderboards/{id}/            admin: the board and all its records, 204
//	POST   /leaderboards/{id}/reset/      admin: end the current period now
//	GET    /leaderboards/{id}/around/{user}/  anyone ("me": signed in): the user's record
//	                                      and ?limit= (5) records above and below
//	GET    /leaderboards/{id}/records/    anyone: ?users=1,2,3 (at most MaxUsers), best first
//	GET    /leaderboards/{id}/records/{user}/  anyone ("me": signed in): one record and its rank
//
// Every record carries its exact rank. Paths are relative to where the
// host mounts it (with http.StripPrefix), and the trailing slash is
// optional. The caller's identity comes from the request context
// (gamekit.WithIdentity).
type Handler struct {
	store   Store
	maxRows int
	check   SubmitCheck
	mux     *rest.Mux
}

// NewHandler returns the API over store.
func NewHandler(store Store, opts *HandlerOptions) (*Handler, error) {
	if opts == nil {
		opts = &HandlerOptions{}
	}
	maxRows, err := rest.MaxRows("leaderboards", opts.MaxRows)
	if err != nil {
		return nil, err
	}
	h := &Handler{store: store, maxRows: maxRows, check: opts.CheckSubmit, mux: rest.NewMux(opts.Logger)}
	h.mux.HandleFunc("/leaderboards", h.boards)
	h.mux.HandleFunc("/leaderboards/{id}", h.board)
	h.mux.HandleFunc("/leaderboards/{id}/reset", h.reset)
	h.mux.HandleFunc("/leaderboards/{id}/around/{user}", h.around)
	h.mux.HandleFunc("/leaderboards/{id}/records", h.records)
	h.mux.HandleFunc("/leaderboards/{id}/records/{user}", h.record)
	return h, nil
}

// ServeHTTP routes a request to its resource.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// boardBody is the JSON an admin sends for a board.
type boardBody struct {
	ID             *string   `json:"id"`
	Order          *Order    `json:"order"`
	Operator       *Operator `json:"operator"`
	Reset          *string   `json:"reset"`
	ClientWritable *bool     `json:"client_writable"`
}

func (h *Handler) boards(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q := r.URL.Query()
		page, err := rest.ParsePage(q, h.maxRows)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		opts := ListOptions{Search: q.Get("search"), Limit: page.Fetch(), Offset: page.Offset}
		boards, err := h.store.Boards(r.Context(), opts)
		rest.WriteList(w, r, page, boards, err, func() (int, error) { return h.store.CountBoards(r.Context(), opts) })
	case http.MethodPost:
		var body boardBody
		err := rest.Admin(r)
		if err == nil {
			err = rest.Decode(w, r, &body)
		}
		if err == nil && body.ID == nil {
			err = gamekit.Invalid("id", "This field is required.")
		}
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		b := Board{ID: *body.ID}
		if body.Order != nil {
			b.Order = *body.Order
		}
		if body.Operator != nil {
			b.Operator = *body.Operator
		}
		if body.Reset != nil {
			b.Reset = *body.Reset
		}
		if body.ClientWritable != nil {
			b.ClientWritable = *body.ClientWritable
		}
		if err := h.store.CreateBoard(r.Context(), &b); err != nil {
			rest.WriteError(w, r, err)
			return
		}
		rest.WriteJSON(w, r, http.StatusCreated, b)
	default:
		rest.MethodNotAllowed(w, r)
	}
}

// boardView is a board with a page of its records: GET /leaderboards/{id}/.
type boardView struct {
	Board
	Period  Period   `json:"period"`
	Records []Record `json:"records"`
	// Next is the URL of the next page, or null.
	Next *string `json:"next"`
}

func (h *Handler) board(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if r.URL.Query().Get("around") != "" {
			h.aroundOf(w, r, r.URL.Query().Get("around"))
			return
		}
		b, err := h.store.Board(r.Context(), id)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		opts := TopOptions{Cursor: r.URL.Query().Get("cursor")}
		if opts.Period, err = periodParam(r); err == nil {
			opts.Limit, err = intParam(r, "limit")
		}
		var page Page
		if err == nil {
			page, err = h.store.Top(r.Context(), id, opts)
		}
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		rest.WriteJSON(w, r, http.StatusOK, boardView{Board: b, Period: page.Period, Records: page.Records, Next: nextURL(r, id, page.Next)})
	case http.MethodPost:
		h.submit(w, r, id)
	case http.MethodPut, http.MethodPatch:
		var body boardBody
		err := rest.Admin(r)
		if err == nil {
			err = rest.Decode(w, r, &body)
		}
		if err == nil {
			err = checkBoardChange(r, id, body)
		}
		var b Board
		if err == nil {
			b, err = h.store.UpdateBoard(r.Context(), id, BoardChange{Operator: body.Operator, Reset: body.Reset, ClientWritable: body.ClientWritable})
		}
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		rest.WriteJSON(w, r, http.StatusOK, b)
	case http.MethodDelete:
		err := rest.Admin(r)
		if err == nil {
			err = h.store.DeleteBoard(r.Context(), id)
		}
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		rest.MethodNotAllowed(w, r)
	}
}

// checkBoardChange refuses what a change cannot do: a board keeps its id
// and its order. PUT needs every field that can change.
func checkBoardChange(r *http.Request, id string, body boardBody) error {
	bad := &gamekit.InvalidError{}
	if body.ID != nil && *body.ID != id {
		bad.Add("id", "A board's id cannot change.")
	}
	if body.Order != nil {
		bad.Add("order", "A board's order cannot change: create a new board.")
	}
	if r.Method == http.MethodPut {
		for field, missing := range map[string]bool{"operator": body.Operator == nil, "reset": body.Reset == nil, "client_writable": body.ClientWritable == nil} {
			if missing {
				bad.Add(field, "This field is required.")
			}
		}
	}
	return bad.Err()
}

// submitBody is the JSON of a submit.
type submitBody struct {
	Score    *int64          `json:"score"`
	Subscore int64           `json:"subscore"`
	Metadata json.RawMessage `json:"metadata"`
	User     *int64          `json:"user"`
	Username *string         `json:"username"`
}

func (h *Handler) submit(w http.ResponseWriter, r *http.Request, id string) {
	caller, err := rest.SignedIn(r)
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	var body submitBody
	if err := rest.Decode(w, r, &body); err != nil {
		rest.WriteError(w, r, err)
		return
	}
	if body.Score == nil {
		rest.WriteError(w, r, gamekit.Invalid("score", "This field is required."))
		return
	}
	user, username := caller.UserID, caller.Username
	if body.User != nil && *body.User != caller.UserID {
		if !caller.Admin {
			rest.WriteError(w, r, gamekit.Errorf(ErrServerOnly, "leaderboards: a player submits only their own scores"))
			return
		}
		user, username = *body.User, ""
	}
	if body.Username != nil {
		if !caller.Admin {
			rest.WriteError(w, r, gamekit.Invalid("username", "This field is not allowed."))
			return
		}
		username = *body.Username
	}
	sub := Submission{Score: *body.Score, Subscore: body.Subscore, Metadata: body.Metadata}
	if !caller.Admin {
		b, err := h.store.Board(r.Context(), id)
		switch {
		case err != nil:
		case !b.ClientWritable:
			err = gamekit.Errorf(ErrServerOnly, "leaderboards: board %s takes scores from the server only", id)
		case h.check == nil:
			err = gamekit.Errorf(ErrServerOnly, "leaderboards: this server takes no scores from players")
		default:
			err = h.check(r.Context(), caller, b, sub)
		}
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
	}
	rec, err := h.store.Submit(r.Context(), id, user, username, sub.Score, sub.Subscore, sub.Metadata)
	if err == nil {
		rec, err = h.store.Record(r.Context(), id, user, nil)
	}
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	rest.WriteJSON(w, r, http.StatusOK, rec)
}

func (h *Handler) reset(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rest.MethodNotAllowed(w, r)
		return
	}
	err := rest.Admin(r)
	var b Board
	if err == nil {
		b, err = h.store.ResetBoard(r.Context(), r.PathValue("id"))
	}
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	rest.WriteJSON(w, r, http.StatusOK, b)
}

// pageView is a run of records that is not the top: around a user.
type pageView struct {
	Period  Period   `json:"period"`
	Records []Record `json:"records"`
	Next    *string  `json:"next"`
}

func (h *Handler) around(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rest.MethodNotAllowed(w, r)
		return
	}
	h.aroundOf(w, r, r.PathValue("user"))
}

func (h *Handler) aroundOf(w http.ResponseWriter, r *http.Request, who string) {
	id := r.PathValue("id")
	user, err := userParam(r, who)
	var n int
	var period *int64
	if err == nil {
		n, err = intParam(r, "limit")
	}
	if err == nil {
		period, err = periodParam(r)
	}
	var page Page
	if err == nil {
		page, err = h.store.Around(r.Context(), id, user, n, period)
	}
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	rest.WriteJSON(w, r, http.StatusOK, pageView{Period: page.Period, Records: page.Records, Next: nextURL(r, id, page.Next)})
}

func (h *Handler) records(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rest.MethodNotAllowed(w, r)
		return
	}
	var users []int64
	var err error
	if s := r.URL.Query().Get("users"); s != "" {
		for part := range strings.SplitSeq(s, ",") {
			n, perr := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if perr != nil || n < 1 {
				err = gamekit.Invalid("users", "Enter user ids separated by commas.")
				break
			}
			users = append(users, n)
		}
	}
	var period *int64
	if err == nil {
		period, err = periodParam(r)
	}
	var records []Record
	if err == nil {
		records, err = h.store.Records(r.Context(), r.PathValue("id"), users, period)
	}
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	rest.WriteJSON(w, r, http.StatusOK, records)
}

func (h *Handler) record(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rest.MethodNotAllowed(w, r)
		return
	}
	user, err := userParam(r, r.PathValue("user"))
	var period *int64
	if err == nil {
		period, err = periodParam(r)
	}
	var rec Record
	if err == nil {
		rec, err = h.store.Record(r.Context(), r.PathValue("id"), user, period)
	}
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	rest.WriteJSON(w, r, http.StatusOK, rec)
}

// userParam reads a user in a path: an id, or "me" for the caller (who
// must be signed in). Anything else names nothing: 404.
func userParam(r *http.Request, s string) (int64, error) {
	if s == "me" {
		caller, err := rest.SignedIn(r)
		return caller.UserID, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, gamekit.ErrNotFound
	}
	return n, nil
}

// intParam reads a whole-number query parameter, 0 when absent.
func intParam(r *http.Request, name string) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, gamekit.Invalid(name, "A valid integer is required.")
	}
	return n, nil
}

// periodParam reads ?period=, nil when absent.
func periodParam(r *http.Request) (*int64, error) {
	s := r.URL.Query().Get("period")
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, gamekit.Invalid("period", "A valid integer is required.")
	}
	return &n, nil
}

// nextURL is the absolute URL of the board's records after a cursor, or
// nil for none.
func nextURL(r *http.Request, id, cursor string) *string {
	if cursor == "" {
		return nil
	}
	// The path the client asked for, before any http.StripPrefix, up to
	// the board.
	path := r.URL.Path
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
		path = u.Path
	}
	if i := strings.Index(path, "/leaderboards/"+id); i >= 0 {
		path = path[:i+len("/leaderboards/"+id)] + "/"
	}
	q := url.Values{"cursor": {cursor}}
	if l := r.URL.Query().Get("limit"); l != "" {
		q.Set("limit", l)
	}
	u := rest.AbsoluteURL(r, path+"?"+q.Encode())
	return &u
}
