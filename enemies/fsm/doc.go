// Package fsm runs finite-state machines over any object whose state is a
// field of a comparable type: a monster wandering or attacking, a door open
// or locked, an order paid or shipped. It gives what django-fsm gives a
// Django model (named transitions, guards, side effects, transitions that
// fire by themselves) with the types checked by the compiler instead of
// asserted at run time.
//
// # Defining a machine
//
// A [Definition] lists the states, how to read and set the state of an
// object, and the transitions. Each [Transition] has a name, the states it
// may fire from (or FromAny), a target, named [Guard]s that must hold, and an
// optional action. [New] checks the definition once and reports a mistake in
// it (a duplicate name, an undeclared state, a transition without a source,
// a cycle of automatic transitions) when the machine is built, not on first
// use. The resulting [Machine] is usually a package variable.
//
// The machine does not store the state: the object does. A [Machine] is
// therefore immutable and safe for concurrent use by any number of
// goroutines; only the objects need protecting, as usual.
//
// # Firing transitions
//
// [Machine.Fire] checks the object's state and the transition's guards in
// order, runs the action, and only when it succeeds sets the new state. A
// transition takes no arguments: the caller sets them on the object first,
// where the guards and the action read them. [Machine.CanFire] performs the
// same checks without firing, and [Machine.Available] lists the transitions
// a caller could fire now.
//
// Firing a transition with neither action nor guards costs tens of
// nanoseconds and allocates nothing: names are resolved once, in New, and
// errors are built only when something fails.
//
// # Errors
//
// Fire returns a [*TransitionError] naming the transition, the state, and
// what stopped it; errors.As gives the fields. Its Err is one of
// [ErrUnknownTransition] (of kind gamekit.ErrNotFound), [ErrNotAllowed] or
// [ErrGuardFailed] (both of kind gamekit.ErrConflict), or the action's own
// error. Errors from New wrap [ErrDefinition].
//
// # Automatic transitions
//
// A transition marked Auto fires by itself when the object is in one of its
// sources and its guards hold, like a django-fsm transition triggered from
// post_save. Nothing fires behind the caller's back: after changing an object,
// or after Fire, the caller calls [Machine.Settle], which fires automatic
// transitions until none applies and reports which fired. New rejects
// automatic transitions that could lead back to where they started, so
// Settle always ends.
//
// # Diagrams
//
// [Machine.DOT] and [Machine.Mermaid] draw the machine for Graphviz and for
// Markdown. Their output is stable, so it can be committed beside the code
// and checked in a test: a diff then shows a change to the machine.
package fsm
