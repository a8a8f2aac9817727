package realtime

import (
	"context"
	"encoding/json"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/rest"
)

// Request is one client request to a route: {"id": 2, "route": "player",
// "verb": "get", "args": {"id": 1}}.
type Request struct {
	Route, Verb string
	// Args is the request's "args", raw; Decode reads it strictly.
	Args json.RawMessage
	// Identity is the caller, fixed when the connection was upgraded. It is
	// also on the handler's context (gamekit.IdentityFrom), as for HTTP.
	Identity gamekit.Identity
}

// Decode reads the request's args into v with the API's rules: unknown
// fields, duplicate keys, trailing data and wrong types are refused with an
// error of kind gamekit.ErrInvalid (a bad_request reply). Missing args
// decode as {}.
func (r Request) Decode(v any) error {
	args := r.Args
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	}
	return rest.Unmarshal(args, v)
}

// HandlerFunc answers one verb of a route. What it returns is the reply's
// "data" (it must encode as JSON); an error becomes the reply's "error",
// its code chosen by its kind (gamekit.ErrNotFound is not_found, and so on;
// an error of no kind is internal and logged, its text not shown).
type HandlerFunc func(ctx context.Context, req Request) (any, error)

// Rule decides whether a caller may subscribe to a channel: nil allows, an
// error refuses and is the reply's error (forbidden, say).
type Rule func(id gamekit.Identity, channel string) error

// Public lets every signed-in client subscribe.
func Public(gamekit.Identity, string) error { return nil }

// UserChannel is the private channel of one user, "user.{id}", on which
// packages announce what only that user may see (the gifts they received).
func UserChannel(userID int64) string { return "user." + itoa(userID) }

// OwnUser lets a caller subscribe to their own user channel only; it is the
// rule of "user.*", which every hub has.
func OwnUser(id gamekit.Identity, channel string) error {
	if channel != UserChannel(id.UserID) {
		return gamekit.Errorf(gamekit.ErrForbidden, "realtime: %s is another user's channel", channel)
	}
	return nil
}

// channelRule is what Hub.Channel registered for a channel pattern.
type channelRule struct {
	rule Rule
	opts ChannelOptions
}
