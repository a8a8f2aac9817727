package accounts_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/examples/server/accounts"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.mustUser(t, "alice", "correct horse", false)
		e.clock.Advance(1500 * time.Millisecond)
		token, expiresAt, err := e.acc.IssueToken(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 32 {
			t.Errorf("token %q: got %d bytes (%v), want 32 in base64url", token, len(raw), err)
		}
		// To the second: clients see "2026-12-23T12:00:01Z".
		if want := start.Add(30*24*time.Hour + time.Second); !expiresAt.Equal(want) {
			t.Errorf("expires at: got %v, want %v", expiresAt, want)
		}
		got, err := e.acc.UserByToken(ctx, token)
		if err != nil || !reflect.DeepEqual(got, alice) {
			t.Errorf("UserByToken: got %+v, %v, want %+v", got, err, alice)
		}
		other := e.mustToken(t, alice.ID)
		if other == token {
			t.Errorf("two tokens are both %q", token)
		}

		for _, bad := range []string{"", "garbage", token + "x", strings.ToUpper(token)} {
			if _, err := e.acc.UserByToken(ctx, bad); !errors.Is(err, accounts.ErrInvalidToken) || !errors.Is(err, gamekit.ErrUnauthenticated) {
				t.Errorf("UserByToken(%q): got %v, want %v", bad, err, accounts.ErrInvalidToken)
			}
		}

		if err := e.acc.Revoke(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := e.acc.UserByToken(ctx, token); !errors.Is(err, accounts.ErrInvalidToken) {
			t.Errorf("revoked token: got %v, want %v", err, accounts.ErrInvalidToken)
		}
		if err := e.acc.Revoke(ctx, token); !errors.Is(err, accounts.ErrInvalidToken) {
			t.Errorf("second revoke: got %v, want %v", err, accounts.ErrInvalidToken)
		}
		if _, err := e.acc.UserByToken(ctx, other); err != nil {
			t.Errorf("the other token after revoking one: got %v, want alice", err)
		}

		if _, _, err := e.acc.IssueToken(ctx, alice.ID+100); !errors.Is(err, accounts.ErrUserNotFound) {
			t.Errorf("IssueToken(missing user): got %v, want %v", err, accounts.ErrUserNotFound)
		}
	})
}

// A token of its own lifetime (the admin's sessions) expires on its own
// schedule and works like any other meanwhile.
func TestIssueTokenFor(t *testing.T) {
	t.Parallel()
	run(t, &accounts.Options{TokenLifetime: time.Hour}, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.mustUser(t, "alice", "correct horse", false)
		token, expiresAt, err := e.acc.IssueTokenFor(ctx, alice.ID, time.Minute)
		if err != nil || !expiresAt.Equal(start.Add(time.Minute)) {
			t.Fatalf("got %v %v, want expiry at %v", expiresAt, err, start.Add(time.Minute))
		}
		e.clock.Advance(time.Minute - time.Nanosecond)
		if u, err := e.acc.UserByToken(ctx, token); err != nil || u.ID != alice.ID {
			t.Errorf("before expiry: got %v %v, want alice", u, err)
		}
		e.clock.Advance(time.Nanosecond)
		if _, err := e.acc.UserByToken(ctx, token); !errors.Is(err, accounts.ErrTokenExpired) {
			t.Errorf("at expiry: got %v, want %v", err, accounts.ErrTokenExpired)
		}
		if _, _, err := e.acc.IssueTokenFor(ctx, alice.ID, 0); err == nil {
			t.Error("a token that is expired when issued was issued")
		}
	})
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	run(t, &accounts.Options{TokenLifetime: time.Hour}, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.mustUser(t, "alice", "correct horse", false)
		token, expiresAt, err := e.acc.IssueToken(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := start.Add(time.Hour); !expiresAt.Equal(want) {
			t.Errorf("expires at: got %v, want %v", expiresAt, want)
		}
		e.clock.Advance(time.Hour - time.Nanosecond)
		if _, err := e.acc.UserByToken(ctx, token); err != nil {
			t.Errorf("just before expiry: got %v, want alice", err)
		}
		e.clock.Advance(time.Nanosecond)
		if _, err := e.acc.UserByToken(ctx, token); !errors.Is(err, accounts.ErrTokenExpired) || !errors.Is(err, gamekit.ErrUnauthenticated) {
			t.Errorf("at expiry: got %v, want %v", err, accounts.ErrTokenExpired)
		}
		// Refused once as expired, and deleted.
		if n := countTokens(t, e, alice.ID); n != 0 {
			t.Errorf("expired tokens stored: got %v, want 0", n)
		}
		if _, err := e.acc.UserByToken(ctx, token); !errors.Is(err, accounts.ErrInvalidToken) {
			t.Errorf("expired token again: got %v, want %v", err, accounts.ErrInvalidToken)
		}

		// Issuing a token deletes the user's expired ones.
		e.mustToken(t, alice.ID)
		e.mustToken(t, alice.ID)
		e.clock.Advance(2 * time.Hour)
		live := e.mustToken(t, alice.ID)
		if n := countTokens(t, e, alice.ID); n != 1 {
			t.Errorf("tokens after issuing past two expired: got %v, want 1", n)
		}
		if _, err := e.acc.UserByToken(ctx, live); err != nil {
			t.Errorf("new token: got %v, want alice", err)
		}
	})
}

// TestTokenStoredAsHash reads the tokens table as an attacker with a copy
// of the database would: the token is nowhere in it.
func TestTokenStoredAsHash(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.mustUser(t, "alice", "correct horse", false)
		token := e.mustToken(t, alice.ID)
		rows, err := e.db.QueryContext(ctx, "SELECT * FROM gamekit_tokens")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		columns, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		var dump strings.Builder
		for rows.Next() {
			values := make([]any, len(columns))
			pointers := make([]any, len(columns))
			for i := range values {
				pointers[i] = &values[i]
			}
			if err := rows.Scan(pointers...); err != nil {
				t.Fatal(err)
			}
			for i, v := range values {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fmt.Fprintf(&dump, "%s=%v\n", columns[i], v)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(dump.String(), token) {
			t.Errorf("the tokens table holds the token:\n%s", dump.String())
		}
		sum := sha256.Sum256([]byte(token))
		if want := "token_hash=" + hex.EncodeToString(sum[:]); !strings.Contains(dump.String(), want) {
			t.Errorf("the tokens table:\n%s\nwant a row with %s", dump.String(), want)
		}
	})
}

func countTokens(t *testing.T, e *env, userID int64) int {
	t.Helper()
	n, err := e.db.NewSelect().Table("gamekit_tokens").Where("user_id = ?", userID).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}
