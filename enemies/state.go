package enemies

import (
	"fmt"

	"github.com/gamekit/gamekit"
)

// State is what a monster is doing. The numbers are the tutorial's and are
// what the database stores; the API and the diagrams show the names.
type State int

// The states of a monster.
const (
	Wandering     State = 10
	Attacking     State = 20
	LookingForAid State = 30
	Evading       State = 40
)

// stateNames are the display names, in the order diagrams draw the states.
var stateNames = []struct {
	state State
	name  string
}{
	{Wandering, "wandering"},
	{Attacking, "attacking"},
	{LookingForAid, "looking for aid"},
	{Evading, "evading"},
}

// String returns the state's display name ("looking for aid"), which is
// what the JSON, errors and diagrams show; an unknown value prints as
// State(N).
func (s State) String() string {
	for _, sn := range stateNames {
		if sn.state == s {
			return sn.name
		}
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// valid reports whether s is one of the four states.
func (s State) valid() bool {
	for _, sn := range stateNames {
		if sn.state == s {
			return true
		}
	}
	return false
}

// ParseState returns the state with the given display name, so a client's
// "?state=attacking" filter means what the JSON shows. Any other text is
// invalid input.
func ParseState(name string) (State, error) {
	for _, sn := range stateNames {
		if sn.name == name {
			return sn.state, nil
		}
	}
	return 0, gamekit.Invalid("state", fmt.Sprintf("%q is not a valid choice.", name))
}

// MarshalText makes a state a JSON string of its display name.
func (s State) MarshalText() ([]byte, error) {
	if !s.valid() {
		return nil, fmt.Errorf("enemies: no such state %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a display name, so a Go client can decode the API's
// monsters into Monster.
func (s *State) UnmarshalText(text []byte) error {
	state, err := ParseState(string(text))
	if err != nil {
		return err
	}
	*s = state
	return nil
}
