package rest

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync"
)

// maxCached bounds the distinct requests (path, query and Accept header) a
// VersionCache keeps; past it the cache starts over.
const maxCached = 1024

// VersionCache serves GET requests for next from memory while version
// reports the number it reported when the response was recorded. A store
// moves its version on in the same transaction as every change, so a
// replayed response is never older than the data, even when another
// process wrote it; a hit costs reading the version (one point read, or
// less: see storage.Memo) instead of a query and an encoding. Use it only for responses that are the same for every caller
// (a public list), never for one that depends on the caller's identity.
func VersionCache(version func(ctx context.Context) (int64, error), next http.Handler) http.Handler {
	return &versionCache{version: version, next: next, entries: make(map[cacheKey]*recorded)}
}

type versionCache struct {
	version func(ctx context.Context) (int64, error)
	next    http.Handler

	mu      sync.Mutex
	entries map[cacheKey]*recorded
}

// cacheKey is what a recorded response is kept by: its request's path,
// query and Accept header.
type cacheKey struct{ path, query, accept string }

// recorded is a response: its headers and body, and the version it shows.
type recorded struct {
	version int64
	status  int
	header  http.Header
	body    bytes.Buffer
}

func (r *recorded) Header() http.Header         { return r.header }
func (r *recorded) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorded) WriteHeader(status int)      { r.status = status }

func (c *versionCache) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		c.next.ServeHTTP(w, r)
		return
	}
	// The version is read before the response is made: if a change
	// commits in between, the response may show it, but its version is
	// older, so the next request makes a new one.
	version, err := c.version(r.Context())
	if err != nil {
		WriteError(w, r, err)
		return
	}
	key := cacheKey{r.URL.Path, r.URL.RawQuery, r.Header.Get("Accept")}
	c.mu.Lock()
	resp := c.entries[key]
	c.mu.Unlock()
	if resp == nil || resp.version != version {
		resp = &recorded{version: version, status: http.StatusOK, header: make(http.Header)}
		c.next.ServeHTTP(resp, r)
		resp.header.Set("Content-Length", strconv.Itoa(resp.body.Len()))
		for k, v := range resp.header {
			// Every reply shares these slices: one clipped to its length is
			// copied, never written to, by a middleware that adds a value.
			resp.header[k] = slices.Clip(v)
		}
		if resp.status == http.StatusOK {
			c.mu.Lock()
			if len(c.entries) >= maxCached {
				clear(c.entries)
			}
			c.entries[key] = resp
			c.mu.Unlock()
		}
	}
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	w.WriteHeader(resp.status)
	w.Write(resp.body.Bytes())
}
