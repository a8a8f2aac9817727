package metrics

import (
	"bufio"
	"io"
	"maps"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
		rec := &recorder{ResponseWriter: w, m: m, start: time.Since(clock), method: r.Method, req: r}
		next.ServeHTTP(rec, r)
		rec.observe()
	})
}

// Routed tells the HTTP middleware further out which request next (a
// ServeMux) routed, so that it can read the pattern the mux set on it:
// middleware between them that replaces the request would hide it. It
// finds HTTP's ResponseWriter under the one it is handed, through the
// writers of middleware between them that let http.ResponseController
// unwrap them (as a websocket upgrade needs them to), so that a request
// pays no context value and no copy of itself. Without an HTTP middleware
// outside, it only calls next.
func Routed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec := recorderOf(w); rec != nil {
			rec.req = r
		}
		next.ServeHTTP(w, r)
	})
}

// recorderOf finds HTTP's recorder under w, or nil.
func recorderOf(w http.ResponseWriter) *recorder {
	for {
		switch t := w.(type) {
		case *recorder:
			return t
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return nil
		}
	}
}

// recorder is the ResponseWriter HTTP hands down: it notes the status and
// records the request once, when the handler returns or hijacks the
// connection. Only the handler's goroutine touches it, as net/http
// requires of a ResponseWriter.
type recorder struct {
	http.ResponseWriter
	m        *Metrics
	start    time.Duration // since clock
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

// WriteString spares io.WriteString a copy of s: the ResponseWriter
// underneath (net/http's) takes a string as it is.
func (w *recorder) WriteString(s string) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return io.WriteString(w.ResponseWriter, s)
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
	w.m.requests.observer(series{methodLabel(w.method), route, status}).Observe((time.Since(clock) - w.start).Seconds())
}

// clock is where HTTP measures requests from: time.Since(clock) reads
// only the monotonic clock, where time.Now reads the wall clock too,
// which can cost as much again (70 ns a request on a virtual machine
// whose wall clock is read through the kernel).
var clock = time.Now()

// series names one histogram of the requests vector.
type series struct {
	method, route string
	code          int
}

// requests is the HTTP request histograms by series. A request finds its
// own in a map read without a lock, instead of having prometheus hash and
// validate its three labels and take the vector's lock each time. A new
// series copies the map: there are at most a few hundred (standard
// methods × routes × the codes they answer), and each is new only once.
type requests struct {
	vec *prometheus.HistogramVec
	mu  sync.Mutex // held to add a series
	m   atomic.Pointer[map[series]prometheus.Observer]
}

func (r *requests) observer(s series) prometheus.Observer {
	if m := r.m.Load(); m != nil {
		if o, ok := (*m)[s]; ok {
			return o
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var old map[series]prometheus.Observer
	if m := r.m.Load(); m != nil {
		old = *m
	}
	if o, ok := old[s]; ok {
		return o
	}
	o := r.vec.WithLabelValues(s.method, s.route, codeLabel(s.code))
	m := make(map[series]prometheus.Observer, len(old)+1)
	maps.Copy(m, old)
	m[s] = o
	r.m.Store(&m)
	return o
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
