// Package enemies keeps the monsters of a game: the tutorial's Monster,
// whose behaviour is a finite-state machine, stored so that concurrent
// players and servers can never push one monster through two transitions
// at once, with every transition recorded and announced.
//
// # Monsters and their states
//
// A [Monster] is [Wandering], [Attacking], [LookingForAid] or [Evading]
// (10, 20, 30 and 40 in the database; "wandering", "attacking", "looking
// for aid" and "evading" in the JSON, errors and diagrams). It has health
// points, a whole number from 0 to [MaxHealthPoints] (10 for a new
// monster), and the id of the host's user it attacks, if any.
//
// # Transitions
//
// [Machine] is the state machine, built on
// [github.com/gamekit/gamekit/enemies/fsm]:
//
//   - [Attack] (wandering → attacking) takes the user to attack,
//     [Args].User, and sets UserBeingAttacked;
//   - [Wander] (attacking or looking for aid → wandering) clears it;
//   - [Evade] is attacking → evading;
//   - [LookForAid] (evading → looking for aid) is automatic: it fires by
//     itself as soon as an evading monster has [AidThreshold] (5) health
//     points or fewer, after a transition or a change of health.
//
// A transition the monster's state refuses fails with an
// *fsm.TransitionError of kind gamekit.ErrConflict, whose message names the
// transition and the state ("fsm: transition \"evade\" not allowed from
// wandering"); bad arguments are invalid input; an unknown transition is
// not found. [Monster.Fire] applies the same rules to a monster in memory.
//
// # Storage
//
// [Store] is what the handlers need from storage; [SQLStore] implements it
// with bun on SQLite or PostgreSQL, and [Migrations] creates its tables.
// [SQLStore.Fire] is atomic: in one transaction it loads the monster,
// checks the transition, fires the automatic transitions that follow, and
// writes the monster back with a conditional UPDATE on its state and
// version, so of concurrent transitions exactly one succeeds and the others
// get a conflict ([ErrConcurrentChange], or the machine's refusal when they
// start after the winner committed), even if the monster went through other
// states and came back meanwhile. [SQLStore.SetHealth] fires the automatic
// transitions its change enables in the same transaction.
//
// # History
//
// Every transition a store fires, automatic ones included, is written in
// the same transaction as a [HistoryEntry]: monster, transition, from, to,
// the user who fired it, and when, under the version of the monster the
// transition made, so the database itself refuses two histories for one
// version. [SQLStore.History] lists a monster's oldest first; entries
// outlive a deleted monster, for analytics.
//
// # Events
//
// After each committed change, a store built on a *bun.DB announces it on
// [Channel] ("monsters") through the gamekit.Publisher in [StoreOptions],
// usually the realtime hub: [EventCreated] and [EventUpdated] with the
// monster as Data, [EventDeleted] with its id. A failed or rolled-back
// change announces nothing.
//
// # HTTP
//
// [Handler] serves /monsters/ with the tutorial's JSON: anyone reads
// monsters, their history and the state diagram; admins create monsters,
// set their health, and fire transitions with
// POST /monsters/{id}/{transition}/. It reads the caller from the request
// context ([github.com/gamekit/gamekit.IdentityFrom]); the host
// authenticates.
package enemies
