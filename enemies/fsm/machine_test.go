package fsm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/enemies/fsm"
)

// The tests drive a door, not a monster, so that nothing in fsm leans on
// the one machine the game ships.
type doorState string

const (
	open   doorState = "open"
	closed doorState = "closed"
	locked doorState = "locked"
)

type door struct {
	state    doorState
	hasKey   bool
	jammed   bool // the lock's actions fail
	windy    bool // an open door slams shut by itself
	autoLock bool // a closed door locks by itself
	unlocks  int  // how many times unlock's action ran
}

var errJammed = errors.New("lock is jammed")

func jam(_ context.Context, d *door) error {
	if d.jammed {
		return errJammed
	}
	return nil
}

func doorDefinition() fsm.Definition[doorState, door] {
	hasKey := fsm.Guard[door]{Name: "has key", Check: func(d *door) bool { return d.hasKey }}
	return fsm.Definition[doorState, door]{
		States:   []doorState{open, closed, locked},
		State:    func(d *door) doorState { return d.state },
		SetState: func(d *door, s doorState) { d.state = s },
		Transitions: []fsm.Transition[doorState, door]{
			{Name: "open", From: []doorState{closed}, To: open},
			{Name: "close", From: []doorState{open}, To: closed},
			{Name: "lock", From: []doorState{closed}, To: locked, Guards: []fsm.Guard[door]{hasKey}},
			{Name: "unlock", From: []doorState{locked}, To: closed, Guards: []fsm.Guard[door]{hasKey},
				Action: func(ctx context.Context, d *door) error {
					if err := jam(ctx, d); err != nil {
						return err
					}
					d.unlocks++
					return nil
				}},
			{Name: "force", FromAny: true, To: open},
			{Name: "slam", From: []doorState{open}, To: closed, Auto: true,
				Guards: []fsm.Guard[door]{{Name: "windy", Check: func(d *door) bool { return d.windy }}}},
			{Name: "latch", From: []doorState{closed}, To: locked, Auto: true, Action: jam,
				Guards: []fsm.Guard[door]{{Name: "self-locking", Check: func(d *door) bool { return d.autoLock }}}},
		},
	}
}

func newDoors(t testing.TB) *fsm.Machine[doorState, door] {
	t.Helper()
	m, err := fsm.New(doorDefinition())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFire(t *testing.T) {
	t.Parallel()
	doors := newDoors(t)
	tests := []struct {
		name       string
		door       door
		transition string
		want       doorState
		wantErr    error  // nil, a reason, or the action's error
		wantGuard  string // the guard named in the error
	}{
		{"close", door{state: open}, "close", closed, nil, ""},
		{"open", door{state: closed}, "open", open, nil, ""},
		{"lock with key", door{state: closed, hasKey: true}, "lock", locked, nil, ""},
		{"lock without key", door{state: closed}, "lock", closed, fsm.ErrGuardFailed, "has key"},
		{"lock open door", door{state: open, hasKey: true}, "lock", open, fsm.ErrNotAllowed, ""},
		{"unlock", door{state: locked, hasKey: true}, "unlock", closed, nil, ""},
		{"unlock jammed", door{state: locked, hasKey: true, jammed: true}, "unlock", locked, errJammed, ""},
		{"unknown", door{state: open}, "fly", open, fsm.ErrUnknownTransition, ""},
		{"from any", door{state: locked}, "force", open, nil, ""},
		{"automatic by hand", door{state: open, windy: true}, "slam", closed, nil, ""},
		{"automatic guard", door{state: open}, "slam", open, fsm.ErrGuardFailed, "windy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.door
			err := doors.Fire(t.Context(), &d, tt.transition)
			if d.state != tt.want {
				t.Errorf("state: got %v, want %v", d.state, tt.want)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error: got %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			var te *fsm.TransitionError[doorState]
			if !errors.As(err, &te) {
				t.Fatalf("error: got %T, want *fsm.TransitionError[doorState]", err)
			}
			got := fsm.TransitionError[doorState]{Transition: te.Transition, State: te.State, Guard: te.Guard, Err: te.Err}
			want := fsm.TransitionError[doorState]{Transition: tt.transition, State: tt.door.state, Guard: tt.wantGuard, Err: tt.wantErr}
			if got != want {
				t.Errorf("fields: got %+v, want %+v", got, want)
			}
		})
	}
}

func TestFireActionRunsOnce(t *testing.T) {
	t.Parallel()
	doors := newDoors(t)
	d := door{state: locked, hasKey: true}
	if err := doors.Fire(t.Context(), &d, "unlock"); err != nil {
		t.Fatal(err)
	}
	if d.unlocks != 1 {
		t.Errorf("unlocks: got %v, want %v", d.unlocks, 1)
	}
}

func TestTransitionError(t *testing.T) {
	t.Parallel()
	doors := newDoors(t)
	tests := []struct {
		name       string
		door       door
		transition string
		want       string
		kind       error // the gamekit kind, or nil for none
	}{
		{"unknown", door{state: open}, "fly", `fsm: unknown transition "fly"`, gamekit.ErrNotFound},
		{"not allowed", door{state: open}, "lock", `fsm: transition "lock" not allowed from open`, gamekit.ErrConflict},
		{"guard", door{state: closed}, "lock", `fsm: transition "lock" from closed: guard "has key" failed`, gamekit.ErrConflict},
		{"action", door{state: locked, hasKey: true, jammed: true}, "unlock", `fsm: transition "unlock" from locked: lock is jammed`, nil},
	}
	kinds := []error{gamekit.ErrNotFound, gamekit.ErrConflict, gamekit.ErrInvalid}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.door
			err := doors.Fire(t.Context(), &d, tt.transition)
			if err == nil {
				t.Fatal("got no error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("message: got %q, want %q", got, tt.want)
			}
			for _, kind := range kinds {
				if got, want := errors.Is(err, kind), kind == tt.kind; got != want {
					t.Errorf("errors.Is(err, %v): got %v, want %v", kind, got, want)
				}
			}
		})
	}
}

