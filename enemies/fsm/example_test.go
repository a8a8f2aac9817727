package fsm_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/enemies/fsm"
)

// DoorState is a state of a Door. Its String method names it in errors and
// diagrams, since Definition.StateName defaults to fmt.Sprint.
type DoorState int

const (
	Open DoorState = iota
	Closed
	Locked
)

func (s DoorState) String() string { return [...]string{"open", "closed", "locked"}[s] }

// Door keeps its own state; the machine only reads and sets it.
type Door struct {
	State DoorState
	Key   string // the key the player holds
}

// Example defines a door that locks with the right key, fires transitions,
// and reads why one was refused.
func Example() {
	rightKey := fsm.Guard[Door]{Name: "right key", Check: func(d *Door) bool { return d.Key == "brass" }}
	doors, err := fsm.New(fsm.Definition[DoorState, Door]{
		States:   []DoorState{Open, Closed, Locked},
		State:    func(d *Door) DoorState { return d.State },
		SetState: func(d *Door, s DoorState) { d.State = s },
		Transitions: []fsm.Transition[DoorState, Door]{
			{Name: "open", From: []DoorState{Closed}, To: Open},
			{Name: "close", From: []DoorState{Open}, To: Closed},
			{Name: "lock", From: []DoorState{Closed}, To: Locked, Guards: []fsm.Guard[Door]{rightKey}},
			{Name: "unlock", From: []DoorState{Locked}, To: Closed, Guards: []fsm.Guard[Door]{rightKey}},
		},
	})
	if err != nil {
		panic(err) // a mistake in the definition
	}

	ctx := context.Background()
	door := &Door{State: Open}
	fmt.Println(doors.Fire(ctx, door, "close"), door.State)
	fmt.Println("available:", doors.Available(door))

	err = doors.Fire(ctx, door, "lock")
	fmt.Println(err)
	var te *fsm.TransitionError[DoorState]
	if errors.As(err, &te) {
		fmt.Println("refused by:", te.Guard)
	}
	fmt.Println("conflict:", errors.Is(err, gamekit.ErrConflict))

	door.Key = "brass" // the player picks up the key
	fmt.Println(doors.Fire(ctx, door, "lock"), door.State)
	fmt.Println(doors.Fire(ctx, door, "open"))
	// Output:
	// <nil> closed
	// available: [open]
	// fsm: transition "lock" from closed: guard "right key" failed
	// refused by: right key
	// conflict: true
	// <nil> locked
	// fsm: transition "open" not allowed from locked
}

// Order is paid by a transition whose argument, the amount, is set on the
// order first, and ships by itself once in stock.
type Order struct {
	Status  string
	Amount  int
	Paid    int
	InStock bool
}

func ExampleMachine_Settle() {
	orders, err := fsm.New(fsm.Definition[string, Order]{
		States:   []string{"pending", "paid", "shipped"},
		State:    func(o *Order) string { return o.Status },
		SetState: func(o *Order, s string) { o.Status = s },
		Transitions: []fsm.Transition[string, Order]{
			{Name: "pay", From: []string{"pending"}, To: "paid",
				Action: func(ctx context.Context, o *Order) error {
					if o.Amount <= 0 {
						return errors.New("nothing to pay")
					}
					o.Paid += o.Amount
					return nil
				}},
			{Name: "ship", From: []string{"paid"}, To: "shipped", Auto: true,
				Guards: []fsm.Guard[Order]{{Name: "in stock", Check: func(o *Order) bool { return o.InStock }}}},
		},
	})
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	order := &Order{Status: "pending"}
	fmt.Println(orders.Fire(ctx, order, "pay"), order.Status)

	order.Amount = 30
	fmt.Println(orders.Fire(ctx, order, "pay"), order.Status, order.Paid)
	fmt.Println(orders.Settle(ctx, order)) // not in stock yet

	order.InStock = true // the warehouse restocks
	fmt.Println(orders.Settle(ctx, order))
	fmt.Println(order.Status)
	// Output:
	// fsm: transition "pay" from pending: nothing to pay pending
	// <nil> paid 30
	// [] <nil>
	// [ship] <nil>
	// shipped
}

// lamp is a small machine for the diagram examples.
func lamp() *fsm.Machine[string, string] {
	m, err := fsm.New(fsm.Definition[string, string]{
		States:   []string{"off", "on", "broken"},
		State:    func(s *string) string { return *s },
		SetState: func(s *string, to string) { *s = to },
		Transitions: []fsm.Transition[string, string]{
			{Name: "switch on", From: []string{"off"}, To: "on"},
			{Name: "switch off", From: []string{"on"}, To: "off"},
			{Name: "burn out", From: []string{"on"}, To: "broken", Auto: true,
				Guards: []fsm.Guard[string]{{Name: "old bulb", Check: func(*string) bool { return false }}}},
			{Name: "repair", FromAny: true, To: "off"},
		},
	})
	if err != nil {
		panic(err)
	}
	return m
}

func ExampleMachine_DOT() {
	fmt.Print(lamp().DOT())
	// Output:
	// digraph {
	// 	"off";
	// 	"on";
	// 	"broken";
	// 	"off" -> "on" [label="switch on"];
	// 	"on" -> "off" [label="switch off"];
	// 	"on" -> "broken" [label="burn out [old bulb]", style=dashed];
	// 	"off" -> "off" [label="repair"];
	// 	"on" -> "off" [label="repair"];
	// 	"broken" -> "off" [label="repair"];
	// }
}

func ExampleMachine_Mermaid() {
	fmt.Print(lamp().Mermaid())
	// Output:
	// stateDiagram-v2
	//     off
	//     on
	//     broken
	//     off --> on: switch on
	//     on --> off: switch off
	//     on --> broken: burn out [old bulb] (auto)
	//     off --> off: repair
	//     on --> off: repair
	//     broken --> off: repair
}
