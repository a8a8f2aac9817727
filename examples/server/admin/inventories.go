package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/inventory"
)

// inventorySorts are the sorts the inventory list offers, the store's.
var inventorySorts = []string{"id", "username"}

// maxSnapshotItems bounds the item ids an audit entry records of an
// inventory: gifts make inventories large, and an entry must stay small.
const maxSnapshotItems = 1000

// inventorySnapshot is an inventory as the audit trail records it.
type inventorySnapshot struct {
	ID        int64   `json:"id"`
	User      int64   `json:"user"`
	Username  string  `json:"username"`
	ItemCount int     `json:"item_count"`
	Items     []int64 `json:"items"`
	// Truncated says Items holds only the first maxSnapshotItems.
	Truncated bool `json:"items_truncated,omitempty"`
	// Selected are the items a change of contents was about.
	Selected []int64 `json:"selected,omitempty"`
}

func snapInventory(inv inventory.Inventory, selected []int64) inventorySnapshot {
	s := inventorySnapshot{ID: inv.ID, User: inv.UserID, Username: inv.Username, ItemCount: len(inv.Items),
		Items: inv.Items, Selected: selected}
	if len(s.Items) > maxSnapshotItems {
		s.Items, s.Truncated = s.Items[:maxSnapshotItems], true
	}
	if s.Items == nil {
		s.Items = []int64{}
	}
	return s
}

// inventoryList lists inventories, searchable by username.
func (a *Admin) inventoryList(w http.ResponseWriter, r *http.Request, s *session) {
	q, sort := search(r), listSort(r, inventorySorts, "id")
	page, offset := pageOf(r, "page", a.pageSize)
	opts := inventory.ListOptions{Search: q}
	l, err := readPage(r.Context(), pageRequest{page: page, size: a.pageSize, offset: offset, sort: sort, reversible: true, counted: q == ""},
		func(ctx context.Context, sort string, limit, offset int) ([]inventory.Inventory, error) {
			o := opts
			o.Sort, o.Limit, o.Offset = sort, limit, offset
			return a.inventory.Inventories(ctx, o)
		},
		func(ctx context.Context) (int, error) { return a.inventory.CountInventories(ctx, opts) })
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	v := listView{Noun: "inventory", AddURL: a.path("inventories", "add"), Search: "Search usernames", SearchValue: q,
		Columns: sortable(r, sort, []string{"ID", "User", "User id", "Items"}, []string{"id", "username", "", ""}),
		Pager:   newPager(r, "page", page, a.pageSize, len(l.rows), l.more, l.total)}
	for _, inv := range l.rows {
		v.Rows = append(v.Rows, listRow{URL: a.path("inventories", inv.ID) + "/", Cells: []string{
			strconv.FormatInt(inv.ID, 10), inv.Username, strconv.FormatInt(inv.UserID, 10), strconv.Itoa(len(inv.Items))}})
	}
	a.render(w, r, s, http.StatusOK, "list", "Inventories", v)
}

// findUser finds the user a form names, by username or else by id, or
// adds a message for field.
func (a *Admin) findUser(ctx context.Context, f *form, field string) (accounts.User, bool, error) {
	text := strings.TrimSpace(f.Value(field))
	if text == "" {
		f.add(field, "This field is required.")
		return accounts.User{}, false, nil
	}
	u, err := a.acc.UserByUsername(ctx, text)
	if errors.Is(err, gamekit.ErrNotFound) {
		if id, perr := strconv.ParseInt(text, 10, 64); perr == nil && id > 0 {
			u, err = a.acc.User(ctx, id)
		}
	}
	switch {
	case errors.Is(err, gamekit.ErrNotFound):
		f.add(field, fmt.Sprintf("There is no user %q (give a username or a user id).", text))
		return accounts.User{}, false, nil
	case err != nil:
		return accounts.User{}, false, err
	}
	return u, true, nil
}

type inventoryAddView struct {
	Form *form
}

func (a *Admin) inventoryAddPage(w http.ResponseWriter, r *http.Request, s *session) {
	a.render(w, r, s, http.StatusOK, "inventory_add", "Add inventory", inventoryAddView{Form: newForm(nil, "user")})
}

