// Package rest is how gamekit's HTTP handlers, and a host's own, read
// requests and write responses in the style of Django REST framework.
//
// # Requests
//
// Decode and Unmarshal read JSON strictly: unknown fields, duplicate keys,
// wrong types, trailing data, a non-JSON content type and bodies over
// MaxBodyBytes are refused, so nothing half-understood is stored. SignedIn
// and Admin check the caller's gamekit.Identity; ID parses a path id.
//
// # Responses
//
// WriteJSON writes a body (indented for "Accept: application/json;
// indent=4", as DRF does); WriteError is the one mapping from gamekit's
// error kinds to statuses and DRF's bodies ({"detail": ...} or
// {"field": ["message"]}); WriteList writes a plain list capped at a number
// of rows with a Link header to the rest, or DRF's pagination envelope.
//
// # Serving several packages
//
// API mounts each package's handler under one prefix (/api/) with the
// optional trailing slash, JSON 404 and 405 bodies, and the GET /api/ index
// of what is mounted. Mux does the same within one package's handler.
package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gamekit/gamekit"
)

// MaxBodyBytes is the largest request body a handler reads: 1 MiB.
const MaxBodyBytes = 1 << 20

// WriteJSON writes v as JSON with the given status. A client asking for
// "Accept: application/json; indent=4" gets it indented, as from DRF.
func WriteJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if n := indent(r); n > 0 {
		enc.SetIndent("", fmt.Sprintf("%*s", n, ""))
	}
	if err := enc.Encode(v); err != nil {
		Logger(r.Context()).ErrorContext(r.Context(), "encode response", "path", r.URL.Path, "err", err)
		http.Error(w, `{"detail":"A server error occurred."}`, http.StatusInternalServerError)
		return
	}
	WriteRaw(w, status, buf.Bytes())
}

// Reply writes v with the given status, or err as WriteError does: the
// end of a handler that asked a store for v.
func Reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, status, v)
}

// jsonType is the Content-Type of every JSON response, one slice for all
// (clipped, so a middleware that adds a value copies it).
var jsonType = []string{"application/json"}

// WriteRaw writes body, already JSON, with the given status.
func WriteRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = jsonType
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// indent returns the indent= parameter of the Accept header, capped at 8.
func indent(r *http.Request) int {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return 0
	}
	_, params, err := mime.ParseMediaType(accept)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(params["indent"])
	if err != nil || n < 0 {
		return 0
	}
	return min(n, 8)
}

// Detail is the body of every error that is not about particular fields.
type Detail struct {
	Detail string `json:"detail"`
}

// The details DRF gives for its standard errors; clients match on them.
const (
	detailNotFound        = "Not found."
	detailUnauthenticated = "Authentication credentials were not provided."
	detailForbidden       = "You do not have permission to perform this action."
	detailServerError     = "A server error occurred."
)

// WriteError answers with the status and body for err's kind; this is the
// one mapping from gamekit's error kinds to HTTP:
//
//	*gamekit.InvalidError   400 {"field": ["message", ...]}
//	gamekit.ErrInvalid      400 {"detail": message}
//	gamekit.ErrUnauthenticated 401, gamekit.ErrForbidden 403,
//	gamekit.ErrNotFound     404 {"detail": "Not found."}
//	gamekit.ErrConflict     409 {"detail": message}
//	*http.MaxBytesError     413
//	a body not sent as JSON 415 (see Decode)
//	gamekit.ErrRateLimited  429 with Retry-After
//	anything else           500, logged to Logger(ctx); the client sees no
//	                        internals.
//
// A bare kind gets DRF's wording; an error with its own message shows it.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var invalid *gamekit.InvalidError
	var tooLarge *http.MaxBytesError
	var limited *gamekit.RateLimitError
	var mediaType *mediaTypeError
	switch {
	case errors.As(err, &mediaType):
		WriteJSON(w, r, http.StatusUnsupportedMediaType, Detail{err.Error()})
	case errors.As(err, &invalid):
		WriteJSON(w, r, http.StatusBadRequest, invalid.Fields)
	case errors.Is(err, gamekit.ErrInvalid):
		WriteJSON(w, r, http.StatusBadRequest, Detail{err.Error()})
	case errors.Is(err, gamekit.ErrUnauthenticated):
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
		WriteJSON(w, r, http.StatusUnauthorized, Detail{message(err, gamekit.ErrUnauthenticated, detailUnauthenticated)})
	case errors.Is(err, gamekit.ErrForbidden):
		WriteJSON(w, r, http.StatusForbidden, Detail{message(err, gamekit.ErrForbidden, detailForbidden)})
	case errors.Is(err, gamekit.ErrNotFound):
		WriteJSON(w, r, http.StatusNotFound, Detail{detailNotFound})
	case errors.Is(err, gamekit.ErrConflict):
		WriteJSON(w, r, http.StatusConflict, Detail{err.Error()})
	case errors.As(err, &tooLarge):
		WriteJSON(w, r, http.StatusRequestEntityTooLarge,
			Detail{fmt.Sprintf("Request body is larger than %d bytes.", tooLarge.Limit)})
	case errors.As(err, &limited):
		seconds := int((limited.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(seconds))
		WriteJSON(w, r, http.StatusTooManyRequests,
			Detail{fmt.Sprintf("Request was throttled. Expected available in %d seconds.", seconds)})
	default:
		Logger(r.Context()).ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		WriteJSON(w, r, http.StatusInternalServerError, Detail{detailServerError})
	}
}

func message(err, kind error, standard string) string {
	if err == kind {
		return standard
	}
	return err.Error()
}

// MethodNotAllowed answers 405 as DRF does, naming the method.
func MethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, r, http.StatusMethodNotAllowed, Detail{fmt.Sprintf("Method %q not allowed.", r.Method)})
}

// SignedIn returns the caller's identity, or an error of kind
// gamekit.ErrUnauthenticated for an anonymous request.
func SignedIn(r *http.Request) (gamekit.Identity, error) {
	id, ok := gamekit.IdentityFrom(r.Context())
	if !ok {
		return gamekit.Identity{}, gamekit.ErrUnauthenticated
	}
	return id, nil
}

// Admin returns nil for an admin, gamekit.ErrUnauthenticated for an
// anonymous caller (who could still sign in) and gamekit.ErrForbidden for
// anyone else, as DRF's IsAdminUser does.
func Admin(r *http.Request) error {
	id, err := SignedIn(r)
	if err != nil {
		return err
	}
	if !id.Admin {
		return gamekit.ErrForbidden
	}
	return nil
}

// ID parses the {name} path value as a positive id; anything else is a 404,
// as for a URL that names nothing.
func ID(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	if v == "" || strings.TrimLeft(v, "0123456789") != "" { // DRF's [0-9]+: no sign
		return 0, gamekit.ErrNotFound
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, gamekit.ErrNotFound
	}
	return id, nil
}

type loggerKey struct{}

// WithLogger returns ctx carrying logger, to which WriteError logs the
// errors it answers with 500. A handler's Logger option puts it there; a
// host may set one for every handler in its middleware.
func WithLogger(ctx context.Context, logger *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, logger)
}

// Logger returns the logger WithLogger put on ctx, or slog.Default().
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return slog.Default()
}
