package rest

import (
	"log/slog"
	"net/http"

	"github.com/gamekit/gamekit"
)

// Mux routes a package's API. A path is served with and without its
// trailing slash, as Django REST framework clients expect, a path that
// matches nothing is answered with DRF's JSON 404 rather than ServeMux's
// plain text, and a path or query parameter no database can hold is a 404
// or 400 (see CheckURL) before any handler runs.
type Mux struct {
	mux    *http.ServeMux
	logger *slog.Logger
}

// NewMux returns an empty Mux whose handlers log to logger (see
// WithLogger); nil leaves the logger to the request's context.
func NewMux(logger *slog.Logger) *Mux {
	m := &Mux{mux: http.NewServeMux(), logger: logger}
	m.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, gamekit.ErrNotFound)
	})
	return m
}

// Handle serves path (without a trailing slash, wildcards allowed, no
// method) and path + "/" with h.
func (m *Mux) Handle(path string, h http.Handler) {
	m.mux.Handle(path, h)
	m.mux.Handle(path+"/{$}", h)
}

// HandleFunc is Handle for a function.
func (m *Mux) HandleFunc(path string, h http.HandlerFunc) {
	m.Handle(path, h)
}

// ServeHTTP routes r.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Copying the request to carry the logger is skipped when it carries
	// it already: a host that puts its one logger on every request (in
	// http.Server.BaseContext, say) pays no copy per request.
	if m.logger != nil && Logger(r.Context()) != m.logger {
		r = r.WithContext(WithLogger(r.Context(), m.logger))
	}
	if err := CheckURL(r); err != nil {
		WriteError(w, r, err)
		return
	}
	m.mux.ServeHTTP(w, r)
}
