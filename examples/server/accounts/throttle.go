package accounts

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// throttle counts attempts per key (a username from one client, a
// username, a client address) over a sliding window of the key's own, and
// refuses attempts for a key that has counted its limit within its window,
// until the oldest of those is a window old.
//
// Sign-in counts only failures: a client that sends HTTP Basic credentials
// on every request is never slowed down by its own successes. An attempt
// in progress counts until it ends, so a burst of concurrent guesses cannot
// all pass the check before the first of them fails: attempts beyond the
// remaining allowance wait for those in progress (a bcrypt comparison, tens
// of milliseconds) and are then let through or refused.
//
// State is in memory, per process. Memory is bounded by sweeping: at most
// once per sweep interval (the shortest window), any access drops every key
// with nothing counted in its window, so only keys counted recently are
// held, each with at most limit timestamps. Since a counted sign-in failure
// costs a bcrypt comparison and a counted registration a bcrypt hash, the
// number of keys is bounded by how many the server can compute in the
// longest window.
type throttle struct {
	sweepEvery time.Duration
	now        func() time.Time

	mu        sync.Mutex
	keys      map[string]*attempts
	lastSweep time.Time
	// ended is closed, and replaced, whenever an attempt ends, to wake
	// attempts waiting for an allowance.
	ended chan struct{}
}

// attempts is one key's recent record.
type attempts struct {
	window  time.Duration
	counted []time.Time // within the window, oldest first, at most the limit
	pending int         // attempts in progress
}

// throttleKey is one key an attempt is counted against, with its limit.
type throttleKey struct {
	// kind says which limit the key is, for logs: "client", "username",
	// "address" or "registration".
	kind   string
	name   string
	limit  int
	window time.Duration
	// countOnly counts the attempt against the key without refusing it
	// when the key is at its limit: a client known to the user passes the
	// username's limit, yet its failures still count towards it.
	countOnly bool
}

// limitError refuses an attempt: key has counted its limit within its
// window, and retryAfter is how long until it has not.
type limitError struct {
	key        throttleKey
	retryAfter time.Duration
}

func (e *limitError) Error() string {
	return fmt.Sprintf("accounts: %s limit reached: retry in %s", e.key.kind, e.retryAfter)
}

func newThrottle(sweepEvery time.Duration, now func() time.Time) *throttle {
	return &throttle{sweepEvery: sweepEvery, now: now, keys: make(map[string]*attempts), ended: make(chan struct{})}
}

// begin starts an attempt counted against every key, or refuses it with a
// *limitError when a key that is not countOnly has counted its limit within
// its window. The caller must call the returned end exactly once, saying
// whether the attempt counts (a sign-in failed; a registration was tried).
func (t *throttle) begin(ctx context.Context, keys ...throttleKey) (end func(count bool), err error) {
	for {
		t.mu.Lock()
		now := t.now()
		t.sweep(now)
		var refused *limitError
		full := false
		for _, k := range keys {
			a := t.keys[k.name]
			if a == nil || k.countOnly {
				continue
			}
			if limited := t.refuses(k, now); limited != nil {
				if refused == nil || limited.retryAfter > refused.retryAfter {
					refused = limited
				}
			} else if len(a.counted)+a.pending >= k.limit {
				full = true
			}
		}
		if refused != nil {
			t.mu.Unlock()
			return nil, refused
		}
		if !full {
			for _, k := range keys {
				a := t.keys[k.name]
				if a == nil {
					a = &attempts{window: k.window}
					t.keys[k.name] = a
				}
				a.pending++
			}
			t.mu.Unlock()
			return func(count bool) { t.end(keys, count) }, nil
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

func (t *throttle) end(keys []throttleKey, count bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range keys {
		a := t.keys[k.name] // present: a key with pending > 0 is never swept
		a.pending--
		if count {
			if len(a.counted) >= k.limit {
				// Only the latest limit attempts decide anything.
				a.counted = append(a.counted[:0], a.counted[len(a.counted)-k.limit+1:]...)
			}
			a.counted = append(a.counted, now)
		}
	}
	close(t.ended)
	t.ended = make(chan struct{})
}

// check refuses, as begin would, an attempt against k, which has counted
// its limit within its window, without starting one: for a limit an
// attempt must be under but does not count towards.
func (t *throttle) check(k throttleKey) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.refuses(k, t.now()); err != nil {
		return err
	}
	return nil
}

// refuses returns the *limitError for k if it has counted its limit
// within its window, else nil; t.mu is held.
func (t *throttle) refuses(k throttleKey, now time.Time) *limitError {
	a := t.keys[k.name]
	if a == nil {
		return nil
	}
	a.prune(now)
	n := len(a.counted)
	if n < k.limit {
		return nil
	}
	// An attempt is allowed again when the attempt that reached the
	// limit leaves the window.
	return &limitError{key: k, retryAfter: a.counted[n-k.limit].Add(a.window).Sub(now)}
}

// prune forgets attempts a window old or older.
func (a *attempts) prune(now time.Time) {
	i := 0
	for i < len(a.counted) && !a.counted[i].Add(a.window).After(now) {
		i++
	}
	if i > 0 {
		a.counted = append(a.counted[:0], a.counted[i:]...)
	}
}

// sweep drops, at most once per sweep interval, every key with nothing to
// remember.
func (t *throttle) sweep(now time.Time) {
	if now.Sub(t.lastSweep) < t.sweepEvery {
		return
	}
	t.lastSweep = now
	for name, a := range t.keys {
		a.prune(now)
		if len(a.counted) == 0 && a.pending == 0 {
			delete(t.keys, name)
		}
	}
}

// maxKnownClients is how many client addresses are remembered per
// username: the most recent ones it signed in from.
const maxKnownClients = 16

// knownClients remembers, per username, the client addresses that signed
// in as it with the right password, each for a lifetime after its latest
// success: a correct password from one of them passes the username's limit
// of failures, which an attacker elsewhere may have reached.
//
// Memory is bounded: at most maxKnownClients addresses per username (the
// oldest is forgotten first), each only from a correct password, and
// swept at most once per sweep interval once its lifetime has passed.
type knownClients struct {
	lifetime   time.Duration
	sweepEvery time.Duration

	mu        sync.Mutex
	users     map[string]map[string]time.Time // username → client → latest success
	lastSweep time.Time
}

func newKnownClients(lifetime time.Duration) *knownClients {
	return &knownClients{lifetime: lifetime, sweepEvery: min(lifetime, time.Hour), users: make(map[string]map[string]time.Time)}
}

// add remembers that client signed in as username at now.
func (k *knownClients) add(username, client string, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sweep(now)
	clients := k.users[username]
	if clients == nil {
		clients = make(map[string]time.Time)
		k.users[username] = clients
	}
	clients[client] = now
	if len(clients) > maxKnownClients {
		oldest, at := "", now
		for c, t := range clients {
			if c != client && !t.After(at) {
				oldest, at = c, t
			}
		}
		delete(clients, oldest)
	}
}

// has reports whether client signed in as username within the lifetime.
func (k *knownClients) has(username, client string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sweep(now)
	at, ok := k.users[username][client]
	return ok && now.Sub(at) < k.lifetime
}

// sweep forgets, at most once per sweep interval, clients whose lifetime
// has passed.
func (k *knownClients) sweep(now time.Time) {
	if now.Sub(k.lastSweep) < k.sweepEvery {
		return
	}
	k.lastSweep = now
	for username, clients := range k.users {
		for c, at := range clients {
			if now.Sub(at) >= k.lifetime {
				delete(clients, c)
			}
		}
		if len(clients) == 0 {
			delete(k.users, username)
		}
	}
}
