package fsm_test

import (
	"slices"
	"testing"

	"github.com/gamekit/gamekit/enemies/fsm"
)

func TestDOT(t *testing.T) {
	t.Parallel()
	want := `digraph {
	"open";
	"closed";
	"locked";
	"closed" -> "open" [label="open"];
	"open" -> "closed" [label="close"];
	"closed" -> "locked" [label="lock [has key]"];
	"locked" -> "closed" [label="unlock [has key]"];
	"open" -> "open" [label="force"];
	"closed" -> "open" [label="force"];
	"locked" -> "open" [label="force"];
	"open" -> "closed" [label="slam [windy]", style=dashed];
	"closed" -> "locked" [label="latch [self-locking]", style=dashed];
}
`
	if got := newDoors(t).DOT(); got != want {
		t.Errorf("got\n%v\nwant\n%v", got, want)
	}
}

func TestMermaid(t *testing.T) {
	t.Parallel()
	want := `stateDiagram-v2
    open
    closed
    locked
    closed --> open: open
    open --> closed: close
    closed --> locked: lock [has key]
    locked --> closed: unlock [has key]
    open --> open: force
    closed --> open: force
    locked --> open: force
    open --> closed: slam [windy] (auto)
    closed --> locked: latch [self-locking] (auto)
`
	if got := newDoors(t).Mermaid(); got != want {
		t.Errorf("got\n%v\nwant\n%v", got, want)
	}
}

// TestMermaidNames checks that a display name Mermaid cannot use as an id
// is declared under an id of its own.
func TestMermaidNames(t *testing.T) {
	t.Parallel()
	names := map[int]string{10: "wandering", 30: "looking for aid"}
	m, err := fsm.New(fsm.Definition[int, int]{
		States:    []int{10, 30},
		State:     func(s *int) int { return *s },
		SetState:  func(s *int, to int) { *s = to },
		StateName: func(s int) string { return names[s] },
		Transitions: []fsm.Transition[int, int]{
			{Name: "wander", From: []int{30}, To: 10},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `stateDiagram-v2
    wandering
    state "looking for aid" as s1
    s1 --> wandering: wander
`
	if got := m.Mermaid(); got != want {
		t.Errorf("got\n%v\nwant\n%v", got, want)
	}
}

func TestDiagram(t *testing.T) {
	t.Parallel()
	states, edges := newDoors(t).Diagram()
	if want := []string{"open", "closed", "locked"}; !slices.Equal(states, want) {
		t.Errorf("states: got %v, want %v", states, want)
	}
	if len(edges) != 9 {
		t.Fatalf("got %d edges, want 9", len(edges))
	}
	lock := fsm.Edge{From: "closed", To: "locked", Transition: "lock", Label: "lock [has key]"}
	slam := fsm.Edge{From: "open", To: "closed", Transition: "slam", Label: "slam [windy]", Auto: true}
	if edges[2] != lock || edges[7] != slam {
		t.Errorf("got %+v and %+v, want %+v and %+v", edges[2], edges[7], lock, slam)
	}
}
