package enemies

import (
	"context"
	"fmt"
	"math"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
)

// DefaultHealthPoints is the health of a new monster, as in the tutorial.
const DefaultHealthPoints = 10

// MaxHealthPoints is the most health a monster can have: the largest value
// the column holds on every database (PostgreSQL's INTEGER).
const MaxHealthPoints = math.MaxInt32

// Monster is an enemy whose behaviour is a state machine (see Machine). The
// JSON is the tutorial's, with the state by name:
// {"id":1,"state":"wandering","user_being_attacked":null,"health_points":10}.
type Monster struct {
	bun.BaseModel `bun:"table:gamekit_monsters,alias:monster" json:"-"`

	ID    int64 `bun:",pk,autoincrement" json:"id"`
	State State `json:"state"`
	// UserBeingAttacked is the id of the host's user the monster attacks:
	// set by attack, cleared by wander. gamekit does not own users, so no
	// foreign key checks it.
	UserBeingAttacked *int64 `json:"user_being_attacked"`
	// HealthPoints is a whole number from 0 to MaxHealthPoints. An evading
	// monster with AidThreshold points or fewer looks for aid by itself.
	HealthPoints int `json:"health_points"`
	// Version grows with every write of the stored monster, by one per
	// transition (see HistoryEntry.Version). A store writes a monster back
	// only if its version is still the one it read, so two concurrent
	// changes never both take effect.
	Version int64 `json:"-"`

	args Args // of the transition being fired; see Fire
}

// NewMonster returns a monster as the tutorial creates one: wandering,
// with DefaultHealthPoints. Store it with Store.CreateMonster.
func NewMonster() Monster {
	return Monster{State: Wandering, HealthPoints: DefaultHealthPoints}
}

// Args are the arguments of a transition, decoded from the body of
// POST /monsters/{id}/{transition}/. Attack needs User; the other
// transitions take none.
type Args struct {
	// User is the host's user to attack: a positive id.
	User *int64 `json:"user"`
}

// check reports, field by field, what is wrong with args for the transition
// called name. It says nothing about an unknown name: the machine does.
func (args Args) check(name string) error {
	switch name {
	case Attack:
		switch {
		case args.User == nil:
			return gamekit.Invalid("user", "This field is required.")
		case *args.User < 1:
			return gamekit.Invalid("user", "Ensure this value is greater than or equal to 1.")
		}
	case Wander, Evade, LookForAid:
		if args.User != nil {
			return gamekit.Invalid("user", "This field is not allowed.")
		}
	}
	return nil
}

// Fire fires the transition called name on m, in memory, with args: it
// checks args (invalid input), then m's state and the transition's guards
// (an *fsm.TransitionError), and changes m only if all pass. It does not
// fire automatic transitions; Machine().Settle does. A Store fires and
// settles a stored monster in one transaction with the same rules.
func (m *Monster) Fire(ctx context.Context, name string, args Args) error {
	if err := args.check(name); err != nil {
		return err
	}
	m.args = args
	defer func() { m.args = Args{} }()
	return machine.Fire(ctx, m, name)
}

// validate reports every problem with a monster to be created.
func (m *Monster) validate() error {
	bad := &gamekit.InvalidError{}
	if !m.State.valid() {
		bad.Add("state", fmt.Sprintf("%q is not a valid choice.", fmt.Sprint(int(m.State))))
	}
	if m.UserBeingAttacked != nil && *m.UserBeingAttacked < 1 {
		bad.Add("user_being_attacked", "Ensure this value is greater than or equal to 1.")
	}
	validHealth(bad, m.HealthPoints)
	return bad.Err()
}

func validHealth(bad *gamekit.InvalidError, hp int) {
	switch {
	case hp < 0:
		bad.Add("health_points", "Ensure this value is greater than or equal to 0.")
	case hp > MaxHealthPoints:
		bad.Add("health_points", fmt.Sprintf("Ensure this value is less than or equal to %d.", MaxHealthPoints))
	}
}
