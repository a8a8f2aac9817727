package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/examples/server/accounts"
)

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.mustUser(t, "alice", "correct horse", false)
		long := strings.Repeat("x", accounts.MaxPasswordBytes)
		e.mustUser(t, "long", long, false)

		got, err := e.acc.Authenticate(ctx, "alice", "correct horse", "192.0.2.1")
		if err != nil || !reflect.DeepEqual(got, alice) {
			t.Errorf("right password: got %+v, %v, want %+v", got, err, alice)
		}
		for _, tc := range []struct{ name, username, password string }{
			{"wrong password", "alice", "wrong horse"},
			{"unknown user", "mallory", "correct horse"},
			{"username in another case", "Alice", "correct horse"},
			{"empty password", "alice", ""},
			// bcrypt would compare only the first 72 bytes and accept it.
			{"a stored 72-byte password and more", "long", long + "y"},
		} {
			_, err := e.acc.Authenticate(ctx, tc.username, tc.password, "192.0.2.1")
			if !errors.Is(err, accounts.ErrBadCredentials) || !errors.Is(err, gamekit.ErrUnauthenticated) {
				t.Errorf("%s: got %v, want %v", tc.name, err, accounts.ErrBadCredentials)
			}
			if err != nil && err.Error() != "Invalid username/password." {
				t.Errorf("%s: message %q, want %q", tc.name, err, "Invalid username/password.")
			}
		}
		if _, err := e.acc.Authenticate(ctx, "long", long, ""); err != nil {
			t.Errorf("72-byte password: got %v, want the user", err)
		}
	})
}

func TestThrottlePerClient(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.mustUser(t, "alice", "correct horse", false)
		e.mustUser(t, "bob", "correct horse", false)
		// Successes do not count: HTTP Basic signs in on every request.
		for i := range 20 {
			if _, err := e.acc.Authenticate(ctx, "alice", "correct horse", "192.0.2.1"); err != nil {
				t.Fatalf("success %d: got %v, want alice", i, err)
			}
		}
		// Five failures from one client, over 40 seconds, even one alice
		// signed in from: a known client gets no more guesses.
		for i := range 5 {
			_, err := e.acc.Authenticate(ctx, "alice", "wrong horse", "192.0.2.1")
			if !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("failure %d: got %v, want %v", i+1, err, accounts.ErrBadCredentials)
			}
			e.clock.Advance(10 * time.Second)
		}
		// Now at +50s: refused from that client even with the right
		// password, until the first failure (at +0s) is a minute old.
		wantRetry(t, e, "alice", "correct horse", "192.0.2.1", 10*time.Second)
		if _, err := e.acc.Authenticate(ctx, "alice", "correct horse", "192.0.2.2"); err != nil {
			t.Errorf("alice from another address: got %v, want alice", err)
		}
		if _, err := e.acc.Authenticate(ctx, "bob", "correct horse", "192.0.2.1"); err != nil {
			t.Errorf("bob from the same address: got %v, want bob", err)
		}
		e.clock.Advance(9 * time.Second)
		wantRetry(t, e, "alice", "correct horse", "192.0.2.1", time.Second)
		e.clock.Advance(time.Second)
		if _, err := e.acc.Authenticate(ctx, "alice", "correct horse", "192.0.2.1"); err != nil {
			t.Errorf("a minute after the first failure: got %v, want alice", err)
		}
		// The window slides: four failures are still in it, so one more
		// reaches the limit again, until the second failure is a minute old.
		if _, err := e.acc.Authenticate(ctx, "alice", "wrong", "192.0.2.1"); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Fatalf("sixth failure: got %v, want %v", err, accounts.ErrBadCredentials)
		}
		wantRetry(t, e, "alice", "correct horse", "192.0.2.1", 10*time.Second)
	})
}

