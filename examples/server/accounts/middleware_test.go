package accounts_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/gamekit/gamekit"
)

// whoami answers with the caller's identity, or null for an anonymous one.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	id, ok := gamekit.IdentityFrom(r.Context())
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.Write([]byte("null"))
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"user_id": id.UserID, "username": id.Username, "admin": id.Admin})
})

// send makes a request with the given Authorization header ("" for none)
// and body, and returns the status, headers and body.
func send(t *testing.T, srv *httptest.Server, method, path, authorization, body string) (int, http.Header, string) {
	t.Helper()
	return from(t, srv, "", method, path, authorization, body)
}

func basic(username, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		alice := e.mustUser(t, "alice", "correct horse", false)
		admin := e.mustUser(t, "admin", "correct horse", true)
		expiring := e.mustToken(t, admin.ID)
		e.clock.Advance(time.Hour) // alice's token outlives the admin's
		token := e.mustToken(t, alice.ID)
		srv := httptest.NewServer(e.acc.Middleware(whoami))
		t.Cleanup(srv.Close)

		aliceJSON := `{"user_id": ` + strconv.FormatInt(alice.ID, 10) + `, "username": "alice", "admin": false}`
		adminJSON := `{"user_id": ` + strconv.FormatInt(admin.ID, 10) + `, "username": "admin", "admin": true}`
		steps := []struct {
			name          string
			authorization string
			advance       time.Duration // moves the clock before the request
			status        int
			body          string
			retryAfter    string
		}{
			{"anonymous", "", 0, 200, `null`, ""},
			{"basic", basic("alice", "correct horse"), 0, 200, aliceJSON, ""},
			{"basic admin", basic("admin", "correct horse"), 0, 200, adminJSON, ""},
			{"basic with a colon in the password", basic("alice", "correct horse:"), 0, 401, `{"detail": "Invalid username/password."}`, ""},
			{"bearer", "Bearer " + token, 0, 200, aliceJSON, ""},
			{"scheme in any case", "bEARER " + token, 0, 200, aliceJSON, ""},
			{"token, as in DRF", "Token " + token, 0, 200, aliceJSON, ""},
			{"wrong password", basic("alice", "wrong horse"), 0, 401, `{"detail": "Invalid username/password."}`, ""},
			{"unknown user", basic("mallory", "correct horse"), 0, 401, `{"detail": "Invalid username/password."}`, ""},
			{"a NUL in the username", basic("ali\x00ce", "correct horse"), 0, 401, `{"detail": "Invalid username/password."}`, ""},
			{"invalid UTF-8 in the username", basic("ali\xffce", "correct horse"), 0, 401, `{"detail": "Invalid username/password."}`, ""},
			{"unknown token", "Bearer nonsense", 0, 401, `{"detail": "Invalid token."}`, ""},
			{"token without a token", "Bearer", 0, 401, `{"detail": "Invalid token header. No credentials provided."}`, ""},
			{"token with spaces", "Token a b", 0, 401, `{"detail": "Invalid token header. Token string should not contain spaces."}`, ""},
			{"basic without credentials", "Basic", 0, 401, `{"detail": "Invalid basic header. No credentials provided."}`, ""},
			{"basic not base64", "Basic !!!", 0, 401, `{"detail": "Invalid basic header. Credentials not correctly base64 encoded."}`, ""},
			{"basic without a colon", "Basic " + base64.StdEncoding.EncodeToString([]byte("alice")), 0, 401,
				`{"detail": "Invalid basic header. Credentials not correctly base64 encoded."}`, ""},
			{"another scheme", "Digest username=alice", 0, 401,
				`{"detail": "Unsupported authorization scheme \"Digest\"; use Basic, Bearer or Token."}`, ""},
			{"expired token", "Bearer " + expiring, 30*24*time.Hour - 30*time.Minute, 401, `{"detail": "Token has expired."}`, ""},
			// The clock moved 30 days, so alice's failures above are
			// forgotten: four wrong passwords, a fifth 20 seconds later,
			// and alice is refused until the first is a minute old.
			{"failure 1", basic("alice", "1"), 0, 401, `{"detail": "Invalid username/password."}`, ""},
			{"failure 2", basic("alice", "2"), 0, 401, `{"detail": "Invalid username/password."}`, ""},
			{"failure 3", basic("alice", "3"), 0, 401, `{"detail": "Invalid username/password."}`, ""},
			{"failure 4", basic("alice", "4"), 0, 401, `{"detail": "Invalid username/password."}`, ""},
			{"failure 5", basic("alice", "5"), 20 * time.Second, 401, `{"detail": "Invalid username/password."}`, ""},
			{"throttled", basic("alice", "correct horse"), 0, 429,
				`{"detail": "Request was throttled. Expected available in 40 seconds."}`, "40"},
			{"token while basic is throttled", "Bearer " + token, 0, 200, aliceJSON, ""},
			{"window passed", basic("alice", "correct horse"), 40 * time.Second, 200, aliceJSON, ""},
		}
		for _, step := range steps {
			e.clock.Advance(step.advance)
			status, header, body := send(t, srv, "GET", "/", step.authorization, "")
			if status != step.status || !jsonEqual(t, body, step.body) {
				t.Errorf("%s: got %v %s, want %v %s", step.name, status, body, step.status, step.body)
			}
			if got := header.Get("Retry-After"); got != step.retryAfter {
				t.Errorf("%s: Retry-After got %q, want %q", step.name, got, step.retryAfter)
			}
			if status == 401 && header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: 401 without WWW-Authenticate", step.name)
			}
		}
	})
}
