package fsm

import (
	"context"
	"fmt"
	"slices"
)

// Machine fires transitions on objects of type T whose state is of type S.
// It holds no per-object data and never changes after New, so one machine,
// usually a package variable, serves every object from any goroutine.
type Machine[S comparable, T any] struct {
	def   Definition[S, T]
	index map[string]int // transition name → index in def.Transitions
}

// New checks def and returns a machine for it. Mistakes in def are reported
// here, wrapping ErrDefinition, rather than on the first Fire.
func New[S comparable, T any](def Definition[S, T]) (*Machine[S, T], error) {
	if def.StateName == nil {
		def.StateName = func(s S) string { return fmt.Sprint(s) }
	}
	if err := def.check(); err != nil {
		return nil, err
	}

	// Copy every slice, so a caller reusing def cannot change the machine.
	def.States = slices.Clone(def.States)
	def.Transitions = slices.Clone(def.Transitions)
	m := &Machine[S, T]{def: def, index: make(map[string]int, len(def.Transitions))}
	for i := range def.Transitions {
		tr := &def.Transitions[i]
		tr.From = slices.Clone(tr.From)
		tr.Guards = slices.Clone(tr.Guards)
		m.index[tr.Name] = i
	}
	return m, nil
}

// Fire runs the transition called name on t: it checks the source state and
// the guards, runs the action, then sets the new state. On failure t's state
// is unchanged and the error is a *TransitionError. Fire does not run
// automatic transitions afterwards; call Settle for that.
func (m *Machine[S, T]) Fire(ctx context.Context, t *T, name string) error {
	tr, err := m.ready(t, name)
	if err != nil {
		return err
	}
	return m.fire(ctx, t, tr)
}

// CanFire returns nil if Fire would try the transition called name on t, and
// otherwise the *TransitionError Fire would return, so a caller can explain
// why a button is disabled. It does not run the action, which may still fail.
func (m *Machine[S, T]) CanFire(t *T, name string) error {
	_, err := m.ready(t, name)
	return err
}

// Available lists the names of the transitions a caller can fire on t now,
// in definition order. It leaves out automatic transitions, which Settle
// fires without being asked.
func (m *Machine[S, T]) Available(t *T) []string {
	var names []string
	for i := range m.def.Transitions {
		tr := &m.def.Transitions[i]
		if tr.Auto {
			continue
		}
		if reason, _ := m.blocked(t, tr); reason == nil {
			names = append(names, tr.Name)
		}
	}
	return names
}

// Settle fires the automatic transitions that apply to t, one after the
// other, until none does, and returns their names in the order they fired.
// Call it after changing t, as django-fsm hosts do on post_save. When an
// action fails, Settle stops and returns what fired before, and the error.
// It terminates because New rejects cycles of automatic transitions.
func (m *Machine[S, T]) Settle(ctx context.Context, t *T) ([]string, error) {
	var fired []string
	for {
		tr := m.nextAuto(t)
		if tr == nil {
			return fired, nil
		}
		if err := m.fire(ctx, t, tr); err != nil {
			return fired, err
		}
		fired = append(fired, tr.Name)
	}
}

// nextAuto returns the first automatic transition that can fire on t, or nil.
func (m *Machine[S, T]) nextAuto(t *T) *Transition[S, T] {
	for i := range m.def.Transitions {
		tr := &m.def.Transitions[i]
		if !tr.Auto {
			continue
		}
		if reason, _ := m.blocked(t, tr); reason == nil {
			return tr
		}
	}
	return nil
}

// ready returns the transition called name if it can fire on t now, and
// otherwise a *TransitionError saying why not.
func (m *Machine[S, T]) ready(t *T, name string) (*Transition[S, T], error) {
	i, ok := m.index[name]
	if !ok {
		return nil, m.failure(t, name, ErrUnknownTransition, "")
	}
	tr := &m.def.Transitions[i]
	if reason, guard := m.blocked(t, tr); reason != nil {
		return nil, m.failure(t, name, reason, guard)
	}
	return tr, nil
}

// blocked returns nil if tr can fire on t now, and otherwise ErrNotAllowed,
// or ErrGuardFailed and the guard's name. It allocates nothing, so Fire
// stays cheap and Settle and Available can ask about every transition.
func (m *Machine[S, T]) blocked(t *T, tr *Transition[S, T]) (reason error, guard string) {
	if !tr.FromAny && !slices.Contains(tr.From, m.def.State(t)) {
		return ErrNotAllowed, ""
	}
	for _, g := range tr.Guards {
		if !g.Check(t) {
			return ErrGuardFailed, g.Name
		}
	}
	return nil, ""
}

// fire runs tr's action and sets its target; its checks are done.
func (m *Machine[S, T]) fire(ctx context.Context, t *T, tr *Transition[S, T]) error {
	if tr.Action != nil {
		if err := tr.Action(ctx, t); err != nil {
			return m.failure(t, tr.Name, err, "")
		}
	}
	m.def.SetState(t, tr.To)
	return nil
}

// failure returns a *TransitionError for the transition called name on t.
func (m *Machine[S, T]) failure(t *T, name string, err error, guard string) error {
	s := m.def.State(t)
	return &TransitionError[S]{Transition: name, State: s, Guard: guard, Err: err, stateName: m.def.StateName(s)}
}
