package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/leaderboards"
)

// boardSnapshot is a board as the audit trail records it: its settings and
// the period that is current.
type boardSnapshot struct {
	ID             string `json:"id"`
	Order          string `json:"order"`
	Operator       string `json:"operator"`
	Reset          string `json:"reset"`
	ClientWritable bool   `json:"client_writable"`
	// Period is the id of the current period (the Unix second it began).
	Period int64 `json:"period"`
}

// snapBoard reads the current period of b for its snapshot.
func (a *Admin) snapBoard(ctx context.Context, b leaderboards.Board) boardSnapshot {
	snap := boardSnapshot{ID: b.ID, Order: string(b.Order), Operator: string(b.Operator), Reset: b.Reset, ClientWritable: b.ClientWritable}
	if p, err := a.boards.Top(ctx, b.ID, leaderboards.TopOptions{Limit: 1}); err == nil {
		snap.Period = p.Period.ID
	}
	return snap
}

// boardList lists the boards by id, searchable by id.
func (a *Admin) boardList(w http.ResponseWriter, r *http.Request, s *session) {
	q := search(r)
	page, offset := pageOf(r, "page", a.pageSize)
	opts := leaderboards.ListOptions{Search: q}
	l, err := readPage(r.Context(), pageRequest{page: page, size: a.pageSize, offset: offset, sort: "id", counted: q == ""},
		func(ctx context.Context, _ string, limit, offset int) ([]leaderboards.Board, error) {
			o := opts
			o.Limit, o.Offset = limit, offset
			return a.boards.Boards(ctx, o)
		},
		func(ctx context.Context) (int, error) { return a.boards.CountBoards(ctx, opts) })
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	v := listView{Noun: "leaderboard", Search: "Search ids", SearchValue: q,
		Columns: sortable(r, "", []string{"ID", "Order", "Operator", "Resets", "Players submit", "Created"}, make([]string, 6)),
		Pager:   newPager(r, "page", page, a.pageSize, len(l.rows), l.more, l.total),
		Note:    "Boards are made by the game server (or through the API by an admin); here they are read, reset and deleted."}
	for _, b := range l.rows {
		v.Rows = append(v.Rows, listRow{URL: a.boardPath(b.ID) + "/", Cells: []string{
			b.ID, orderText(b.Order), string(b.Operator), resetText(b.Reset), yesNo(b.ClientWritable), b.CreatedAt.Format(timeLayout)}})
	}
	a.render(w, r, s, http.StatusOK, "list", "Leaderboards", v)
}

// boardPath is the admin path of a board, its id escaped (ids are slugs,
// but a link is no place to trust that).
func (a *Admin) boardPath(id string, parts ...any) string {
	return a.path(append([]any{"leaderboards", url.PathEscape(id)}, parts...)...)
}

func orderText(o leaderboards.Order) string {
	if o == leaderboards.LowerFirst {
		return "lower first"
	}
	return "higher first"
}

func resetText(reset string) string {
	if reset == "" {
		return "never"
	}
	return reset
}

type boardView struct {
	Board    leaderboards.Board
	Order    string
	Reset    string
	Period   periodView
	Records  []leaderboards.Record
	NextURL  string
	FirstURL string // back to the first page, when on a later one
	// PeriodValue is what the period box shows: the period read when it
	// is not the current one.
	PeriodValue string
	Current     bool
	Actions     []link
}

type periodView struct {
	ID         int64
	Start, End string // End "" for a period only a reset ends
}

