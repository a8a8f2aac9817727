package apitest

import (
	"context"
	"sync"

	"github.com/gamekit/gamekit"
)

// Events is a gamekit.Publisher that remembers what it was given, so a
// test can check what a store or scheduler announced, and when.
type Events struct {
	mu   sync.Mutex
	list []gamekit.Event
}

// Publish records e.
func (r *Events) Publish(_ context.Context, e gamekit.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, e)
	return nil
}

// All returns the events recorded and not yet taken, oldest first.
func (r *Events) All() []gamekit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]gamekit.Event(nil), r.list...)
}

// Take returns the events recorded since the last Take and forgets them.
func (r *Events) Take() []gamekit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.list
	r.list = nil
	return list
}