func TestThrottlePerUsername(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.mustUser(t, "alice", "correct horse", false)
		e.mustUser(t, "bob", "correct horse", false)
		if _, err := e.acc.Authenticate(ctx, "alice", "correct horse", "192.0.2.1"); err != nil {
			t.Fatalf("alice at home: got %v, want alice", err)
		}
		// Ten failures from ten addresses, one a minute, so no client
		// reaches its own limit.
		for i := range 10 {
			_, err := e.acc.Authenticate(ctx, "alice", "wrong horse", fmt.Sprintf("192.0.2.%d", 10+i))
			if !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("failure %d: got %v, want %v", i+1, err, accounts.ErrBadCredentials)
			}
			e.clock.Advance(time.Minute)
		}
		// Now at +10m: a client alice never signed in from is refused,
		// right password or not, until the first failure is 15 minutes old.
		wantRetry(t, e, "alice", "correct horse", "192.0.2.99", 5*time.Minute)
		wantRetry(t, e, "alice", "correct horse", "", 5*time.Minute)
		if _, err := e.acc.Authenticate(ctx, "alice", "correct horse", "192.0.2.1"); err != nil {
			t.Errorf("alice at home: got %v, want alice", err)
		}
		if _, err := e.acc.Authenticate(ctx, "bob", "correct horse", "192.0.2.99"); err != nil {
			t.Errorf("bob: got %v, want bob", err)
		}
		// A known client's failures count too, though it is not refused by
		// the username's limit: the window slides on.
		e.clock.Advance(5 * time.Minute)
		if _, err := e.acc.Authenticate(ctx, "alice", "wrong horse", "192.0.2.1"); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Fatalf("failure at home: got %v, want %v", err, accounts.ErrBadCredentials)
		}
		wantRetry(t, e, "alice", "correct horse", "192.0.2.99", time.Minute)
		if _, err := e.acc.Authenticate(ctx, "alice", "correct horse", "192.0.2.1"); err != nil {
			t.Errorf("alice at home after failing there: got %v, want alice", err)
		}
		e.clock.Advance(time.Minute)
		if _, err := e.acc.Authenticate(ctx, "alice", "correct horse", "192.0.2.99"); err != nil {
			t.Errorf("once the username's window passed: got %v, want alice", err)
		}
	})
}

func TestThrottleKnownClientForgotten(t *testing.T) {
	t.Parallel()
	run(t, &accounts.Options{KnownClientLifetime: time.Hour}, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.mustUser(t, "alice", "correct horse", false)
		if _, err := e.acc.Authenticate(ctx, "alice", "correct horse", "192.0.2.1"); err != nil {
			t.Fatalf("alice at home: got %v, want alice", err)
		}
		e.clock.Advance(time.Hour)
		for i := range 10 {
			if _, err := e.acc.Authenticate(ctx, "alice", "wrong horse", fmt.Sprintf("192.0.2.%d", 10+i)); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("failure %d: got %v, want %v", i+1, err, accounts.ErrBadCredentials)
			}
		}
		// An hour after alice last signed in there, home is a stranger.
		wantRetry(t, e, "alice", "correct horse", "192.0.2.1", 15*time.Minute)
	})
}

func TestThrottlePerIP(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.mustUser(t, "alice", "correct horse", false)
		e.mustUser(t, "bob", "correct horse", false)
		if _, err := e.acc.Authenticate(ctx, "alice", "correct horse", "192.0.2.1"); err != nil {
			t.Fatalf("alice: got %v, want alice", err)
		}
		// The limit's worth of failures from one address, each for another
		// username.
		for i := range accounts.DefaultMaxFailuresPerIP {
			if _, err := e.acc.Authenticate(ctx, fmt.Sprintf("guess%d", i), "password1", "192.0.2.1"); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("failure %d: got %v, want %v", i+1, err, accounts.ErrBadCredentials)
			}
		}
		// bob never signed in from there, so he is refused with it,
		// however its address is spelled...
		wantRetry(t, e, "bob", "correct horse", "192.0.2.1", time.Minute)
		wantRetry(t, e, "bob", "correct horse", "::ffff:192.0.2.1", time.Minute)
		// alice did, so she is not.
		if _, err := e.acc.Authenticate(ctx, "alice", "correct horse", "192.0.2.1"); err != nil {
			t.Errorf("alice from the same address: got %v, want alice", err)
		}
		if _, err := e.acc.Authenticate(ctx, "bob", "correct horse", "192.0.2.2"); err != nil {
			t.Errorf("from another address: got %v, want bob", err)
		}
		// No address (a command-line tool): no address limit.
		if _, err := e.acc.Authenticate(ctx, "bob", "correct horse", ""); err != nil {
			t.Errorf("without an address: got %v, want bob", err)
		}
		e.clock.Advance(time.Minute)
		if _, err := e.acc.Authenticate(ctx, "bob", "correct horse", "192.0.2.1"); err != nil {
			t.Errorf("a minute later: got %v, want bob", err)
		}
	})
}

