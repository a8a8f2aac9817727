package gamekit

import "context"

// Event is a change announced to whoever listens on a channel, for example
// {Channel: "monsters", Name: "updated", Data: monster}. Data must encode
// as JSON.
type Event struct {
	Channel string
	Name    string
	Data    any
}

// Publisher delivers events. It is the one interface shared by every gamekit
// package: stores publish after their transaction commits, and the realtime
// hub (or anything else a host supplies) delivers. Publish must not block
// for long: a store calls it on its caller's request path.
type Publisher interface {
	Publish(ctx context.Context, e Event) error
}

// PublisherFunc lets an ordinary function serve as a Publisher.
type PublisherFunc func(ctx context.Context, e Event) error

// Publish calls f(ctx, e).
func (f PublisherFunc) Publish(ctx context.Context, e Event) error { return f(ctx, e) }

// Discard is a Publisher that drops every event; packages use it when the
// host gives them none.
var Discard Publisher = PublisherFunc(func(context.Context, Event) error { return nil })
