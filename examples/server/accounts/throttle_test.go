package accounts

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestThrottleSweep checks that the throttle forgets keys whose failures
// have left the window, so memory follows recent failures only.
func TestThrottleSweep(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	th := newThrottle(time.Minute, func() time.Time { return now })
	attempt := func(name string, failed bool) {
		t.Helper()
		end, err := th.begin(context.Background(), throttleKey{name: name, limit: 5, window: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		end(failed)
	}
	for i := range 1000 {
		attempt(fmt.Sprintf("user:%d", i), true)
	}
	attempt("user:ok", false)
	if got, want := len(th.keys), 1001; got != want {
		t.Errorf("keys within the window: got %v, want %v", got, want)
	}
	now = now.Add(time.Minute)
	attempt("user:new", true)
	if got, want := len(th.keys), 1; got != want {
		t.Errorf("keys a window later: got %v, want %v", got, want)
	}
	// A key keeps no more timestamps than its limit.
	for range 100 {
		attempt("user:many", true)
		now = now.Add(time.Minute / 5)
	}
	if got := len(th.keys["user:many"].counted); got > 5 {
		t.Errorf("timestamps of one key: got %v, want at most 5", got)
	}
}

// TestThrottleWaitCancelled checks that an attempt waiting for attempts in
// progress gives up with its context.
func TestThrottleWaitCancelled(t *testing.T) {
	th := newThrottle(time.Minute, time.Now)
	key := throttleKey{name: "user:alice", limit: 1, window: time.Minute}
	end, err := th.begin(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer end(false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := th.begin(ctx, key); err != context.DeadlineExceeded {
		t.Errorf("waiting past the deadline: got %v, want %v", err, context.DeadlineExceeded)
	}
}

// TestKnownClientsBounded checks that a username remembers only its most
// recent clients, and each only for the lifetime.
func TestKnownClientsBounded(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	k := newKnownClients(24 * time.Hour)
	for i := range maxKnownClients + 4 {
		k.add("alice", fmt.Sprintf("192.0.2.%d", i), now)
		now = now.Add(time.Minute)
	}
	if got := len(k.users["alice"]); got != maxKnownClients {
		t.Errorf("clients remembered: got %v, want %v", got, maxKnownClients)
	}
	for i, want := range map[int]bool{0: false, 3: false, 4: true, maxKnownClients + 3: true} {
		if got := k.has("alice", fmt.Sprintf("192.0.2.%d", i), now); got != want {
			t.Errorf("client %d known: got %v, want %v", i, got, want)
		}
	}
	now = now.Add(24 * time.Hour)
	if k.has("alice", fmt.Sprintf("192.0.2.%d", maxKnownClients+3), now) {
		t.Error("a client is known a lifetime after its last sign-in")
	}
	if got := len(k.users); got != 0 {
		t.Errorf("usernames held a lifetime later: got %v, want 0", got)
	}
}