// A client is rest.ClientKey of the request: every address of one IPv6
// /64 shares its count, and an IPv4-mapped address is the IPv4 one.
func TestThrottleIPv6Prefix(t *testing.T) {
	t.Parallel()
	run(t, &accounts.Options{MaxFailuresPerIP: 2}, func(t *testing.T, e *env) {
		e.mustUser(t, "alice", "correct horse", false)
		srv := serveFrom(t, e.acc)
		signIn := func(client, username, password string) int {
			t.Helper()
			status, _, _ := from(t, srv, client, "POST", "/api/auth/token/", "",
				fmt.Sprintf(`{"username": %q, "password": %q}`, username, password))
			return status
		}
		for _, client := range []string{"2001:db8::1", "2001:db8::2:3", "198.51.100.7", "::ffff:198.51.100.7"} {
			if status := signIn(client, "nobody", "password1"); status != 400 {
				t.Fatalf("from %s: got %d, want 400", client, status)
			}
		}
		// Another address in the same /64 shares the count.
		if status := signIn("2001:db8::ffff", "alice", "correct horse"); status != 429 {
			t.Errorf("from the same /64: got %d, want 429", status)
		}
		if status := signIn("2001:db8:0:1::1", "alice", "correct horse"); status != 200 {
			t.Errorf("from the next /64: got %d, want 200", status)
		}
		if status := signIn("198.51.100.7", "alice", "correct horse"); status != 429 {
			t.Errorf("from an IPv4 address that failed as IPv4-mapped too: got %d, want 429", status)
		}
	})
}

// TestThrottleConcurrent checks that guesses sent at once cannot all pass
// the check before the first of them fails, and that successes sent at
// once are all let through.
func TestThrottleConcurrent(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		e.mustUser(t, "alice", "correct horse", false)
		e.mustUser(t, "bob", "correct horse", false)
		outcomes := func(username, password string) map[string]int {
			var mu sync.Mutex
			counts := make(map[string]int)
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Go(func() {
					_, err := e.acc.Authenticate(context.Background(), username, password, fmt.Sprintf("192.0.2.%d", i))
					var kind string
					switch {
					case err == nil:
						kind = "ok"
					case errors.Is(err, accounts.ErrBadCredentials):
						kind = "bad"
					case errors.Is(err, gamekit.ErrRateLimited):
						kind = "limited"
					default:
						kind = err.Error()
					}
					mu.Lock()
					counts[kind]++
					mu.Unlock()
				})
			}
			wg.Wait()
			return counts
		}
		want := map[string]int{"bad": accounts.DefaultMaxFailuresPerUsername, "limited": 20 - accounts.DefaultMaxFailuresPerUsername}
		if got := outcomes("alice", "wrong horse"); !reflect.DeepEqual(got, want) {
			t.Errorf("20 concurrent guesses: got %v, want %v", got, want)
		}
		if got, want := outcomes("bob", "correct horse"), map[string]int{"ok": 20}; !reflect.DeepEqual(got, want) {
			t.Errorf("20 concurrent sign-ins: got %v, want %v", got, want)
		}
	})
}

// wantRetry checks that an attempt is refused as rate limited, with
// retryAfter to wait.
func wantRetry(t *testing.T, e *env, username, password, ip string, retryAfter time.Duration) {
	t.Helper()
	_, err := e.acc.Authenticate(context.Background(), username, password, ip)
	var limited *gamekit.RateLimitError
	if !errors.As(err, &limited) {
		t.Errorf("Authenticate(%s from %s): got %v, want rate limited", username, ip, err)
		return
	}
	if limited.RetryAfter != retryAfter {
		t.Errorf("Authenticate(%s from %s): retry after %v, want %v", username, ip, limited.RetryAfter, retryAfter)
	}
}