func TestCanFire(t *testing.T) {
	t.Parallel()
	doors := newDoors(t)
	d := door{state: locked, hasKey: true}
	if err := doors.CanFire(&d, "unlock"); err != nil {
		t.Errorf("CanFire(unlock): got %v, want nil", err)
	}
	if d.state != locked || d.unlocks != 0 {
		t.Errorf("door: got %+v, want it untouched", d)
	}
	if err := doors.CanFire(&d, "open"); !errors.Is(err, fsm.ErrNotAllowed) {
		t.Errorf("CanFire(open): got %v, want %v", err, fsm.ErrNotAllowed)
	}
}

func TestAvailable(t *testing.T) {
	t.Parallel()
	doors := newDoors(t)
	tests := []struct {
		name string
		door door
		want []string
	}{
		{"open", door{state: open, windy: true}, []string{"close", "force"}},
		{"closed with key", door{state: closed, hasKey: true}, []string{"open", "lock", "force"}},
		{"closed without key", door{state: closed, autoLock: true}, []string{"open", "force"}},
		{"locked without key", door{state: locked}, []string{"force"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := doors.Available(&tt.door); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSettle(t *testing.T) {
	t.Parallel()
	doors := newDoors(t)
	tests := []struct {
		name      string
		door      door
		wantFired []string
		want      doorState
		wantErr   error
	}{
		{"nothing applies", door{state: open, autoLock: true}, nil, open, nil},
		{"one", door{state: open, windy: true}, []string{"slam"}, closed, nil},
		{"chain", door{state: open, windy: true, autoLock: true}, []string{"slam", "latch"}, locked, nil},
		{"action fails", door{state: open, windy: true, autoLock: true, jammed: true}, []string{"slam"}, closed, errJammed},
		{"already settled", door{state: locked, windy: true, autoLock: true}, nil, locked, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.door
			fired, err := doors.Settle(t.Context(), &d)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error: got %v, want %v", err, tt.wantErr)
			}
			if !slices.Equal(fired, tt.wantFired) {
				t.Errorf("fired: got %v, want %v", fired, tt.wantFired)
			}
			if d.state != tt.want {
				t.Errorf("state: got %v, want %v", d.state, tt.want)
			}
		})
	}
}

// TestConcurrent shares one machine between goroutines, each with its own
// door; run with -race.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	doors := newDoors(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() {
			d := door{state: open, hasKey: true}
			for range 100 {
				for _, name := range []string{"close", "lock", "unlock", "open"} {
					if err := doors.Fire(ctx, &d, name); err != nil {
						errs <- err
						return
					}
					doors.Available(&d)
				}
			}
			d.windy, d.autoLock = true, true
			if _, err := doors.Settle(ctx, &d); err != nil {
				errs <- err
				return
			}
			if d.state != locked || d.unlocks != 100 {
				errs <- fmt.Errorf("door: got %v after %d unlocks, want %v after 100", d.state, d.unlocks, locked)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func BenchmarkFire(b *testing.B) {
	doors := newDoors(b)
	ctx := context.Background()
	d := door{}
	for b.Loop() {
		d.state = open
		if err := doors.Fire(ctx, &d, "close"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFireGuard(b *testing.B) {
	doors := newDoors(b)
	ctx := context.Background()
	d := door{hasKey: true}
	for b.Loop() {
		d.state = closed
		if err := doors.Fire(ctx, &d, "lock"); err != nil {
			b.Fatal(err)
		}
	}
}
