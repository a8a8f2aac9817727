package fsm

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Definition describes a machine. New checks it once and copies it, so a
// machine never changes after it is built.
type Definition[S comparable, T any] struct {
	// States lists every state an object may be in. Transitions may use only
	// these, and diagrams draw them in this order.
	States []S

	// State reads the state of an object. Required: the state lives in the
	// object, not in the machine, so one machine serves every object.
	State func(t *T) S

	// SetState stores a new state in an object. Required.
	SetState func(t *T, s S)

	// StateName names a state in errors and diagrams. Defaults to
	// fmt.Sprint, which uses the String method of S when it has one.
	StateName func(s S) string

	// Transitions lists the transitions. Their order is the order in which
	// Available lists them, Settle tries them and diagrams draw them.
	Transitions []Transition[S, T]
}

// Transition is one named way from some states to another.
type Transition[S comparable, T any] struct {
	// Name identifies the transition in Fire, errors and diagrams; it must
	// be unique within a machine.
	Name string

	// From lists the states the transition may fire from. Set FromAny
	// instead to allow every state; one of the two is required.
	From    []S
	FromAny bool

	// To is the state the object is in after the transition.
	To S

	// Guards must all hold for the transition to fire. They are checked in
	// order, and the first that fails is named in the error.
	Guards []Guard[T]

	// Action, if set, runs before the state changes; when it fails, the
	// state stays as it was. The caller sets the transition's arguments on
	// the object before firing. Action must not change the state itself.
	Action func(ctx context.Context, t *T) error

	// Auto makes the transition automatic: Settle fires it when the object
	// is in a source state and the guards hold. Automatic transitions must
	// not form a cycle, so an automatic transition cannot use FromAny (it
	// would fire again from its own target).
	Auto bool
}

// Guard is a named condition on the object. The name is what errors and
// diagrams show, so a caller learns which condition refused a transition.
type Guard[T any] struct {
	Name  string
	Check func(t *T) bool
}

// sources returns the states tr may fire from.
func (tr *Transition[S, T]) sources(states []S) []S {
	if tr.FromAny {
		return states
	}
	return tr.From
}

// check returns the first mistake in d, or nil. d.StateName must be set.
func (d *Definition[S, T]) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrDefinition}, args...)...)
	}
	if d.State == nil || d.SetState == nil {
		return bad("State and SetState are required")
	}
	if len(d.States) == 0 {
		return bad("no states")
	}
	// Errors and diagrams know states by name, so names must be unique.
	stateNames := make(map[string]bool)
	for _, s := range d.States {
		name := d.StateName(s)
		if stateNames[name] {
			return bad("duplicate state %s", name)
		}
		stateNames[name] = true
	}
	names := make(map[string]bool)
	for _, tr := range d.Transitions {
		switch {
		case tr.Name == "":
			return bad("transition with no name")
		case names[tr.Name]:
			return bad("duplicate transition %q", tr.Name)
		case len(tr.From) == 0 && !tr.FromAny:
			return bad("transition %q has no source", tr.Name)
		case len(tr.From) > 0 && tr.FromAny:
			return bad("transition %q has both From and FromAny", tr.Name)
		case !slices.Contains(d.States, tr.To):
			return bad("transition %q: target %s is not a state", tr.Name, d.StateName(tr.To))
		}
		names[tr.Name] = true
		for _, s := range tr.From {
			if !slices.Contains(d.States, s) {
				return bad("transition %q: source %s is not a state", tr.Name, d.StateName(s))
			}
		}
		for _, g := range tr.Guards {
			if g.Name == "" || g.Check == nil {
				return bad("transition %q: a guard needs a Name and a Check", tr.Name)
			}
		}
	}
	if cycle := d.autoCycle(); cycle != nil {
		path := make([]string, len(cycle))
		for i, s := range cycle {
			path[i] = d.StateName(s)
		}
		return bad("automatic transitions form a cycle: %s", strings.Join(path, " → "))
	}
	return nil
}

// autoCycle returns a cycle of automatic transitions as the states it goes
// through, the first repeated at the end, or nil if there is none. Settle
// relies on there being none to terminate. Guards are not considered: no
// one can tell in advance whether two guards exclude each other.
func (d *Definition[S, T]) autoCycle() []S {
	next := make(map[S][]S)
	for _, tr := range d.Transitions {
		if tr.Auto {
			for _, s := range tr.sources(d.States) {
				next[s] = append(next[s], tr.To)
			}
		}
	}

	// A depth-first search: a state met again while still on the path
	// closes a cycle.
	const (
		onPath = iota + 1
		done
	)
	mark := make(map[S]int)
	var path []S
	var visit func(s S) []S
	visit = func(s S) []S {
		switch mark[s] {
		case onPath:
			return append(slices.Clone(path[slices.Index(path, s):]), s)
		case done:
			return nil
		}
		mark[s] = onPath
		path = append(path, s)
		for _, n := range next[s] {
			if cycle := visit(n); cycle != nil {
				return cycle
			}
		}
		path = path[:len(path)-1]
		mark[s] = done
		return nil
	}
	for _, s := range d.States {
		if cycle := visit(s); cycle != nil {
			return cycle
		}
	}
	return nil
}
