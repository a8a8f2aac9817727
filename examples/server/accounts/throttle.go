package accounts

import (
	"context"
	"sync"
	"time"

	"github.com/gamekit/gamekit"
)

// throttle counts failed sign-in attempts per key (a username, an IP
// address) over a sliding window and refuses attempts for a key that has
// failed its limit of times within the window, until the oldest of those
// failures is a window old.
//
// Only failures count: a client that sends HTTP Basic credentials on every
// request is never slowed down by its own successes. An attempt in progress
// counts as a failure until it ends, so a burst of concurrent guesses cannot
// all pass the check before the first of them fails: attempts beyond the
// remaining allowance wait for those in progress (a bcrypt comparison, tens
// of milliseconds) and are then let through or refused.
//
// State is in memory, per process. Memory is bounded by sweeping: at most
// once per window, any access drops every key with no failure in the last
// window, so only keys that failed recently are held, each with at most
// limit timestamps. Since a counted failure costs a bcrypt comparison, the
// number of keys is bounded by how many comparisons the server can do in a
// window.
type throttle struct {
	window time.Duration
	now    func() time.Time

	mu        sync.Mutex
	keys      map[string]*attempts
	lastSweep time.Time
	// ended is closed, and replaced, whenever an attempt ends, to wake
	// attempts waiting for an allowance.
	ended chan struct{}
}

// attempts is one key's recent record.
type attempts struct {
	failures []time.Time // within the window, oldest first, at most the limit
	pending  int         // attempts in progress
}

// throttleKey is one key an attempt is counted against, with its limit.
type throttleKey struct {
	name  string
	limit int
}

func newThrottle(window time.Duration, now func() time.Time) *throttle {
	return &throttle{window: window, now: now, keys: make(map[string]*attempts), ended: make(chan struct{})}
}

// begin starts an attempt counted against every key, or refuses it with a
// *gamekit.RateLimitError when a key has failed its limit of times within
// the window. The caller must call the returned end exactly once, saying
// whether the attempt failed.
func (t *throttle) begin(ctx context.Context, keys ...throttleKey) (end func(failed bool), err error) {
	for {
		t.mu.Lock()
		now := t.now()
		t.sweep(now)
		var retry time.Duration
		full := false
		for _, k := range keys {
			a := t.keys[k.name]
			if a == nil {
				continue
			}
			a.prune(now, t.window)
			if n := len(a.failures); n >= k.limit {
				// The attempt is allowed again when the failure that
				// reached the limit leaves the window.
				retry = max(retry, a.failures[n-k.limit].Add(t.window).Sub(now))
			} else if n+a.pending >= k.limit {
				full = true
			}
		}
		if retry > 0 {
			t.mu.Unlock()
			return nil, &gamekit.RateLimitError{RetryAfter: retry}
		}
		if !full {
			for _, k := range keys {
				a := t.keys[k.name]
				if a == nil {
					a = &attempts{}
					t.keys[k.name] = a
				}
				a.pending++
			}
			t.mu.Unlock()
			return func(failed bool) { t.end(keys, failed) }, nil
		}
		ended := t.ended
		t.mu.Unlock()
		select {
		case <-ended:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (t *throttle) end(keys []throttleKey, failed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range keys {
		a := t.keys[k.name] // present: a key with pending > 0 is never swept
		a.pending--
		if failed {
			if len(a.failures) >= k.limit {
				// Only the latest limit failures decide anything.
				a.failures = append(a.failures[:0], a.failures[len(a.failures)-k.limit+1:]...)
			}
			a.failures = append(a.failures, now)
		}
	}
	close(t.ended)
	t.ended = make(chan struct{})
}

// prune forgets failures a window old or older.
func (a *attempts) prune(now time.Time, window time.Duration) {
	i := 0
	for i < len(a.failures) && !a.failures[i].Add(window).After(now) {
		i++
	}
	if i > 0 {
		a.failures = append(a.failures[:0], a.failures[i:]...)
	}
}

// sweep drops, at most once per window, every key with nothing to remember.
func (t *throttle) sweep(now time.Time) {
	if now.Sub(t.lastSweep) < t.window {
		return
	}
	t.lastSweep = now
	for name, a := range t.keys {
		a.prune(now, t.window)
		if len(a.failures) == 0 && a.pending == 0 {
			delete(t.keys, name)
		}
	}
}

// size is how many keys are held; for tests.
func (t *throttle) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.keys)
}
