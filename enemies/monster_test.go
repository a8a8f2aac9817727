package enemies_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/enemies/fsm"
)

func TestStateNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		state enemies.State
		value int
		name  string
	}{
		{enemies.Wandering, 10, "wandering"},
		{enemies.Attacking, 20, "attacking"},
		{enemies.LookingForAid, 30, "looking for aid"},
		{enemies.Evading, 40, "evading"},
	} {
		if int(tc.state) != tc.value {
			t.Errorf("%s: got %d, want %d", tc.name, int(tc.state), tc.value)
		}
		if got := tc.state.String(); got != tc.name {
			t.Errorf("State(%d).String(): got %v, want %v", tc.value, got, tc.name)
		}
		if got, err := enemies.ParseState(tc.name); err != nil || got != tc.state {
			t.Errorf("ParseState(%q): got %v %v, want %v", tc.name, got, err, tc.state)
		}
		var decoded enemies.State
		if err := json.Unmarshal([]byte(`"`+tc.name+`"`), &decoded); err != nil || decoded != tc.state {
			t.Errorf("decode %q: got %v %v, want %v", tc.name, decoded, err, tc.state)
		}
	}
	for _, name := range []string{"", "Wandering", "10", "looking_for_aid", "dead"} {
		if _, err := enemies.ParseState(name); !errors.Is(err, gamekit.ErrInvalid) {
			t.Errorf("ParseState(%q): got %v, want invalid input", name, err)
		}
	}
	if got := enemies.State(99).String(); got != "State(99)" {
		t.Errorf("unknown state: got %v, want State(99)", got)
	}
	if _, err := json.Marshal(enemies.State(99)); err == nil {
		t.Error("an unknown state encoded as JSON")
	}
}

// The JSON of a monster is the tutorial's, with nothing else in it.
func TestMonsterJSON(t *testing.T) {
	t.Parallel()
	m := enemies.NewMonster()
	m.ID, m.Version = 1, 7
	if got, want := mustJSON(t, m), `{"id":1,"state":"wandering","user_being_attacked":null,"health_points":10}`; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	m.State, m.UserBeingAttacked = enemies.Attacking, userID(3)
	if got, want := mustJSON(t, m), `{"id":1,"state":"attacking","user_being_attacked":3,"health_points":10}`; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	var back enemies.Monster
	if err := json.Unmarshal([]byte(mustJSON(t, m)), &back); err != nil || back.State != enemies.Attacking || *back.UserBeingAttacked != 3 {
		t.Errorf("decoded: got %+v %v", back, err)
	}
}

