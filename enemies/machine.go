package enemies

import (
	"context"
	"strconv"

	"github.com/gamekit/gamekit/enemies/fsm"
)

// The transitions of a monster, by the names Fire and the API take.
const (
	// Attack (wandering → attacking) needs Args.User and sets
	// UserBeingAttacked to it.
	Attack = "attack"
	// Wander (attacking or looking for aid → wandering) clears
	// UserBeingAttacked.
	Wander = "wander"
	// Evade is attacking → evading.
	Evade = "evade"
	// LookForAid (evading → looking for aid) is automatic: it fires by
	// itself once an evading monster has AidThreshold health points or
	// fewer, and may also be fired by name when that holds.
	LookForAid = "look_for_aid"
)

// AidThreshold is the most health points an evading monster can have and
// still look for aid.
const AidThreshold = 5

var transitions = []fsm.Transition[State, Monster]{
	{Name: Attack, From: []State{Wandering}, To: Attacking,
		Action: func(_ context.Context, m *Monster) error {
			if err := m.args.check(Attack); err != nil {
				return err // fired through Machine() without Monster.Fire's arguments
			}
			user := *m.args.User
			m.UserBeingAttacked = &user
			return nil
		}},
	{Name: Wander, From: []State{Attacking, LookingForAid}, To: Wandering,
		Action: func(_ context.Context, m *Monster) error {
			m.UserBeingAttacked = nil
			return nil
		}},
	{Name: Evade, From: []State{Attacking}, To: Evading},
	{Name: LookForAid, From: []State{Evading}, To: LookingForAid, Auto: true,
		Guards: []fsm.Guard[Monster]{{Name: "health_points <= " + strconv.Itoa(AidThreshold),
			Check: func(m *Monster) bool { return m.HealthPoints <= AidThreshold }}}},
}

// targets maps each transition's name to the state it leads to, so a store
// can record the states automatic transitions went through.
var targets = func() map[string]State {
	to := make(map[string]State, len(transitions))
	for _, tr := range transitions {
		to[tr.Name] = tr.To
	}
	return to
}()

var machine = func() *fsm.Machine[State, Monster] {
	states := make([]State, len(stateNames))
	for i, sn := range stateNames {
		states[i] = sn.state
	}
	m, err := fsm.New(fsm.Definition[State, Monster]{
		States:      states,
		State:       func(m *Monster) State { return m.State },
		SetState:    func(m *Monster, s State) { m.State = s },
		Transitions: transitions,
	})
	if err != nil {
		panic(err) // the definition above is wrong: every test fails
	}
	return m
}()

// Machine returns the monster's state machine, for what Monster.Fire and
// the store do not cover: CanFire and Available to tell a player what a
// monster can do now, Settle for automatic transitions in memory, and the
// diagram (DOT, Mermaid). Fire the attack transition with Monster.Fire,
// which sets its argument; through the machine it fails without one.
func Machine() *fsm.Machine[State, Monster] { return machine }