func (a *Admin) inventoryAdd(w http.ResponseWriter, r *http.Request, s *session) {
	f, err := parseForm(w, r, "user")
	if err != nil {
		a.fail(w, r, s, gamekit.Invalid("form", err.Error()))
		return
	}
	u, ok, err := a.findUser(r.Context(), f, "user")
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	if ok {
		inv := inventory.Inventory{UserID: u.ID, Username: u.Username}
		err := a.inventory.CreateInventory(r.Context(), &inv)
		if err == nil {
			a.record(r, s, "add", "inventory", inv.ID, nil, snapInventory(inv, nil))
			redirect(w, r, a.path("inventories", inv.ID)+"/", "added")
			return
		}
		if !f.invalid(err) {
			a.fail(w, r, s, err)
			return
		}
	}
	a.render(w, r, s, http.StatusBadRequest, "inventory_add", "Add inventory", inventoryAddView{Form: f})
}

type inventoryView struct {
	Inventory inventory.Inventory
	Owner     *form
	// Contents is a page of the inventory's items, newest first.
	Contents      []inventory.Item
	ContentsPager pager
	Remove        *form
	// Picker is a page of all items, searchable, to add from.
	Picker       []pickedItem
	PickerSearch string
	PickerPager  pager
	Add          *form
	// Back is the page's query, so a change returns to the same pages.
	Back    string
	Actions []link
}

type pickedItem struct {
	inventory.Item
	In bool // already in the inventory
}

// pickerSize is how many items a page of the picker shows.
func (a *Admin) pickerSize() int { return min(a.pageSize, 20) }

func (a *Admin) inventoryPage(w http.ResponseWriter, r *http.Request, s *session) {
	inv, ok := object(a, w, r, s, a.inventory.Inventory)
	if !ok {
		return
	}
	owner := newForm(nil, "user")
	owner.values.Set("user", inv.Username)
	a.showInventory(w, r, s, http.StatusOK, inv, owner, newForm(nil, "items"), newForm(nil, "items"))
}

// showInventory shows an inventory: its owner, a page of its items
// (newest first, Store.Items of the inventory) and a page of the picker,
// which reads items with Store.Items and never more than a page of them.
func (a *Admin) showInventory(w http.ResponseWriter, r *http.Request, s *session, status int, inv inventory.Inventory, owner, remove, add *form) {
	ctx := r.Context()
	v := inventoryView{Inventory: inv, Owner: owner, Remove: remove, Add: add, Back: r.URL.RawQuery, Actions: []link{
		{"Delete", a.path("inventories", inv.ID, "delete")},
		{"Audit trail", a.auditURL("inventory", inv.ID)},
	}}
	page, offset := pageOf(r, "ipage", a.pageSize)
	contents, err := readPage(ctx, pageRequest{page: page, size: a.pageSize, offset: offset, sort: "-id", reversible: true, counted: true},
		func(ctx context.Context, sort string, limit, offset int) ([]inventory.Item, error) {
			return a.inventory.Items(ctx, inventory.ListOptions{InventoryID: inv.ID, Sort: sort, Limit: limit, Offset: offset})
		},
		func(context.Context) (int, error) { return len(inv.Items), nil }) // the count the page's heading shows
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	v.Contents = contents.rows
	v.ContentsPager = newPager(r, "ipage", page, a.pageSize, len(contents.rows), contents.more, contents.total)

	size := a.pickerSize()
	v.PickerSearch = strings.TrimSpace(r.URL.Query().Get("pq"))
	ppage, poffset := pageOf(r, "ppage", size)
	picked, err := readPage(ctx, pageRequest{page: ppage, size: size, offset: poffset, sort: "-id"},
		func(ctx context.Context, sort string, limit, offset int) ([]inventory.Item, error) {
			return a.inventory.Items(ctx, inventory.ListOptions{Search: v.PickerSearch, Sort: sort, Limit: limit, Offset: offset})
		}, nil)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	for _, it := range picked.rows {
		_, in := slices.BinarySearch(inv.Items, it.ID)
		v.Picker = append(v.Picker, pickedItem{Item: it, In: in})
	}
	v.PickerPager = newPager(r, "ppage", ppage, size, len(picked.rows), picked.more, picked.total)
	a.render(w, r, s, status, "inventory", fmt.Sprintf("Inventory #%d of %s", inv.ID, inv.Username), v)
}

