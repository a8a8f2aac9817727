package realtime_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/realtime"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// env is a hub served on loopback, with a test route and channels.
type env struct {
	hub *realtime.Hub
	srv *apitest.Server
}

// setup serves a hub at /ws and its tickets at /ticket, behind the test
// callers' authentication. The hub closes when the test ends, before the
// server.
func setup(t *testing.T, opts *realtime.Options) *env {
	t.Helper()
	return setupOn(t, opts, nil)
}

// setupOn is setup with the server's listener wrapped (see
// apitest.ServeOn).
func setupOn(t *testing.T, opts *realtime.Options, wrap func(net.Listener) net.Listener) *env {
	t.Helper()
	hub, err := realtime.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hub.Channel("players", realtime.Public)
	hub.Channel("admins", func(id gamekit.Identity, _ string) error {
		if !id.Admin {
			return gamekit.Errorf(gamekit.ErrForbidden, "admins only")
		}
		return nil
	})
	hub.Handle("test", "echo", func(_ context.Context, req realtime.Request) (any, error) {
		var args struct {
			Say string `json:"say"`
		}
		if err := req.Decode(&args); err != nil {
			return nil, err
		}
		return map[string]any{"said": args.Say, "by": req.Identity.Username}, nil
	})
	hub.Handle("test", "whoami", func(ctx context.Context, _ realtime.Request) (any, error) {
		id, _ := gamekit.IdentityFrom(ctx)
		return id.UserID, nil
	})
	hub.Handle("test", "fail", func(_ context.Context, req realtime.Request) (any, error) {
		var args struct {
			Kind string `json:"kind"`
		}
		if err := req.Decode(&args); err != nil {
			return nil, err
		}
		switch args.Kind {
		case "unauthenticated":
			return nil, gamekit.Errorf(gamekit.ErrUnauthenticated, "sign in again")
		case "forbidden":
			return nil, gamekit.Errorf(gamekit.ErrForbidden, "not yours")
		case "not_found":
			return nil, gamekit.Errorf(gamekit.ErrNotFound, "no such thing")
		case "conflict":
			return nil, gamekit.Errorf(gamekit.ErrConflict, "changed meanwhile")
		case "invalid":
			return nil, gamekit.Invalid("x", "Too far.")
		case "rate":
			return nil, &gamekit.RateLimitError{RetryAfter: 2 * time.Second}
		case "panic":
			panic("boom")
		}
		return nil, errors.New("database on fire")
	})
	mux := http.NewServeMux()
	mux.Handle("/ws", apitest.WithCallers(hub))
	mux.Handle("/ticket", apitest.WithCallers(hub.TicketHandler()))
	srv := apitest.ServeOn(t, mux, wrap)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hub.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return &env{hub: hub, srv: srv}
}

// dial connects as the named test caller, with an Authorization header.
func (e *env) dial(t *testing.T, caller string) *apitest.WS {
	t.Helper()
	return apitest.Dial(t, e.srv, "/ws", apitest.As(caller))
}

// publish publishes an event and fails the test on error.
func (e *env) publish(t testing.TB, channel, name string, data any) {
	t.Helper()
	if err := e.hub.Publish(context.Background(), gamekit.Event{Channel: channel, Name: name, Data: data}); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds, failing after a generous deadline:
// it waits for something that must happen, it does not time it.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// subscribe subscribes ws and checks the reply.
func subscribe(t *testing.T, ws *apitest.WS, channel string) {
	t.Helper()
	if f := ws.Call(map[string]any{"id": "s", "verb": "subscribe", "channel": channel}); !f.OK {
		t.Fatalf("subscribe %s: %+v", channel, f.Error)
	}
}
