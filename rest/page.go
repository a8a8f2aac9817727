package rest

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gamekit/gamekit"
)

// DefaultMaxRows caps every list response unless a handler's MaxRows
// option says otherwise: a plain list never returns more rows, and ?limit=
// asks for at most this many.
const DefaultMaxRows = 1000

// MaxRows checks a handler's MaxRows option and applies its default:
// DefaultMaxRows for 0, an error naming pkg for a negative number.
func MaxRows(pkg string, n int) (int, error) {
	switch {
	case n < 0:
		return 0, &gamekit.OptionError{Option: pkg + ": HandlerOptions.MaxRows", Value: n, Want: "a positive number of rows, or 0 for the default"}
	case n == 0:
		return DefaultMaxRows, nil
	}
	return n, nil
}

// MaxOffset is the largest ?offset= a list takes: far past any table's
// end, and far from where offset + limit would overflow.
const MaxOffset int64 = 1 << 40

// Page is the part of a list a request asks for. Without ?limit= or
// ?offset= a client gets a plain JSON array, as from DRF without
// pagination, but never more than the cap: a Link header points at the rest.
// With either parameter it gets DRF's LimitOffsetPagination envelope
// {"count", "next", "previous", "results"}.
type Page struct {
	Limit    int
	Offset   int
	Envelope bool
}

// ParsePage reads ?limit= and ?offset= from q, the request's query
// (r.URL.Query(), which parses it anew on every call: a handler parses it
// once and reads its other parameters from the same q), with maxRows as
// the cap and the default limit. Values that are not whole numbers are a
// 400.
func ParsePage(q url.Values, maxRows int) (Page, error) {
	p := Page{Limit: maxRows}
	var bad gamekit.InvalidError // on the stack: most requests have nothing to report
	if s := q.Get("limit"); s != "" {
		p.Envelope = true
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			bad.Add("limit", "Ensure this value is a positive integer.")
		} else {
			p.Limit = min(n, maxRows)
		}
	}
	if s := q.Get("offset"); s != "" {
		p.Envelope = true
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || int64(n) > MaxOffset {
			bad.Add("offset", fmt.Sprintf("Ensure this value is an integer from 0 to %d.", MaxOffset))
		} else {
			p.Offset = n
		}
	}
	if len(bad.Fields) > 0 {
		return p, &gamekit.InvalidError{Fields: bad.Fields}
	}
	return p, nil
}

// Fetch is how many rows to read: one more than a plain list shows, so
// WriteList knows whether there is a next page without counting the table.
func (p Page) Fetch() int {
	if p.Envelope {
		return p.Limit
	}
	return p.Limit + 1
}

// envelope is DRF's LimitOffsetPagination response.
type envelope[T any] struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []T     `json:"results"`
}

// WriteList writes rows, read with p.Fetch(), as p asks, or err, the
// error of reading them, as WriteError does. count, the number of rows in
// the whole list, is used only by an envelope; call it only then, since
// counting a large table is not free.
func WriteList[T any](w http.ResponseWriter, r *http.Request, p Page, rows []T, err error, count func() (int, error)) {
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if rows == nil {
		rows = []T{}
	}
	if !p.Envelope {
		if len(rows) > p.Limit {
			rows = rows[:p.Limit]
			w.Header().Set("Link", "<"+pageURL(r, p.Limit, p.Limit)+`>; rel="next"`)
		}
		WriteJSON(w, r, http.StatusOK, rows)
		return
	}
	n, err := count()
	if err != nil {
		WriteError(w, r, err)
		return
	}
	env := envelope[T]{Count: n, Results: rows}
	if p.Offset+p.Limit < n {
		next := pageURL(r, p.Limit, p.Offset+p.Limit)
		env.Next = &next
	}
	if p.Offset > 0 {
		previous := pageURL(r, p.Limit, max(p.Offset-p.Limit, 0))
		env.Previous = &previous
	}
	WriteJSON(w, r, http.StatusOK, env)
}

// pageURL is the absolute URL of r with limit and offset set; like DRF it
// leaves offset out for the first page.
func pageURL(r *http.Request, limit, offset int) string {
	q := r.URL.Query()
	q.Set("limit", strconv.Itoa(limit))
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	} else {
		q.Del("offset")
	}
	// The path the client asked for, before any http.StripPrefix.
	path := r.URL.Path
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
		path = u.Path
	}
	u := url.URL{Path: path, RawQuery: q.Encode()}
	return AbsoluteURL(r, u.String())
}

// AbsoluteURL turns a path on this server into the absolute URL a client
// should follow, as DRF's build_absolute_uri does. Behind a proxy that
// ends TLS, TrustProxies gives it the scheme the client used.
func AbsoluteURL(r *http.Request, path string) string {
	scheme := "http"
	switch {
	case r.TLS != nil:
		scheme = "https"
	case r.URL.Scheme == "https":
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}
