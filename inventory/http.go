package inventory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/rest"
)

// UserDirectory tells the handler the username of a user id, so an
// inventory created over HTTP carries it; the host owns users.
type UserDirectory interface {
	// Username returns the user's name, or an error of kind
	// gamekit.ErrNotFound when there is no such user.
	Username(ctx context.Context, userID int64) (string, error)
}

// HandlerOptions configure Handler; nil means defaults.
type HandlerOptions struct {
	// MaxRows caps every list, plain or paginated. Defaults to
	// rest.DefaultMaxRows (1000).
	MaxRows int
	// Logger receives the errors answered with 500. Defaults to the logger
	// on the request's context (rest.WithLogger), else slog.Default().
	Logger *slog.Logger
	// Users resolves the user of an inventory an admin creates or moves.
	// Defaults to nil: creating or moving inventories over HTTP is then
	// refused with 403, and the host creates them (at registration, say).
	Users UserDirectory
	// CacheBytes bounds the inventories' JSON kept in memory, served while
	// the inventory's version (see InventoryHead) is the one it was read
	// at, so reading an inventory of any size costs one point read and the
	// writing of its bytes. Defaults to DefaultCacheBytes; -1 turns the
	// cache off.
	CacheBytes int
}

// Handler serves the tutorial's REST API for items and inventories:
//
//	GET    /items/                 anyone: items by weight, then id
//	POST   /items/                 admin: 201
//	GET    /items/{id}/            anyone
//	PUT, PATCH, DELETE /items/{id}/  admin: 200, 200, 204
//	GET    /inventories/           signed in: a player's own, an admin's all;
//	                               ?username= filters (another's: [])
//	POST   /inventories/           admin: 201
//	GET    /inventories/{id}/      the owner or an admin
//	PUT, PATCH, DELETE /inventories/{id}/  admin
//	GET    /inventories/{id}/items/  the owner or an admin: the inventory's
//	                               items, by id, a page at a time
//
// Paths are relative to where the host mounts it (with http.StripPrefix),
// and the trailing slash is optional. Lists take ?limit= and ?offset= (DRF's
// envelope), ?search= and ?ordering=. The caller's identity comes from the
// request context (gamekit.WithIdentity).
type Handler struct {
	store   Store
	maxRows int
	users   UserDirectory
	cache   *inventoryCache
	mux     *rest.Mux
}

// NewHandler returns the API over store.
func NewHandler(store Store, opts *HandlerOptions) (*Handler, error) {
	if opts == nil {
		opts = &HandlerOptions{}
	}
	maxRows, err := rest.MaxRows("inventory", opts.MaxRows)
	if err != nil {
		return nil, err
	}
	cacheBytes := opts.CacheBytes
	switch {
	case cacheBytes == 0:
		cacheBytes = DefaultCacheBytes
	case cacheBytes == -1:
		cacheBytes = 0
	case cacheBytes < 0:
		return nil, &gamekit.OptionError{Option: "inventory: HandlerOptions.CacheBytes", Value: cacheBytes,
			Want: "a number of bytes, 0 for the default or -1 for no cache"}
	}
	h := &Handler{store: store, maxRows: maxRows, users: opts.Users, cache: newInventoryCache(cacheBytes),
		mux: rest.NewMux(opts.Logger)}
	// Items are the same for everyone and read far more often than they
	// change: a read costs the items version's point read.
	h.mux.Handle("/items", rest.VersionCache(store.ItemsVersion, http.HandlerFunc(h.items)))
	h.mux.Handle("/items/{id}", rest.VersionCache(store.ItemsVersion, http.HandlerFunc(h.item)))
	h.mux.HandleFunc("/inventories", h.inventories)
	h.mux.HandleFunc("/inventories/{id}", h.inventory)
	h.mux.HandleFunc("/inventories/{id}/items", h.inventoryItems)
	return h, nil
}

// ServeHTTP routes a request to its resource.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// itemBody is the JSON a client sends for an item; "id" is accepted and
// ignored, as DRF ignores read-only fields, so a client can send back what
// it read.
type itemBody struct {
	ID     *int64   `json:"id"`
	Name   *string  `json:"name"`
	Weight *float64 `json:"weight"`
}

func (h *Handler) items(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q := r.URL.Query()
		page, err := rest.ParsePage(q, h.maxRows)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		opts := ListOptions{Search: q.Get("search"), Sort: q.Get("ordering"),
			Limit: page.Fetch(), Offset: page.Offset}
		items, err := h.store.Items(r.Context(), opts)
		rest.WriteList(w, r, page, items, err, func() (int, error) { return h.store.CountItems(r.Context(), opts) })
	case http.MethodPost:
		body, err := h.itemBody(w, r, true)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		item := Item{Name: *body.Name, Weight: *body.Weight}
		if err := h.store.CreateItem(r.Context(), &item); err != nil {
			rest.WriteError(w, r, err)
			return
		}
		rest.WriteJSON(w, r, http.StatusCreated, item)
	default:
		rest.MethodNotAllowed(w, r)
	}
}

func (h *Handler) item(w http.ResponseWriter, r *http.Request) {
	id, err := rest.ID(r, "id")
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	var item Item
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		item, err = h.store.Item(r.Context(), id)
	case http.MethodPut, http.MethodPatch:
		var body itemBody
		if body, err = h.itemBody(w, r, r.Method == http.MethodPut); err == nil {
			item, err = h.store.UpdateItem(r.Context(), id, ItemChange{Name: body.Name, Weight: body.Weight})
		}
	case http.MethodDelete:
		if err = rest.Admin(r); err == nil {
			err = h.store.DeleteItem(r.Context(), id)
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
	rest.WriteJSON(w, r, http.StatusOK, item)
}

// itemBody checks that the caller is an admin and reads an item body; a
// full one (POST, PUT) must have every field.
func (h *Handler) itemBody(w http.ResponseWriter, r *http.Request, full bool) (itemBody, error) {
	var body itemBody
	if err := rest.Admin(r); err != nil {
		return body, err
	}
	if err := rest.Decode(w, r, &body); err != nil {
		return body, err
	}
	if full {
		bad := &gamekit.InvalidError{}
		if body.Name == nil {
			bad.Add("name", "This field is required.")
		}
		if body.Weight == nil {
			bad.Add("weight", "This field is required.")
		}
		return body, bad.Err()
	}
	return body, nil
}

// inventoryBody is the JSON a client sends for an inventory; "id" is
// accepted and ignored.
type inventoryBody struct {
	ID    *int64   `json:"id"`
	User  *int64   `json:"user"`
	Items *[]int64 `json:"items"`
}

func (h *Handler) inventories(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		caller, err := rest.SignedIn(r)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		q := r.URL.Query()
		page, err := rest.ParsePage(q, h.maxRows)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		opts := ListOptions{Username: q.Get("username"), Search: q.Get("search"), Sort: q.Get("ordering"),
			Limit: page.Fetch(), Offset: page.Offset}
		if !caller.Admin {
			// A player sees their own inventory only; asking for someone
			// else's username finds nothing rather than an error.
			opts.UserID = caller.UserID
		}
		if !caller.Admin && opts.Search == "" && opts.Sort == "" {
			h.ownInventory(w, r, page, opts)
			return
		}
		invs, err := h.store.Inventories(r.Context(), opts)
		rest.WriteList(w, r, page, invs, err, func() (int, error) { return h.store.CountInventories(r.Context(), opts) })
	case http.MethodPost:
		change, err := h.inventoryChange(w, r, true)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		inv := Inventory{UserID: *change.UserID, Username: change.Username, Items: []int64{}}
		if change.Items != nil {
			inv.Items = *change.Items
		}
		if err := h.store.CreateInventory(r.Context(), &inv); err != nil {
			rest.WriteError(w, r, err)
			return
		}
		rest.WriteJSON(w, r, http.StatusCreated, inv)
	default:
		rest.MethodNotAllowed(w, r)
	}
}

// ownInventory answers a player's list of inventories, which holds at most
// their own: from the cache when the request asks for the plain list,
// unindented, else with the store's single-row read.
func (h *Handler) ownInventory(w http.ResponseWriter, r *http.Request, page rest.Page, opts ListOptions) {
	if !page.Envelope && plainJSON(r) {
		head, err := h.store.InventoryHeadOfUser(r.Context(), opts.UserID)
		if errors.Is(err, ErrInventoryNotFound) {
			rest.WriteRaw(w, http.StatusOK, []byte("[]\n"))
			return
		}
		var inv *cachedInventory
		if err == nil {
			inv, err = h.cached(r.Context(), head)
		}
		switch {
		case err != nil:
			rest.WriteError(w, r, err)
		case inv.userID != opts.UserID || opts.Username != "" && opts.Username != head.Username:
			// Another's, or moved to another user since its head was read.
			rest.WriteRaw(w, http.StatusOK, []byte("[]\n"))
		default:
			rest.WriteRaw(w, http.StatusOK, inv.list)
		}
		return
	}
	invs := []Inventory{}
	inv, err := h.store.InventoryOfUser(r.Context(), opts.UserID)
	switch {
	case errors.Is(err, ErrInventoryNotFound):
	case err != nil:
		rest.WriteError(w, r, err)
		return
	case opts.Username == "" || opts.Username == inv.Username:
		invs = append(invs, inv)
	}
	count := len(invs)
	invs = invs[min(page.Offset, count):]
	rest.WriteList(w, r, page, invs, nil, func() (int, error) { return count, nil })
}

func (h *Handler) inventory(w http.ResponseWriter, r *http.Request) {
	id, err := rest.ID(r, "id")
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	var inv Inventory
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if plainJSON(r) {
			var cached *cachedInventory
			if cached, err = h.readable(r, id); err == nil {
				detail := cached.detail()
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", strconv.Itoa(len(detail)+1))
				w.WriteHeader(http.StatusOK)
				w.Write(detail)
				w.Write([]byte{'\n'})
				return
			}
			break
		}
		var caller gamekit.Identity
		if caller, err = rest.SignedIn(r); err == nil {
			inv, err = h.store.Inventory(r.Context(), id)
		}
		if err == nil && !caller.Admin && inv.UserID != caller.UserID {
			err = ErrInventoryNotFound // another player's inventory does not exist for this caller
		}
	case http.MethodPut, http.MethodPatch:
		var change InventoryChange
		if change, err = h.inventoryChange(w, r, r.Method == http.MethodPut); err == nil {
			inv, err = h.store.UpdateInventory(r.Context(), id, change)
		}
	case http.MethodDelete:
		if err = rest.Admin(r); err == nil {
			err = h.store.DeleteInventory(r.Context(), id)
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
	rest.WriteJSON(w, r, http.StatusOK, inv)
}

// readable returns the inventory with the given id, from the cache, if
// the caller may read it (its owner or an admin), else an error: another
// player's inventory does not exist for this caller.
func (h *Handler) readable(r *http.Request, id int64) (*cachedInventory, error) {
	caller, err := rest.SignedIn(r)
	if err != nil {
		return nil, err
	}
	head, err := h.store.InventoryHead(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !caller.Admin && head.UserID != caller.UserID {
		return nil, ErrInventoryNotFound
	}
	inv, err := h.cached(r.Context(), head)
	if err != nil {
		return nil, err
	}
	if !caller.Admin && inv.userID != caller.UserID {
		return nil, ErrInventoryNotFound // moved to another user since its head was read
	}
	return inv, nil
}

// cached returns the inventory head names as the cache holds it at head's
// version, reading it from the store (after head, so never older) when
// the cache does not.
func (h *Handler) cached(ctx context.Context, head InventoryHead) (*cachedInventory, error) {
	if inv := h.cache.get(head); inv != nil {
		return inv, nil
	}
	inv, err := h.store.Inventory(ctx, head.ID)
	if err != nil {
		return nil, err
	}
	return h.cache.put(head, inv)
}

// inventoryItems pages through an inventory's items, for clients that do
// not want the ids of a large inventory all at once: the items themselves
// ({"id", "name", "weight"}), by id unless ?ordering= says otherwise, with
// ?limit= and ?offset= (DRF's envelope) and ?search=, as /items/.
func (h *Handler) inventoryItems(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rest.MethodNotAllowed(w, r)
		return
	}
	id, err := rest.ID(r, "id")
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	caller, err := rest.SignedIn(r)
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	head, err := h.store.InventoryHead(r.Context(), id)
	if err == nil && !caller.Admin && head.UserID != caller.UserID {
		err = ErrInventoryNotFound
	}
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	page, err := rest.ParsePage(q, h.maxRows)
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	sort := q.Get("ordering")
	if sort == "" {
		sort = "id" // the order of the inventory's "items"
	}
	opts := ListOptions{InventoryID: id, Search: q.Get("search"), Sort: sort,
		Limit: page.Fetch(), Offset: page.Offset}
	items, err := h.store.Items(r.Context(), opts)
	rest.WriteList(w, r, page, items, err, func() (int, error) { return h.store.CountItems(r.Context(), opts) })
}

// plainJSON reports whether r asks for JSON as the cache holds it: not
// indented (see rest.WriteJSON).
func plainJSON(r *http.Request) bool {
	return !strings.Contains(r.Header.Get("Accept"), "indent")
}

// inventoryChange checks that the caller is an admin, reads an inventory
// body and resolves its user; a full one (POST, PUT) needs the user, PUT
// the items too.
func (h *Handler) inventoryChange(w http.ResponseWriter, r *http.Request, full bool) (InventoryChange, error) {
	var change InventoryChange
	if err := rest.Admin(r); err != nil {
		return change, err
	}
	var body inventoryBody
	if err := rest.Decode(w, r, &body); err != nil {
		return change, err
	}
	bad := &gamekit.InvalidError{}
	if body.User == nil && full {
		bad.Add("user", "This field is required.")
	}
	if body.Items == nil && r.Method == http.MethodPut {
		bad.Add("items", "This field is required.")
	}
	if err := bad.Err(); err != nil {
		return change, err
	}
	change.Items = body.Items
	if body.User != nil {
		if h.users == nil {
			return change, gamekit.Errorf(gamekit.ErrForbidden, "This server does not create or move inventories over HTTP.")
		}
		name, err := h.users.Username(r.Context(), *body.User)
		if errors.Is(err, gamekit.ErrNotFound) {
			return change, gamekit.Invalid("user", fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", *body.User))
		}
		if err != nil {
			return change, err
		}
		change.UserID, change.Username = body.User, name
	}
	return change, nil
}
