package accounts_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gamekit/gamekit/examples/server/accounts"
)

// Verified credentials are cached, but a revoked token, a signed-out
// token, a changed password, a demoted admin and a deleted user are
// refused (or demoted) on the very next request through the same Accounts;
// another process's Accounts sees the change once its cache's entries
// expire, within CredentialCacheTTL.
func TestCredentialCacheFollowsChanges(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		admin := e.mustUser(t, "admin", "correct horse", true)
		bob := e.mustUser(t, "bob", "battery staple", false)
		this := serveFrom(t, e.acc)
		// Another server process on the same database, with its own cache.
		other := serveFrom(t, newEnv(t, e.db, &accounts.Options{Now: e.clock.Now}).acc)
		want := func(step string, srv *httptest.Server, authorization string, status int, body string) {
			t.Helper()
			got, _, gotBody := from(t, srv, "198.51.100.2", "GET", "/api/whoami/", authorization, "")
			if got != status || !strings.Contains(gotBody, body) {
				t.Errorf("%s: got %d %s, want %d with %s", step, got, gotBody, status, body)
			}
		}
		adminToken, bobToken, bobSecond := "Bearer "+e.mustToken(t, admin.ID), "Bearer "+e.mustToken(t, bob.ID), "Bearer "+e.mustToken(t, bob.ID)
		for _, srv := range []*httptest.Server{this, other} { // cached on both
			want("admin's token", srv, adminToken, 200, `"admin":true`)
			want("bob's token", srv, bobToken, 200, `"username":"bob"`)
			want("bob's second token", srv, bobSecond, 200, `"username":"bob"`)
			want("bob's password", srv, basic("bob", "battery staple"), 200, `"username":"bob"`)
		}

		if err := e.acc.SetAdmin(ctx, admin.ID, false); err != nil {
			t.Fatal(err)
		}
		want("demoted, the next request", this, adminToken, 200, `"admin":false`)
		want("demoted, in the other process before its cache expires", other, adminToken, 200, `"admin":true`)

		status, _, body := from(t, this, "198.51.100.2", "POST", "/api/auth/logout/", bobToken, "")
		if status != 204 {
			t.Fatalf("sign out: got %d %s", status, body)
		}
		want("signed out, the next request", this, bobToken, 401, "Invalid token.")
		if err := e.acc.Revoke(ctx, strings.TrimPrefix(bobSecond, "Bearer ")); err != nil {
			t.Fatal(err)
		}
		want("revoked, the next request", this, bobSecond, 401, "Invalid token.")

		if err := e.acc.SetPassword(ctx, bob.ID, "new password!"); err != nil {
			t.Fatal(err)
		}
		want("old password, the next request", this, basic("bob", "battery staple"), 401, "")
		want("new password", this, basic("bob", "new password!"), 200, `"username":"bob"`)

		e.clock.Advance(accounts.DefaultCredentialCacheTTL)
		want("demoted, in the other process after the TTL", other, adminToken, 200, `"admin":false`)
		want("signed out, in the other process after the TTL", other, bobToken, 401, "Invalid token.")
		want("revoked, in the other process after the TTL", other, bobSecond, 401, "Invalid token.")
		want("old password, in the other process after the TTL", other, basic("bob", "battery staple"), 401, "")

		want("bob's new password, cached", this, basic("bob", "new password!"), 200, `"username":"bob"`)
		if err := e.acc.DeleteUser(ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		want("deleted, the next request", this, basic("bob", "new password!"), 401, "")
	})
}