// Every transition from every state, in memory: the new state and target,
// or the reason for the refusal.
func TestFireInMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		from       enemies.State
		health     int
		transition string
		args       enemies.Args
		to         enemies.State
		target     *int64
		err        error // nil, or what errors.Is must find
	}{
		{enemies.Wandering, 10, "attack", enemies.Args{User: userID(4)}, enemies.Attacking, userID(4), nil},
		{enemies.Wandering, 10, "attack", enemies.Args{}, enemies.Wandering, nil, gamekit.ErrInvalid},
		{enemies.Wandering, 10, "attack", enemies.Args{User: userID(0)}, enemies.Wandering, nil, gamekit.ErrInvalid},
		{enemies.Attacking, 10, "attack", enemies.Args{User: userID(4)}, enemies.Attacking, userID(1), fsm.ErrNotAllowed},
		{enemies.Attacking, 10, "wander", enemies.Args{}, enemies.Wandering, nil, nil},
		{enemies.LookingForAid, 3, "wander", enemies.Args{}, enemies.Wandering, nil, nil},
		{enemies.Attacking, 10, "wander", enemies.Args{User: userID(4)}, enemies.Attacking, userID(1), gamekit.ErrInvalid},
		{enemies.Evading, 10, "wander", enemies.Args{}, enemies.Evading, userID(1), fsm.ErrNotAllowed},
		{enemies.Attacking, 10, "evade", enemies.Args{}, enemies.Evading, userID(1), nil},
		{enemies.Wandering, 10, "evade", enemies.Args{}, enemies.Wandering, nil, fsm.ErrNotAllowed},
		{enemies.Evading, 5, "look_for_aid", enemies.Args{}, enemies.LookingForAid, userID(1), nil},
		{enemies.Evading, 6, "look_for_aid", enemies.Args{}, enemies.Evading, userID(1), fsm.ErrGuardFailed},
		{enemies.Wandering, 0, "look_for_aid", enemies.Args{}, enemies.Wandering, nil, fsm.ErrNotAllowed},
		{enemies.Wandering, 10, "fly", enemies.Args{}, enemies.Wandering, nil, fsm.ErrUnknownTransition},
	} {
		// A wandering monster attacks nobody; any other attacks user 1.
		m := enemies.Monster{State: tc.from, HealthPoints: tc.health, UserBeingAttacked: userID(1)}
		if tc.from == enemies.Wandering {
			m.UserBeingAttacked = nil
		}
		err := m.Fire(ctx, tc.transition, tc.args)
		if (tc.err == nil) != (err == nil) || (tc.err != nil && !errors.Is(err, tc.err)) {
			t.Errorf("%s from %s: got %v, want %v", tc.transition, tc.from, err, tc.err)
		}
		if m.State != tc.to || fmtTarget(m.UserBeingAttacked) != fmtTarget(tc.target) {
			t.Errorf("%s from %s: got %s attacking %s, want %s attacking %s", tc.transition, tc.from,
				m.State, fmtTarget(m.UserBeingAttacked), tc.to, fmtTarget(tc.target))
		}
	}
}

func fmtTarget(p *int64) string {
	if p == nil {
		return "nobody"
	}
	b, _ := json.Marshal(*p)
	return string(b)
}

// Through the machine itself, attack has no way to get its argument and
// refuses rather than attacking nobody; the automatic transition settles.
func TestMachine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := enemies.NewMonster()
	err := enemies.Machine().Fire(ctx, &m, enemies.Attack)
	if !errors.Is(err, gamekit.ErrInvalid) || m.State != enemies.Wandering {
		t.Errorf("attack without a user: got %v, %s; want invalid input, still wandering", err, m.State)
	}
	m = enemies.Monster{State: enemies.Attacking, HealthPoints: 1}
	if got := enemies.Machine().Available(&m); len(got) != 2 || got[0] != "wander" || got[1] != "evade" {
		t.Errorf("available when attacking: got %v, want [wander evade]", got)
	}
	if err := m.Fire(ctx, enemies.Evade, enemies.Args{}); err != nil {
		t.Fatal(err)
	}
	fired, err := enemies.Machine().Settle(ctx, &m)
	if err != nil || len(fired) != 1 || fired[0] != "look_for_aid" || m.State != enemies.LookingForAid {
		t.Errorf("settle at 1 health point: got %v %v, %s; want [look_for_aid], looking for aid", fired, err, m.State)
	}
	var te *fsm.TransitionError[enemies.State]
	err = (&enemies.Monster{State: enemies.Wandering}).Fire(ctx, enemies.Evade, enemies.Args{})
	if !errors.As(err, &te) || te.State != enemies.Wandering || te.Transition != "evade" ||
		err.Error() != `fsm: transition "evade" not allowed from wandering` {
		t.Errorf("evade from wandering: got %v", err)
	}
}

// The diagram is the machine; a change to it shows here (and in
// ExampleMachine, for Mermaid).
func TestDiagram(t *testing.T) {
	t.Parallel()
	wantDOT := `digraph {
	"wandering";
	"attacking";
	"looking for aid";
	"evading";
	"wandering" -> "attacking" [label="attack"];
	"attacking" -> "wandering" [label="wander"];
	"looking for aid" -> "wandering" [label="wander"];
	"attacking" -> "evading" [label="evade"];
	"evading" -> "looking for aid" [label="look_for_aid [health_points <= 5]", style=dashed];
}
`
	if got := enemies.Machine().DOT(); got != wantDOT {
		t.Errorf("DOT: got\n%v\nwant\n%v", got, wantDOT)
	}
}
