package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/inventory"
)

// itemSorts are the sorts the item list offers, the store's.
var itemSorts = []string{"id", "name", "weight"}

// itemList lists items, searchable by name and sortable; see readPage
// for what a page costs.
func (a *Admin) itemList(w http.ResponseWriter, r *http.Request, s *session) {
	q, sort := search(r), listSort(r, itemSorts, "weight")
	page, offset := pageOf(r, "page", a.pageSize)
	opts := inventory.ListOptions{Search: q}
	l, err := readPage(r.Context(), pageRequest{page: page, size: a.pageSize, offset: offset, sort: sort, reversible: true, counted: q == ""},
		func(ctx context.Context, sort string, limit, offset int) ([]inventory.Item, error) {
			o := opts
			o.Sort, o.Limit, o.Offset = sort, limit, offset
			return a.inventory.Items(ctx, o)
		},
		func(ctx context.Context) (int, error) { return a.inventory.CountItems(ctx, opts) })
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	v := listView{Noun: "item", AddURL: a.path("items", "add"), Search: "Search names", SearchValue: q,
		Columns: sortable(r, sort, []string{"ID", "Name", "Weight (kg)"}, itemSorts),
		Pager:   newPager(r, "page", page, a.pageSize, len(l.rows), l.more, l.total)}
	for _, it := range l.rows {
		v.Rows = append(v.Rows, listRow{URL: a.path("items", it.ID) + "/",
			Cells: []string{strconv.FormatInt(it.ID, 10), it.Name, formatFloat(it.Weight)}})
	}
	if q != "" {
		v.Note = "Matches are not counted: counting them could read every item, whatever the page."
	}
	a.render(w, r, s, http.StatusOK, "list", "Items", v)
}

// allowedSort returns ?sort= if it is one of keys (or its descending
// form), and "" (the store's default) otherwise.
func allowedSort(r *http.Request, keys []string) string {
	sort := r.URL.Query().Get("sort")
	for _, k := range keys {
		if sort == k || sort == "-"+k {
			return sort
		}
	}
	return ""
}

type itemView struct {
	Item    inventory.Item
	Form    *form
	Action  string // where the form posts
	IsNew   bool
	Actions []link
}

type link struct{ Label, URL string }

func (a *Admin) itemAddPage(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(nil, "name", "weight")
	f.values.Set("weight", "0")
	a.render(w, r, s, http.StatusOK, "item", "Add item", itemView{Form: f, Action: a.path("items", "add"), IsNew: true})
}

// readItem reads the item form, with the store's rules for its fields
// (inventory.Item.Validate), so a weight that is no number does not hide
// what is wrong with the name.
func readItem(f *form) (inventory.Item, bool) {
	it := inventory.Item{Name: f.Value("name")}
	weight, ok := f.number("weight")
	it.Weight = weight
	if !ok {
		check := it
		if err := check.Validate(); err != nil {
			var bad *gamekit.InvalidError
			if errors.As(err, &bad) {
				for _, msg := range bad.Fields["name"] {
					f.add("name", msg)
				}
			}
		}
	}
	return it, ok
}

func (a *Admin) itemAdd(w http.ResponseWriter, r *http.Request, s *session) {
	f, err := parseForm(w, r, "name", "weight")
	if err != nil {
		a.fail(w, r, s, gamekit.Invalid("form", err.Error()))
		return
	}
	it, ok := readItem(f)
	if ok {
		err = a.inventory.CreateItem(r.Context(), &it)
		if err == nil {
			a.record(r, s, "add", "item", it.ID, nil, it)
			redirect(w, r, a.path("items", it.ID)+"/", "added")
			return
		}
		if !f.invalid(err) {
			a.fail(w, r, s, err)
			return
		}
	}
	a.render(w, r, s, http.StatusBadRequest, "item", "Add item", itemView{Form: f, Action: a.path("items", "add"), IsNew: true})
}

func (a *Admin) itemPage(w http.ResponseWriter, r *http.Request, s *session) {
	it, ok := object(a, w, r, s, a.inventory.Item)
	if !ok {
		return
	}
	f := newForm(nil, "name", "weight")
	f.values.Set("name", it.Name)
	f.values.Set("weight", formatFloat(it.Weight))
	a.render(w, r, s, http.StatusOK, "item", itemTitle(it), a.itemView(it, f))
}

func (a *Admin) itemView(it inventory.Item, f *form) itemView {
	return itemView{Item: it, Form: f, Action: a.path("items", it.ID) + "/", Actions: []link{
		{"Delete", a.path("items", it.ID, "delete")},
		{"Audit trail", a.auditURL("item", it.ID)},
	}}
}

func itemTitle(it inventory.Item) string { return fmt.Sprintf("Item #%d: %s", it.ID, it.Name) }

func (a *Admin) itemChange(w http.ResponseWriter, r *http.Request, s *session) {
	before, ok := object(a, w, r, s, a.inventory.Item)
	if !ok {
		return
	}
	f, err := parseForm(w, r, "name", "weight")
	if err != nil {
		a.fail(w, r, s, gamekit.Invalid("form", err.Error()))
		return
	}
	it, ok := readItem(f)
	if ok {
		after, err := a.inventory.UpdateItem(r.Context(), before.ID, inventory.ItemChange{Name: &it.Name, Weight: &it.Weight})
		if err == nil {
			a.record(r, s, "change", "item", before.ID, before, after)
			redirect(w, r, a.path("items", before.ID)+"/", "saved")
			return
		}
		if !f.invalid(err) {
			a.fail(w, r, s, err)
			return
		}
	}
	a.render(w, r, s, http.StatusBadRequest, "item", itemTitle(before), a.itemView(before, f))
}

// deleteView is the confirmation page of a delete.
type deleteView struct {
	Noun, Name   string
	Consequences []string
	Action       string
	Cancel       string
}

func (a *Admin) itemDeletePage(w http.ResponseWriter, r *http.Request, s *session) {
	it, ok := object(a, w, r, s, a.inventory.Item)
	if !ok {
		return
	}
	a.render(w, r, s, http.StatusOK, "delete", "Delete item", deleteView{
		Noun: "item", Name: fmt.Sprintf("#%d %s (%s kg)", it.ID, it.Name, formatFloat(it.Weight)),
		Consequences: []string{"It leaves every inventory that holds it."},
		Action:       a.path("items", it.ID, "delete"), Cancel: a.path("items", it.ID) + "/"})
}

func (a *Admin) itemDelete(w http.ResponseWriter, r *http.Request, s *session) {
	before, ok := object(a, w, r, s, a.inventory.Item)
	if !ok {
		return
	}
	if err := a.inventory.DeleteItem(r.Context(), before.ID); err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.record(r, s, "delete", "item", before.ID, before, nil)
	redirect(w, r, a.path("items")+"/", "deleted")
}

// auditURL is the audit trail of one object.
func (a *Admin) auditURL(objectType string, id int64) string {
	return a.path("audit") + "/?type=" + objectType + "&id=" + strconv.FormatInt(id, 10)
}

// formatFloat writes v as briefly as it reads back: 2, 0.5, 1e+21.
func formatFloat(v float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(v, 'g', -1, 64), ".0")
}