// backTo returns r as if it had asked for the inventory's page with the
// query a form carried back (only the page's own parameters), so a page
// shown again after a refused change keeps the picker where it was.
func (a *Admin) backTo(r *http.Request, inv inventory.Inventory) *http.Request {
	back, _ := url.ParseQuery(r.PostForm.Get("back"))
	q := url.Values{}
	for _, k := range []string{"pq", "ppage", "ipage"} {
		if v := back.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	r2 := r.Clone(r.Context())
	r2.URL = &url.URL{Path: a.path("inventories", inv.ID) + "/", RawQuery: q.Encode()}
	return r2
}

// inventoryChange moves an inventory to another user.
func (a *Admin) inventoryChange(w http.ResponseWriter, r *http.Request, s *session) {
	before, ok := object(a, w, r, s, a.inventory.Inventory)
	if !ok {
		return
	}
	f, err := parseForm(w, r, "user")
	if err != nil {
		a.fail(w, r, s, gamekit.Invalid("form", err.Error()))
		return
	}
	u, ok, err := a.findUser(r.Context(), f, "user")
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	if ok {
		after, err := a.inventory.UpdateInventory(r.Context(), before.ID, inventory.InventoryChange{UserID: &u.ID, Username: u.Username})
		if err == nil {
			a.record(r, s, "change", "inventory", before.ID, snapInventory(before, nil), snapInventory(after, nil))
			redirect(w, r, a.path("inventories", before.ID)+"/", "saved")
			return
		}
		if !f.invalid(err) {
			a.fail(w, r, s, err)
			return
		}
	}
	a.showInventory(w, a.backTo(r, before), s, http.StatusBadRequest, before, f, newForm(nil, "items"), newForm(nil, "items"))
}

// inventoryAddItems adds the items ticked in the picker.
func (a *Admin) inventoryAddItems(w http.ResponseWriter, r *http.Request, s *session) {
	a.changeContents(w, r, s, "add items", "items-added", a.inventory.AddItems)
}

// inventoryRemoveItems takes the items ticked in the contents out.
func (a *Admin) inventoryRemoveItems(w http.ResponseWriter, r *http.Request, s *session) {
	a.changeContents(w, r, s, "remove items", "items-removed", a.inventory.RemoveItems)
}

func (a *Admin) changeContents(w http.ResponseWriter, r *http.Request, s *session, action, done string,
	change func(ctx context.Context, inventoryID int64, itemIDs ...int64) error) {
	before, ok := object(a, w, r, s, a.inventory.Inventory)
	if !ok {
		return
	}
	f, err := parseForm(w, r, "items")
	if err != nil {
		a.fail(w, r, s, gamekit.Invalid("form", err.Error()))
		return
	}
	selected := ids(r.PostForm["items"])
	back := a.backTo(r, before)
	if len(selected) == 0 {
		f.add("items", "Tick at least one item.")
	} else if err := change(r.Context(), before.ID, selected...); err == nil {
		after, err := a.inventory.Inventory(r.Context(), before.ID)
		if err != nil {
			a.fail(w, r, s, err)
			return
		}
		a.record(r, s, action, "inventory", before.ID, snapInventory(before, selected), snapInventory(after, selected))
		redirect(w, r, back.URL.String(), done)
		return
	} else if !f.invalid(err) {
		a.fail(w, r, s, err)
		return
	}
	owner := newForm(nil, "user")
	owner.values.Set("user", before.Username)
	remove, add := newForm(nil, "items"), newForm(nil, "items")
	if action == "add items" {
		add = f
	} else {
		remove = f
	}
	a.showInventory(w, back, s, http.StatusBadRequest, before, owner, remove, add)
}

func (a *Admin) inventoryDeletePage(w http.ResponseWriter, r *http.Request, s *session) {
	inv, ok := object(a, w, r, s, a.inventory.Inventory)
	if !ok {
		return
	}
	a.render(w, r, s, http.StatusOK, "delete", "Delete inventory", deleteView{
		Noun: "inventory", Name: fmt.Sprintf("#%d of %s", inv.ID, inv.Username),
		Consequences: []string{fmt.Sprintf("Its %d items stay, in no inventory of this user.", len(inv.Items)),
			"The user keeps their account, and has no inventory until one is added."},
		Action: a.path("inventories", inv.ID, "delete"), Cancel: a.path("inventories", inv.ID) + "/"})
}

func (a *Admin) inventoryDelete(w http.ResponseWriter, r *http.Request, s *session) {
	inv, ok := object(a, w, r, s, a.inventory.Inventory)
	if !ok {
		return
	}
	if err := a.inventory.DeleteInventory(r.Context(), inv.ID); err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.record(r, s, "delete", "inventory", inv.ID, snapInventory(inv, nil), nil)
	redirect(w, r, a.path("inventories")+"/", "deleted")
}
