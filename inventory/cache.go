package inventory

import (
	"encoding/json"
	"sync"
)

// DefaultCacheBytes bounds the JSON of inventories a Handler keeps in
// memory: 32 MiB, some 650 inventories of 10,000 items or 300,000 of 20.
const DefaultCacheBytes = 32 << 20

// inventoryCache keeps inventories' JSON, each with the version of the
// head it was read after (see InventoryHead). A copy is served only while
// the head read for a request has that same version: the store moves it on
// in the same transaction as every change, so a copy is never older than
// the database, whichever process wrote.
type inventoryCache struct {
	max int // bytes; 0 turns the cache off

	mu      sync.Mutex
	bytes   int
	entries map[int64]*cachedInventory // by inventory id
}

// cachedInventory is one inventory's JSON as the list of one the API
// answers a player with: `[{"id":1,"user":1,"items":[1,2]}]` and a new
// line, as rest.WriteJSON ends a body; detail drops the brackets.
type cachedInventory struct {
	version int64
	userID  int64
	list    []byte
}

func (c *cachedInventory) detail() []byte { return c.list[1 : len(c.list)-2] }

func newInventoryCache(maxBytes int) *inventoryCache {
	return &inventoryCache{max: maxBytes, entries: make(map[int64]*cachedInventory)}
}

// get returns the copy of the inventory head names if it has head's
// version.
func (c *inventoryCache) get(head InventoryHead) *cachedInventory {
	c.mu.Lock()
	e := c.entries[head.ID]
	c.mu.Unlock()
	if e == nil || e.version != head.Version {
		return nil
	}
	return e
}

// put encodes inv, read after head, and keeps it under head's version:
// if a change committed in between, the copy is newer than its version
// says, and the next request, seeing a newer version, reads it again.
func (c *inventoryCache) put(head InventoryHead, inv Inventory) (*cachedInventory, error) {
	body, err := json.Marshal(inv)
	if err != nil {
		return nil, err
	}
	list := make([]byte, 0, len(body)+3)
	list = append(append(append(list, '['), body...), ']', '\n')
	e := &cachedInventory{version: head.Version, userID: inv.UserID, list: list}
	if len(list) > c.max/8 {
		return e, nil // one inventory does not push most others out
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[head.ID]; old != nil {
		c.bytes -= len(old.list)
		delete(c.entries, head.ID)
	}
	// Map iteration starts at random: what goes is a random sample.
	for id, old := range c.entries {
		if c.bytes+len(list) <= c.max {
			break
		}
		c.bytes -= len(old.list)
		delete(c.entries, id)
	}
	c.entries[head.ID] = e
	c.bytes += len(list)
	return e, nil
}
