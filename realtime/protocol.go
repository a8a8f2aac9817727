package realtime

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/gamekit/gamekit"
)

// The error codes of a reply, chosen by the kind of the error (see
// gamekit's error kinds).
const (
	CodeBadRequest   = "bad_request"  // gamekit.ErrInvalid, or a message we cannot read
	CodeUnauthorized = "unauthorized" // gamekit.ErrUnauthenticated
	CodeForbidden    = "forbidden"    // gamekit.ErrForbidden
	CodeNotFound     = "not_found"    // gamekit.ErrNotFound: no such route, verb, channel or object
	CodeConflict     = "conflict"     // gamekit.ErrConflict
	CodeRateLimited  = "rate_limited" // gamekit.ErrRateLimited, or more messages than the rate allows
	CodeInternal     = "internal"     // anything else; the text is logged, not sent
)

// The close codes the hub sends, besides the protocol's own (1009 for a
// message over MaxMessageSize).
const (
	// CloseGoingAway (1001) is sent to every client by Close.
	CloseGoingAway = 1001
	// ClosePolicyViolation (1008) is sent to a client that kept sending
	// over its message rate (see Options.FloodLimit), and to a client
	// whose user was signed out.
	ClosePolicyViolation = 1008
	// CloseSlowConsumer is sent to a client whose send buffer stayed full
	// for SlowTimeout: it could not keep up, and was disconnected rather
	// than silently sent less.
	CloseSlowConsumer = 4000
)

// request is what a client sends.
type request struct {
	ID      json.RawMessage `json:"id"`
	Verb    string          `json:"verb"`
	Route   string          `json:"route"`
	Channel string          `json:"channel"`
	// Since is where a subscribing client's copy of the channel stands:
	// the events after it are sent first, if still kept.
	Since *Position       `json:"since"`
	Args  json.RawMessage `json:"args"`
}

// reply answers a request; ID echoes the request's.
type reply struct {
	ID    json.RawMessage `json:"id,omitempty"`
	OK    bool            `json:"ok"`
	Data  any             `json:"data,omitempty"`
	Error *replyError     `json:"error,omitempty"`
}

type replyError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Fields are the per-field messages of a bad_request from a
	// gamekit.InvalidError.
	Fields map[string][]string `json:"fields,omitempty"`
	// RetryAfter is how many seconds to wait, for rate_limited.
	RetryAfter float64 `json:"retry_after,omitempty"`
}

// replyErrorOf turns a handler's error into what the client is told, and
// reports whether it is internal (to be logged, its text withheld).
func replyErrorOf(err error) (*replyError, bool) {
	e := &replyError{Message: err.Error()}
	switch {
	case errors.Is(err, gamekit.ErrInvalid):
		e.Code = CodeBadRequest
		var invalid *gamekit.InvalidError
		if errors.As(err, &invalid) {
			e.Fields = invalid.Fields
		}
	case errors.Is(err, gamekit.ErrUnauthenticated):
		e.Code = CodeUnauthorized
	case errors.Is(err, gamekit.ErrForbidden):
		e.Code = CodeForbidden
	case errors.Is(err, gamekit.ErrNotFound):
		e.Code = CodeNotFound
	case errors.Is(err, gamekit.ErrConflict):
		e.Code = CodeConflict
	case errors.Is(err, gamekit.ErrRateLimited):
		e.Code = CodeRateLimited
		var limited *gamekit.RateLimitError
		if errors.As(err, &limited) {
			e.RetryAfter = limited.RetryAfter.Seconds()
		}
	default:
		return &replyError{Code: CodeInternal, Message: "internal error"}, true
	}
	return e, false
}

// frame is the JSON of a pushed event, written once per message and sent
// as is to every subscriber:
//
//	{"channel":"players","event":"updated","seq":42,"data":{...}}
func (m Message) frame() []byte {
	channel, _ := json.Marshal(m.Channel)
	event, _ := json.Marshal(m.Event)
	b := make([]byte, 0, 40+len(channel)+len(event)+len(m.Data))
	b = append(b, `{"channel":`...)
	b = append(b, channel...)
	b = append(b, `,"event":`...)
	b = append(b, event...)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, m.Seq, 10)
	b = append(b, `,"data":`...)
	if len(m.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, m.Data...)
	}
	return append(b, '}')
}

// lostFrame is the notice that a channel's events up to pos, those the
// client has not received, will not reach it:
//
//	{"channel":"players","lost":{"epoch":"9c0f2a71be04","seq":57}}
func lostFrame(channel string, pos Position) []byte {
	b, _ := json.Marshal(struct {
		Channel string   `json:"channel"`
		Lost    Position `json:"lost"`
	}{channel, pos})
	return b
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
