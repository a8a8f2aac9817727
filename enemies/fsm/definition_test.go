package fsm_test

import (
	"errors"
	"testing"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/enemies/fsm"
)

func TestNewRejects(t *testing.T) {
	t.Parallel()
	type def = fsm.Definition[doorState, door]
	type tr = fsm.Transition[doorState, door]
	tests := []struct {
		name   string
		change func(d *def)
		want   string
	}{
		{"no State", func(d *def) { d.State = nil }, "State and SetState are required"},
		{"no SetState", func(d *def) { d.SetState = nil }, "State and SetState are required"},
		{"no states", func(d *def) { d.States = nil }, "no states"},
		{"duplicate state", func(d *def) { d.States = append(d.States, open) }, "duplicate state open"},
		{"duplicate state name", func(d *def) {
			d.StateName = func(s doorState) string { return "door" }
		}, "duplicate state door"},
		{"no name", func(d *def) { d.Transitions[0].Name = "" }, "transition with no name"},
		{"duplicate transition", func(d *def) { d.Transitions[1].Name = "open" }, `duplicate transition "open"`},
		{"no source", func(d *def) { d.Transitions[0].From = nil }, `transition "open" has no source`},
		{"From and FromAny", func(d *def) { d.Transitions[0].FromAny = true }, `transition "open" has both From and FromAny`},
		{"undeclared source", func(d *def) { d.Transitions[0].From = []doorState{"ajar"} }, `transition "open": source ajar is not a state`},
		{"undeclared target", func(d *def) { d.Transitions[0].To = "ajar" }, `transition "open": target ajar is not a state`},
		{"guard without name", func(d *def) { d.Transitions[2].Guards[0].Name = "" }, `transition "lock": a guard needs a Name and a Check`},
		{"guard without check", func(d *def) { d.Transitions[2].Guards[0].Check = nil }, `transition "lock": a guard needs a Name and a Check`},
		{"automatic cycle", func(d *def) {
			d.Transitions = append(d.Transitions, tr{Name: "spring", From: []doorState{locked}, To: open, Auto: true})
		}, "automatic transitions form a cycle: open → closed → locked → open"},
		{"automatic loop", func(d *def) {
			d.Transitions = append(d.Transitions, tr{Name: "rattle", From: []doorState{locked}, To: locked, Auto: true})
		}, "automatic transitions form a cycle: locked → locked"},
		{"automatic from any", func(d *def) { d.Transitions[4].Auto = true }, "automatic transitions form a cycle: open → open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := doorDefinition()
			tt.change(&d)
			m, err := fsm.New(d)
			if m != nil {
				t.Errorf("machine: got %v, want nil", m)
			}
			if want := "fsm: invalid definition: " + tt.want; err == nil || err.Error() != want {
				t.Fatalf("got %v, want %v", err, want)
			}
			if !errors.Is(err, fsm.ErrDefinition) || !errors.Is(err, gamekit.ErrInvalid) {
				t.Errorf("errors.Is(err, ErrDefinition and ErrInvalid): got false for %v", err)
			}
		})
	}
}

// TestNewCopies checks that a caller reusing a definition after New cannot
// change the machine, which other goroutines may be using.
func TestNewCopies(t *testing.T) {
	t.Parallel()
	d := doorDefinition()
	doors, err := fsm.New(d)
	if err != nil {
		t.Fatal(err)
	}
	d.Transitions[1].To = locked                // close
	d.Transitions[2].Guards[0].Name = "changed" // lock's guard
	d.Transitions[0].From[0] = locked           // open

	dr := door{state: open}
	if err := doors.Fire(t.Context(), &dr, "close"); err != nil || dr.state != closed {
		t.Errorf("close: got %v and %v, want nil and %v", err, dr.state, closed)
	}
	var te *fsm.TransitionError[doorState]
	if err := doors.Fire(t.Context(), &dr, "lock"); !errors.As(err, &te) || te.Guard != "has key" {
		t.Errorf("lock: got %v, want guard %q failed", err, "has key")
	}
	if err := doors.Fire(t.Context(), &dr, "open"); err != nil {
		t.Errorf("open: got %v, want nil", err)
	}
}