// boardPage shows a board's settings and a page of its records, of the
// current period or of ?period=, from the top or from ?cursor=.
func (a *Admin) boardPage(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	b, err := a.boards.Board(r.Context(), id)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	opts := leaderboards.TopOptions{Limit: a.pageSize, Cursor: r.URL.Query().Get("cursor")}
	v := boardView{Board: b, Order: orderText(b.Order), Reset: resetText(b.Reset), Current: true}
	if text := strings.TrimSpace(r.URL.Query().Get("period")); text != "" {
		p, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			a.fail(w, r, s, gamekit.Invalid("period", "A period is a whole number: the Unix second it began."))
			return
		}
		opts.Period, v.PeriodValue = &p, text
	}
	page, err := a.boards.Top(r.Context(), id, opts)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	if opts.Period != nil || opts.Cursor != "" {
		current, err := a.boards.Top(r.Context(), id, leaderboards.TopOptions{Limit: 1})
		if err != nil {
			a.fail(w, r, s, err)
			return
		}
		v.Current = current.Period.ID == page.Period.ID
	}
	v.Period = periodView{ID: page.Period.ID, Start: page.Period.Start.Format(timeLayout)}
	if page.Period.End != nil {
		v.Period.End = page.Period.End.UTC().Format(timeLayout)
	}
	v.Records = page.Records
	q := url.Values{}
	if opts.Period != nil {
		q.Set("period", strconv.FormatInt(*opts.Period, 10))
	}
	if opts.Cursor != "" {
		v.FirstURL = urlWith(r.URL.Path, q)
	}
	if page.Next != "" {
		q.Set("cursor", page.Next)
		v.NextURL = urlWith(r.URL.Path, q)
	}
	v.Actions = []link{
		{"Reset", a.boardPath(id, "reset")},
		{"Delete", a.boardPath(id, "delete")},
		{"Audit trail", a.path("audit") + "/?type=leaderboard&key=" + url.QueryEscape(id)},
	}
	a.render(w, r, s, http.StatusOK, "leaderboard", "Leaderboard "+id, v)
}

type boardResetView struct {
	Board  leaderboards.Board
	Period periodView
	Count  string // how many records the period holds, as far as counted
	Action string
	Cancel string
}

// boardResetPage asks before a reset: what ends, and that nothing is
// deleted.
func (a *Admin) boardResetPage(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	b, err := a.boards.Board(r.Context(), id)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	const counted = 1000
	page, err := a.boards.Top(r.Context(), id, leaderboards.TopOptions{Limit: counted})
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	v := boardResetView{Board: b, Count: strconv.Itoa(len(page.Records)), Action: a.boardPath(id, "reset"), Cancel: a.boardPath(id) + "/",
		Period: periodView{ID: page.Period.ID, Start: page.Period.Start.Format(timeLayout)}}
	if page.Next != "" {
		v.Count = fmt.Sprintf("more than %d", counted)
	}
	a.render(w, r, s, http.StatusOK, "leaderboard_reset", "Reset leaderboard "+id, v)
}

// boardReset ends the board's current period now (Store.ResetBoard).
func (a *Admin) boardReset(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	b, err := a.boards.Board(r.Context(), id)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	before := a.snapBoard(r.Context(), b)
	after, err := a.boards.ResetBoard(r.Context(), id)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.recordKeyed(r, s, "reset", "leaderboard", id, before, a.snapBoard(background(r), after))
	redirect(w, r, a.boardPath(id)+"/", "reset")
}

func (a *Admin) boardDeletePage(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	if _, err := a.boards.Board(r.Context(), id); err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.render(w, r, s, http.StatusOK, "delete", "Delete leaderboard", deleteView{
		Noun: "leaderboard", Name: id,
		Consequences: []string{"Every record of the board, of every period, is deleted with it.",
			"A game server that submits to it gets errors until it makes the board again (the example server does at its next start)."},
		Action: a.boardPath(id, "delete"), Cancel: a.boardPath(id) + "/"})
}

func (a *Admin) boardDelete(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	b, err := a.boards.Board(r.Context(), id)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	before := a.snapBoard(r.Context(), b)
	if err := a.boards.DeleteBoard(r.Context(), id); err != nil {
		if errors.Is(err, gamekit.ErrNotFound) { // deleted in between: the other delete is audited
			redirect(w, r, a.path("leaderboards")+"/", "deleted")
			return
		}
		a.fail(w, r, s, err)
		return
	}
	a.recordKeyed(r, s, "delete", "leaderboard", id, before, nil)
	redirect(w, r, a.path("leaderboards")+"/", "deleted")
}

// formatTime shows a time as the pages do.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }
