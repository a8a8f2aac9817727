package rest

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gamekit/gamekit"
)

// API serves several packages' handlers under one prefix, as Django REST
// framework's router does: each collection with or without its trailing
// slash, GET on the prefix itself listing the collections mounted
// ({"items": "http://host/api/items/", ...}), a JSON 404 for anything
// else under the prefix, and a 404 or 400 for a path or query parameter no
// database can hold (see CheckURL), whatever handler it was meant for. Register puts
// its routes on the host's ServeMux, the prefix and everything under it:
//
//	api := rest.NewAPI("/api")
//	api.Mount(itemsHandler, "items", "inventories")
//	api.Register(mux)
//
// (http.ServeMux alone answers /api/items with a 307 to /api/items/ and
// unknown paths with a plain-text 404.)
type API struct {
	prefix string
	mux    *http.ServeMux   // the routes, for ServeHTTP
	muxes  []*http.ServeMux // mux and those Register put the routes on
	routes []route
	index  []string // the collections, in the order mounted
}

// route is a ServeMux pattern and its handler.
type route struct {
	pattern string
	h       http.Handler
}

// NewAPI returns an API serving under prefix ("/api"; a trailing slash is
// ignored, "" serves at the root).
func NewAPI(prefix string) *API {
	a := &API{prefix: strings.TrimSuffix(prefix, "/"), mux: http.NewServeMux()}
	a.muxes = []*http.ServeMux{a.mux}
	a.route(a.prefix+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, gamekit.ErrNotFound)
	}))
	a.route(a.prefix+"/{$}", http.HandlerFunc(a.serveIndex))
	if a.prefix != "" {
		a.route(a.prefix, http.HandlerFunc(a.serveIndex))
	}
	return a
}

// Mount serves h for each collection ("items" serves prefix/items and
// everything under it) and lists each in the index. h sees the request's
// path without the prefix ("/items/1/"), as the packages' handlers expect.
func (a *API) Mount(h http.Handler, collections ...string) {
	for _, c := range collections {
		a.Handle(c, h)
		a.index = append(a.index, c)
	}
}

// Handle is Mount for paths that are not collections, which the index does
// not list: "auth", "realtime/ticket".
func (a *API) Handle(path string, h http.Handler) {
	h = http.StripPrefix(a.prefix, h)
	path = a.prefix + "/" + strings.Trim(path, "/")
	a.route(path, h)
	a.route(path+"/", h)
}

// route serves pattern with h, after CheckURL, on the API's own ServeMux
// and on every one Register put it on.
func (a *API) route(pattern string, h http.Handler) {
	h = CheckRequest(h)
	a.routes = append(a.routes, route{pattern, h})
	for _, mux := range a.muxes {
		mux.Handle(pattern, h)
	}
}

// Register serves the API on mux at its prefix and everything under it,
// with every route on mux itself, so a request is routed once rather than
// by mux and then again by the API. Paths mounted later are added too.
func (a *API) Register(mux *http.ServeMux) {
	a.muxes = append(a.muxes, mux)
	for _, rt := range a.routes {
		mux.Handle(rt.pattern, rt.h)
	}
}

// ServeHTTP routes r, for a host that serves the API without a ServeMux
// of its own.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mux.ServeHTTP(w, r)
}

func (a *API) serveIndex(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		MethodNotAllowed(w, r)
		return
	}
	// In the order mounted, as DRF's router lists them: a map would sort.
	body := []byte{'{'}
	for i, name := range a.index {
		if i > 0 {
			body = append(body, ',')
		}
		key, _ := json.Marshal(name) // a string always marshals
		url, _ := json.Marshal(AbsoluteURL(r, a.prefix+"/"+name+"/"))
		body = append(append(append(body, key...), ':'), url...)
	}
	body = append(body, '}')
	WriteJSON(w, r, http.StatusOK, json.RawMessage(body))
}
