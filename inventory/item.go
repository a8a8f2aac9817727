package inventory

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
)

// MaxNameLength is the longest item name, in characters.
const MaxNameLength = 255

// Item is a thing a player can own. The JSON is the tutorial's:
// {"id":1,"name":"Guitar","weight":2.0}.
type Item struct {
	bun.BaseModel `bun:"table:gamekit_items,alias:item" json:"-"`

	ID     int64   `bun:",pk,autoincrement" json:"id"`
	Name   string  `json:"name"`
	Weight float64 `json:"weight"` // kilograms
}

// Validate trims the name and reports every problem with the item, field
// by field; stores call it, so the API and any other writer share the rules.
func (it *Item) Validate() error {
	bad := &gamekit.InvalidError{}
	it.Name = validName(bad, it.Name)
	validWeight(bad, it.Weight)
	return bad.Err()
}

// ItemChange is a partial update of an item: nil fields stay as they are.
type ItemChange struct {
	Name   *string  `json:"name"`
	Weight *float64 `json:"weight"`
}

// validate checks (and trims) the fields the change sets.
func (c *ItemChange) validate() error {
	bad := &gamekit.InvalidError{}
	if c.Name != nil {
		name := validName(bad, *c.Name)
		c.Name = &name
	}
	if c.Weight != nil {
		validWeight(bad, *c.Weight)
	}
	return bad.Err()
}

func validName(bad *gamekit.InvalidError, name string) string {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		bad.Add("name", "This field may not be blank.")
	case utf8.RuneCountInString(name) > MaxNameLength:
		bad.Add("name", "Ensure this field has no more than 255 characters.")
	case !utf8.ValidString(name):
		bad.Add("name", "Enter valid UTF-8 text.")
	case strings.ContainsRune(name, 0):
		// PostgreSQL cannot store NUL in text, and it ends a C string.
		bad.Add("name", "Null characters are not allowed.")
	}
	return name
}

func validWeight(bad *gamekit.InvalidError, weight float64) {
	switch {
	case math.IsNaN(weight) || math.IsInf(weight, 0):
		bad.Add("weight", "A valid number is required.")
	case weight < 0:
		bad.Add("weight", "Ensure this value is greater than or equal to 0.")
	}
}

// Inventory is the set of items one user owns; every user has at most one.
// UserID and Username are the host's: gamekit copies them, it does not own
// users. The JSON is the tutorial's: {"id":1,"user":1,"items":[1,2]}, with
// the ids of the items in increasing order.
type Inventory struct {
	ID       int64   `json:"id"`
	UserID   int64   `json:"user"`
	Username string  `json:"-"`
	Items    []int64 `json:"items"`
}

// InventoryHead is an inventory without its items: what a reader needs to
// decide whether a copy of the inventory it holds is current, read with one
// point query however many items the inventory holds.
type InventoryHead struct {
	ID       int64
	UserID   int64
	Username string
	// Version changes, in the same transaction, with every change to what
	// the inventory's JSON shows: items added or removed (by AddItems,
	// RemoveItems, UpdateInventory, a grant, or the deletion of an item it
	// held) and a move to another user. A copy of the inventory read after
	// its head is current while the head's Version stays the same.
	Version int64
}

// inventoryRow is an inventory as stored; its items live in
// gamekit_inventory_items.
type inventoryRow struct {
	bun.BaseModel `bun:"table:gamekit_inventories,alias:inv"`

	ID       int64 `bun:",pk,autoincrement"`
	UserID   int64
	Username string
	Version  int64 // see InventoryHead
}

// link is one item in one inventory.
type link struct {
	bun.BaseModel `bun:"table:gamekit_inventory_items,alias:link"`

	InventoryID int64 `bun:",pk"`
	ItemID      int64 `bun:",pk"`
}
