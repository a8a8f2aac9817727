package metrics

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strconv"
	"time"
)

// HTTP counts and times every request next answers, by method, route
// pattern and status code (gamekit_http_request_duration_seconds). Put it
// outside the host's other middleware, so that requests refused by
// authentication count too, and wrap the ServeMux itself in Routed (see
// the package documentation).
//
// The route is the pattern of the ServeMux that routed the request, or
// "unmatched" when none did: middleware answered before routing (a wrong
// password), or the mux answered itself (its 404, 405, or redirect).
// A method other than the standard ones counts as "OTHER". A websocket
// upgrade counts as 101 once the connection is taken over, timed to then:
// the handler runs as long as the connection does.
func (m *Metrics) HTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w, m: m, start: time.Now(), method: r.Method}
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, rec))
		rec.req = r
		next.ServeHTTP(rec, r)
		rec.observe()
	})
}

// Routed tells the HTTP middleware further out which request next (a
// ServeMux) routed, so that it can read the pattern the mux set on it:
// middleware between them that replaces the request would hide it. Without
// an HTTP middleware outside, it only calls next.
func Routed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec, ok := r.Context().Value(routeKey{}).(*recorder); ok {
			rec.req = r
		}
		next.ServeHTTP(w, r)
	})
}

type routeKey struct{}

// recorder is the ResponseWriter HTTP hands down: it notes the status and
// records the request once, when the handler returns or hijacks the
// connection. Only the handler's goroutine touches it, as net/http
// requires of a ResponseWriter.
type recorder struct {
	http.ResponseWriter
	m        *Metrics
	start    time.Time
	method   string
	req      *http.Request // the request whose Pattern names the route
	status   int
	observed bool
}

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 && status >= 200 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets handlers that stream flush through the recorder.
func (w *recorder) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection over (to a websocket upgrade, which asks
// for http.Hijacker itself) and records the request as switched.
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.status = http.StatusSwitchingProtocols
		w.observe()
	}
	return conn, rw, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *recorder) observe() {
	if w.observed {
		return
	}
	w.observed = true
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	route := w.req.Pattern
	if route == "" {
		route = "unmatched"
	}
	w.m.requests.WithLabelValues(methodLabel(w.method), route, codeLabel(status)).Observe(time.Since(w.start).Seconds())
}

// methodLabel bounds the method label to the standard methods, so a
// client cannot add series by inventing methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// codeLabel is strconv.Itoa without an allocation for the usual codes.
func codeLabel(code int) string {
	switch code {
	case 101:
		return "101"
	case 200:
		return "200"
	case 201:
		return "201"
	case 204:
		return "204"
	case 301:
		return "301"
	case 302:
		return "302"
	case 303:
		return "303"
	case 304:
		return "304"
	case 307:
		return "307"
	case 308:
		return "308"
	case 400:
		return "400"
	case 401:
		return "401"
	case 403:
		return "403"
	case 404:
		return "404"
	case 405:
		return "405"
	case 409:
		return "409"
	case 413:
		return "413"
	case 429:
		return "429"
	case 500:
		return "500"
	case 503:
		return "503"
	}
	return strconv.Itoa(code)
}
