package inventory

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
)

// DefaultGrantBatch is how many inventories one grant transaction serves:
// large enough that a batch is a handful of statements for thousands of
// users, small enough that a transaction holds SQLite's write lock only
// for tens of milliseconds, so requests interleave with a large grant.
const DefaultGrantBatch = 5000

// UsernamePlaceholder in a grant's item name stands for each recipient's
// username: "Gift for {username}".
const UsernamePlaceholder = "{username}"

// Grant is one round of items given to every inventory in a range: each
// recipient gets a new item of its own. A grant is identified by its Key,
// and each granted item carries (Key, user): granting the same key again
// gives nothing twice, and a grant interrupted half way is completed by
// running it again.
type Grant struct {
	// Key identifies the round, e.g. "gifts:123456"; at most 255 bytes.
	Key string
	// Name of each new item; UsernamePlaceholder is replaced by the
	// recipient's username. Weight of each new item, in kg.
	Name   string
	Weight float64
	// FirstInventoryID and LastInventoryID bound the inventories served,
	// inclusive. LastInventoryID 0 means the highest id when the grant
	// starts, so inventories created during a grant are not served by it.
	FirstInventoryID, LastInventoryID int64
	// BatchSize is inventories per transaction. Defaults to DefaultGrantBatch.
	BatchSize int
	// Granted, when set, is called after each batch commits with the user
	// ids served by that batch (not those served by an earlier run of the
	// same key), for example to tell them. An error stops the grant; the
	// batch stays committed.
	Granted func(ctx context.Context, userIDs []int64) error
}

// GrantItems gives every inventory in g's range a new item, in batched
// transactions of a few set-based statements each (INSERT ... SELECT over
// the inventories), never one query per user. It returns how many users it
// served in this call.
func (s *SQLStore) GrantItems(ctx context.Context, g Grant) (int, error) {
	if err := g.validate(); err != nil {
		return 0, err
	}
	last := g.LastInventoryID
	if last == 0 {
		err := s.db.NewSelect().Model((*inventoryRow)(nil)).ColumnExpr("COALESCE(MAX(id), 0)").Scan(ctx, &last)
		if err != nil {
			return 0, fmt.Errorf("inventory: grant %s: %w", g.Key, err)
		}
	}
	batch := g.BatchSize
	if batch <= 0 {
		batch = DefaultGrantBatch
	}
	prefix, suffix, _ := strings.Cut(g.Name, UsernamePlaceholder)
	total := 0
	for after := g.FirstInventoryID - 1; after < last; {
		upTo, err := s.batchEnd(ctx, after, last, batch)
		if err != nil {
			return total, fmt.Errorf("inventory: grant %s: %w", g.Key, err)
		}
		var users []int64
		err = changeItems(ctx, s.db, func(tx bun.Tx) error {
			users = users[:0]
			return grantBatch(ctx, tx, g, prefix, suffix, after, upTo, &users)
		})
		if err != nil {
			return total, fmt.Errorf("inventory: grant %s: %w", g.Key, err)
		}
		total += len(users)
		if g.Granted != nil && len(users) > 0 {
			if err := g.Granted(ctx, users); err != nil {
				return total, fmt.Errorf("inventory: grant %s: %w", g.Key, err)
			}
		}
		after = upTo
	}
	return total, nil
}

// Grant gives every inventory existing when it starts a new item named
// name (UsernamePlaceholder becomes the username) of the given weight,
// once per key; see GrantItems. It exists, beside GrantItems, for
// consumers such as a gift scheduler that cannot import this package: its
// signature uses only built-in types, so such a package can declare the one
// method it needs as an interface of its own.
func (s *SQLStore) Grant(ctx context.Context, key, name string, weight float64, granted func(ctx context.Context, userIDs []int64) error) (int, error) {
	return s.GrantItems(ctx, Grant{Key: key, Name: name, Weight: weight, Granted: granted})
}

func (g Grant) validate() error {
	bad := &gamekit.InvalidError{}
	if g.Key == "" || len(g.Key) > 255 {
		bad.Add("key", "A grant key of 1 to 255 bytes is required.")
	}
	// The longest username a host may use is 150 characters.
	validName(bad, strings.ReplaceAll(g.Name, UsernamePlaceholder, strings.Repeat("u", 150)))
	validWeight(bad, g.Weight)
	return bad.Err()
}

// batchEnd returns the id of the batch-th inventory after after, or last
// when fewer remain: the batch is the id range (after, end].
func (s *SQLStore) batchEnd(ctx context.Context, after, last int64, batch int) (int64, error) {
	var ids []int64
	err := s.db.NewSelect().Model((*inventoryRow)(nil)).Column("id").
		Where("id > ? AND id <= ?", after, last).
		Order("id").Offset(int64(batch-1)).Limit(1).
		Scan(ctx, &ids)
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return last, nil
	}
	return ids[0], nil
}

// grantBatch serves the inventories with ids in (after, upTo] in three
// statements: one inserts the items that are not there yet (the unique
// (grant_key, grant_user) index makes a repeat a no-op) and reports whom
// they are for; one links every item of the grant in the range to its
// inventory; one moves the versions of inventories on.
func grantBatch(ctx context.Context, tx bun.Tx, g Grant, prefix, suffix string, after, upTo int64, users *[]int64) error {
	err := tx.NewRaw(`INSERT INTO gamekit_items (name, weight, grant_key, grant_user)
		SELECT ? || inv.username || ?, ?, ?, inv.user_id
		FROM gamekit_inventories AS inv
		WHERE inv.id > ? AND inv.id <= ?
		ORDER BY inv.id
		ON CONFLICT DO NOTHING
		RETURNING grant_user`,
		prefix, suffix, g.Weight, g.Key, after, upTo).Scan(ctx, users)
	if err != nil {
		return err
	}
	if len(*users) == 0 {
		return nil
	}
	// CROSS JOIN makes SQLite walk the batch's inventories and look each
	// one's item up by (grant_key, grant_user); left to choose, it walks
	// every item of the grant so far for each batch, which is quadratic.
	// PostgreSQL plans the same text freely.
	_, err = tx.NewRaw(`INSERT INTO gamekit_inventory_items (inventory_id, item_id)
		SELECT inv.id, item.id
		FROM gamekit_inventories AS inv
		CROSS JOIN gamekit_items AS item
		WHERE item.grant_key = ? AND item.grant_user = inv.user_id
			AND inv.id > ? AND inv.id <= ?
		ON CONFLICT DO NOTHING`,
		g.Key, after, upTo).Exec(ctx)
	if err != nil {
		return err
	}
	// Every inventory in the range changed: one row moves all their
	// versions on (and those of inventories outside the range, read again
	// for nothing), where moving each one's would write the batch's
	// thousands of rows once more.
	return changeAllInventories(ctx, tx)
}
