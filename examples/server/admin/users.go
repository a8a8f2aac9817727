package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/players"
)

// userSnapshot is a user as the audit trail records it: never a password
// or its hash.
type userSnapshot struct {
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	Admin     bool      `json:"admin"`
	CreatedAt time.Time `json:"created_at"`
}

func snapUser(u accounts.User) userSnapshot {
	return userSnapshot{ID: u.ID, Username: u.Username, Admin: u.Admin, CreatedAt: u.CreatedAt}
}

// userSorts are the sorts the user list offers, the store's.
var userSorts = []string{"id", "username", "date_joined"}

// userList lists users, searchable by username and sortable.
func (a *Admin) userList(w http.ResponseWriter, r *http.Request, s *session) {
	q, sort := search(r), listSort(r, userSorts, "id")
	page, offset := pageOf(r, "page", a.pageSize)
	opts := accounts.ListOptions{Search: q}
	l, err := readPage(r.Context(), pageRequest{page: page, size: a.pageSize, offset: offset, sort: sort, reversible: true, counted: q == ""},
		func(ctx context.Context, sort string, limit, offset int) ([]accounts.User, error) {
			o := opts
			o.Sort, o.Limit, o.Offset = sort, limit, offset
			return a.acc.Users(ctx, o)
		},
		func(ctx context.Context) (int, error) { return a.acc.CountUsers(ctx, opts) })
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	v := listView{Noun: "user", AddURL: a.path("users", "add"), Search: "Search usernames", SearchValue: q,
		Columns: sortable(r, sort, []string{"ID", "Username", "Admin", "Joined"}, []string{"id", "username", "", "date_joined"}),
		Pager:   newPager(r, "page", page, a.pageSize, len(l.rows), l.more, l.total)}
	for _, u := range l.rows {
		v.Rows = append(v.Rows, listRow{URL: a.path("users", u.ID) + "/",
			Cells: []string{strconv.FormatInt(u.ID, 10), u.Username, yesNo(u.Admin), u.CreatedAt.Format(timeLayout)}})
	}
	a.render(w, r, s, http.StatusOK, "list", "Users", v)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

type userAddView struct {
	Form *form
}

var userAddFields = []string{"username", "password", "password2", "admin"}

func (a *Admin) userAddPage(w http.ResponseWriter, r *http.Request, s *session) {
	a.render(w, r, s, http.StatusOK, "user_add", "Add user", userAddView{Form: newForm(nil, userAddFields...)})
}

// userAdd creates a user with accounts.CreateUser, the registration's
// rules, and whatever the host creates with every user (an inventory, a
// player).
func (a *Admin) userAdd(w http.ResponseWriter, r *http.Request, s *session) {
	f, err := parseForm(w, r, userAddFields...)
	if err != nil {
		a.fail(w, r, s, gamekit.Invalid("form", err.Error()))
		return
	}
	if f.Value("password") != f.Value("password2") {
		f.add("password2", "The two password fields didn't match.")
	} else {
		u, err := a.acc.CreateUser(r.Context(), f.Value("username"), f.Value("password"), f.Checked("admin"))
		if err == nil {
			a.record(r, s, "add", "user", u.ID, nil, snapUser(u))
			redirect(w, r, a.path("users", u.ID)+"/", "added")
			return
		}
		if !f.invalid(err) {
			a.fail(w, r, s, err)
			return
		}
	}
	f.values.Del("password")
	f.values.Del("password2") // never sent back to the browser
	a.render(w, r, s, http.StatusBadRequest, "user_add", "Add user", userAddView{Form: f})
}

type userView struct {
	User      accounts.User
	Self      bool
	Admin     *form // the admin rights form
	Password  *form // the password form
	Inventory *inventory.Inventory
	Players   []players.Player
	MorePlay  bool
	Actions   []link
}

// userPlayersShown is how many of a user's players the user's page lists.
const userPlayersShown = 20

func (a *Admin) userPage(w http.ResponseWriter, r *http.Request, s *session) {
	u, ok := object(a, w, r, s, a.acc.User)
	if !ok {
		return
	}
	adminForm := newForm(nil, "admin")
	if u.Admin {
		adminForm.values.Set("admin", "on")
	}
	a.showUser(w, r, s, http.StatusOK, u, adminForm, newForm(nil, "password", "password2"))
}

func (a *Admin) showUser(w http.ResponseWriter, r *http.Request, s *session, status int, u accounts.User, adminForm, passwordForm *form) {
	v := userView{User: u, Self: u.ID == s.user.ID, Admin: adminForm, Password: passwordForm, Actions: []link{
		{"Delete", a.path("users", u.ID, "delete")},
		{"Audit trail", a.auditURL("user", u.ID)},
	}}
	inv, err := a.inventory.InventoryOfUser(r.Context(), u.ID)
	switch {
	case err == nil:
		v.Inventory = &inv
	case !errors.Is(err, gamekit.ErrNotFound):
		a.fail(w, r, s, err)
		return
	}
	v.Players, err = a.players.Players(r.Context(), players.ListOptions{UserID: u.ID, Limit: userPlayersShown + 1})
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	if len(v.Players) > userPlayersShown {
		v.Players, v.MorePlay = v.Players[:userPlayersShown], true
	}
	a.render(w, r, s, status, "user", fmt.Sprintf("User #%d: %s", u.ID, u.Username), v)
}

// userSetAdmin grants or withdraws admin rights; an admin cannot withdraw
// their own, so the last admin cannot lock everyone out by mistake.
func (a *Admin) userSetAdmin(w http.ResponseWriter, r *http.Request, s *session) {
	u, ok := object(a, w, r, s, a.acc.User)
	if !ok {
		return
	}
	f, err := parseForm(w, r, "admin")
	if err != nil {
		a.fail(w, r, s, gamekit.Invalid("form", err.Error()))
		return
	}
	admin := f.Checked("admin")
	if u.ID == s.user.ID && !admin {
		f.add("admin", "You cannot take away your own admin rights; another admin can.")
		a.showUser(w, r, s, http.StatusBadRequest, u, f, newForm(nil, "password", "password2"))
		return
	}
	if err := a.acc.SetAdmin(r.Context(), u.ID, admin); err != nil {
		a.fail(w, r, s, err)
		return
	}
	after := u
	after.Admin = admin
	a.record(r, s, "set admin", "user", u.ID, snapUser(u), snapUser(after))
	redirect(w, r, a.path("users", u.ID)+"/", "saved")
}

// userSetPassword resets a user's password (which revokes their tokens).
// An admin resetting their own is given a new session at once.
func (a *Admin) userSetPassword(w http.ResponseWriter, r *http.Request, s *session) {
	u, ok := object(a, w, r, s, a.acc.User)
	if !ok {
		return
	}
	f, err := parseForm(w, r, "password", "password2")
	if err != nil {
		a.fail(w, r, s, gamekit.Invalid("form", err.Error()))
		return
	}
	if f.Value("password") != f.Value("password2") {
		f.add("password2", "The two password fields didn't match.")
	} else {
		err := a.acc.SetPassword(r.Context(), u.ID, f.Value("password"))
		if err == nil {
			a.record(r, s, "set password", "user", u.ID, nil, nil)
			if u.ID == s.user.ID {
				if err := a.startSession(w, r, u.ID); err != nil {
					a.fail(w, r, s, err)
					return
				}
			}
			redirect(w, r, a.path("users", u.ID)+"/", "password")
			return
		}
		if !f.invalid(err) {
			a.fail(w, r, s, err)
			return
		}
	}
	adminForm := newForm(nil, "admin")
	if u.Admin {
		adminForm.values.Set("admin", "on")
	}
	f.values = url.Values{} // a password is never sent back to the browser
	a.showUser(w, r, s, http.StatusBadRequest, u, adminForm, f)
}

// userOwnings are what the host keeps for a user besides the account,
// deleted with it.
type userOwnings struct {
	inventory *inventory.Inventory
	players   []players.Player
}

func (a *Admin) owned(r *http.Request, userID int64) (userOwnings, error) {
	var o userOwnings
	inv, err := a.inventory.InventoryOfUser(r.Context(), userID)
	switch {
	case err == nil:
		o.inventory = &inv
	case !errors.Is(err, gamekit.ErrNotFound):
		return o, err
	}
	for offset := 0; ; {
		page, err := a.players.Players(r.Context(), players.ListOptions{UserID: userID, Limit: 1000, Offset: offset})
		if err != nil {
			return o, err
		}
		o.players = append(o.players, page...)
		if len(page) < 1000 {
			return o, nil
		}
		offset += len(page)
	}
}

func (a *Admin) userDeletePage(w http.ResponseWriter, r *http.Request, s *session) {
	u, ok := object(a, w, r, s, a.acc.User)
	if !ok {
		return
	}
	if u.ID == s.user.ID {
		a.renderError(w, r, s, http.StatusBadRequest, "You cannot delete your own account; another admin can.")
		return
	}
	o, err := a.owned(r, u.ID)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	v := deleteView{Noun: "user", Name: fmt.Sprintf("#%d %s", u.ID, u.Username),
		Consequences: []string{"Their tokens are revoked: every device they signed in on is signed out."},
		Action:       a.path("users", u.ID, "delete"), Cancel: a.path("users", u.ID) + "/"}
	if o.inventory != nil {
		v.Consequences = append(v.Consequences, fmt.Sprintf("Their inventory #%d is deleted; its %d items stay.",
			o.inventory.ID, len(o.inventory.Items)))
	}
	if n := len(o.players); n > 0 {
		v.Consequences = append(v.Consequences, fmt.Sprintf("Their %d player(s) are deleted.", n))
	}
	a.render(w, r, s, http.StatusOK, "delete", "Delete user", v)
}

// userDelete deletes a user, then their inventory and players (which the
// accounts package leaves to the host), each change in the audit trail.
func (a *Admin) userDelete(w http.ResponseWriter, r *http.Request, s *session) {
	u, ok := object(a, w, r, s, a.acc.User)
	if !ok {
		return
	}
	if u.ID == s.user.ID {
		a.renderError(w, r, s, http.StatusBadRequest, "You cannot delete your own account; another admin can.")
		return
	}
	o, err := a.owned(r, u.ID)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	if err := a.acc.DeleteUser(r.Context(), u.ID); err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.record(r, s, "delete", "user", u.ID, snapUser(u), nil)
	if o.inventory != nil {
		err := a.inventory.DeleteInventory(r.Context(), o.inventory.ID)
		if err != nil && !errors.Is(err, gamekit.ErrNotFound) {
			a.fail(w, r, s, err)
			return
		}
		if err == nil {
			a.record(r, s, "delete", "inventory", o.inventory.ID, snapInventory(*o.inventory, nil), nil)
		}
	}
	for _, p := range o.players {
		err := a.players.DeletePlayer(r.Context(), p.ID)
		if err != nil && !errors.Is(err, gamekit.ErrNotFound) {
			a.fail(w, r, s, err)
			return
		}
		if err == nil {
			a.record(r, s, "delete", "player", p.ID, snapPlayer(p), nil)
		}
	}
	redirect(w, r, a.path("users")+"/", "deleted")
}
