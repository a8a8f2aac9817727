package admin

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/players"
)

// playerSorts are the sorts the player list offers, the store's.
var playerSorts = []string{"id", "user", "username", "position_x", "position_y"}

// playerSnapshot is a player as the audit trail records it.
type playerSnapshot struct {
	ID       int64   `json:"id"`
	User     int64   `json:"user"`
	Username string  `json:"username"`
	X        float64 `json:"position_x"`
	Y        float64 `json:"position_y"`
}

func snapPlayer(p players.Player) playerSnapshot {
	return playerSnapshot{ID: p.ID, User: p.UserID, Username: p.Username, X: p.X, Y: p.Y}
}

// playerList lists players, searchable by their owner's username.
func (a *Admin) playerList(w http.ResponseWriter, r *http.Request, s *session) {
	q, sort := search(r), listSort(r, playerSorts, "id")
	page, offset := pageOf(r, "page", a.pageSize)
	opts := players.ListOptions{Search: q}
	l, err := readPage(r.Context(), pageRequest{page: page, size: a.pageSize, offset: offset, sort: sort, reversible: true, counted: q == ""},
		func(ctx context.Context, sort string, limit, offset int) ([]players.Player, error) {
			o := opts
			o.Sort, o.Limit, o.Offset = sort, limit, offset
			return a.players.Players(ctx, o)
		},
		func(ctx context.Context) (int, error) { return a.players.CountPlayers(ctx, opts) })
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	v := listView{Noun: "player", AddURL: a.path("players", "add"), Search: "Search usernames", SearchValue: q,
		Columns: sortable(r, sort, []string{"ID", "User id", "Username", "x", "y"}, playerSorts),
		Pager:   newPager(r, "page", page, a.pageSize, len(l.rows), l.more, l.total)}
	for _, p := range l.rows {
		v.Rows = append(v.Rows, listRow{URL: a.path("players", p.ID) + "/", Cells: []string{
			strconv.FormatInt(p.ID, 10), strconv.FormatInt(p.UserID, 10), p.Username, formatFloat(p.X), formatFloat(p.Y)}})
	}
	a.render(w, r, s, http.StatusOK, "list", "Players", v)
}

type playerView struct {
	Player  players.Player
	Form    *form
	Action  string
	IsNew   bool
	Actions []link
}

var playerAddFields = []string{"user", "position_x", "position_y"}

func (a *Admin) playerAddPage(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(nil, playerAddFields...)
	f.values.Set("position_x", "0")
	f.values.Set("position_y", "0")
	a.render(w, r, s, http.StatusOK, "player", "Add player", playerView{Form: f, Action: a.path("players", "add"), IsNew: true})
}

// readPosition reads the position fields; the store checks the bounds.
func readPosition(f *form) (x, y float64, ok bool) {
	x, okX := f.number("position_x")
	y, okY := f.number("position_y")
	return x, y, okX && okY
}

func (a *Admin) playerAdd(w http.ResponseWriter, r *http.Request, s *session) {
	f, err := parseForm(w, r, playerAddFields...)
	if err != nil {
		a.fail(w, r, s, gamekit.Invalid("form", err.Error()))
		return
	}
	u, userOK, err := a.findUser(r.Context(), f, "user")
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	x, y, posOK := readPosition(f)
	if userOK && posOK {
		p := players.Player{UserID: u.ID, Username: u.Username, X: x, Y: y}
		err := a.players.CreatePlayer(r.Context(), &p)
		if err == nil {
			a.record(r, s, "add", "player", p.ID, nil, snapPlayer(p))
			redirect(w, r, a.path("players", p.ID)+"/", "added")
			return
		}
		if !f.invalid(err) {
			a.fail(w, r, s, err)
			return
		}
	}
	a.render(w, r, s, http.StatusBadRequest, "player", "Add player", playerView{Form: f, Action: a.path("players", "add"), IsNew: true})
}

func (a *Admin) playerView(p players.Player, f *form) playerView {
	return playerView{Player: p, Form: f, Action: a.path("players", p.ID) + "/", Actions: []link{
		{"Delete", a.path("players", p.ID, "delete")},
		{"Audit trail", a.auditURL("player", p.ID)},
	}}
}

func playerTitle(p players.Player) string { return fmt.Sprintf("Player #%d of %s", p.ID, p.Username) }

func (a *Admin) playerPage(w http.ResponseWriter, r *http.Request, s *session) {
	p, ok := object(a, w, r, s, a.players.Player)
	if !ok {
		return
	}
	f := newForm(nil, "position_x", "position_y")
	f.values.Set("position_x", formatFloat(p.X))
	f.values.Set("position_y", formatFloat(p.Y))
	a.render(w, r, s, http.StatusOK, "player", playerTitle(p), a.playerView(p, f))
}

// playerChange puts a player somewhere with Store.SetPosition, the
// admin's move: only the bounds apply, not the step or rate of a player's
// own moves.
func (a *Admin) playerChange(w http.ResponseWriter, r *http.Request, s *session) {
	before, ok := object(a, w, r, s, a.players.Player)
	if !ok {
		return
	}
	f, err := parseForm(w, r, "position_x", "position_y")
	if err != nil {
		a.fail(w, r, s, gamekit.Invalid("form", err.Error()))
		return
	}
	if x, y, ok := readPosition(f); ok {
		after, err := a.players.SetPosition(r.Context(), before.ID, x, y)
		if err == nil {
			a.record(r, s, "change", "player", before.ID, snapPlayer(before), snapPlayer(after))
			redirect(w, r, a.path("players", before.ID)+"/", "saved")
			return
		}
		if !f.invalid(err) {
			a.fail(w, r, s, err)
			return
		}
	}
	a.render(w, r, s, http.StatusBadRequest, "player", playerTitle(before), a.playerView(before, f))
}

func (a *Admin) playerDeletePage(w http.ResponseWriter, r *http.Request, s *session) {
	p, ok := object(a, w, r, s, a.players.Player)
	if !ok {
		return
	}
	a.render(w, r, s, http.StatusOK, "delete", "Delete player", deleteView{
		Noun: "player", Name: fmt.Sprintf("#%d of %s at (%s, %s)", p.ID, p.Username, formatFloat(p.X), formatFloat(p.Y)),
		Consequences: []string{"The user keeps their account and their other players."},
		Action:       a.path("players", p.ID, "delete"), Cancel: a.path("players", p.ID) + "/"})
}

func (a *Admin) playerDelete(w http.ResponseWriter, r *http.Request, s *session) {
	p, ok := object(a, w, r, s, a.players.Player)
	if !ok {
		return
	}
	if err := a.players.DeletePlayer(r.Context(), p.ID); err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.record(r, s, "delete", "player", p.ID, snapPlayer(p), nil)
	redirect(w, r, a.path("players")+"/", "deleted")
}
