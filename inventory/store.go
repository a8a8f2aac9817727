package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/storage"
)

// Store is what the package's handlers need from storage. SQLStore is the
// implementation; a host may wrap it (caching, metrics) or bring its own.
type Store interface {
	CreateItem(ctx context.Context, item *Item) error
	Item(ctx context.Context, id int64) (Item, error)
	Items(ctx context.Context, opts ListOptions) ([]Item, error)
	CountItems(ctx context.Context, opts ListOptions) (int, error)
	UpdateItem(ctx context.Context, id int64, change ItemChange) (Item, error)
	DeleteItem(ctx context.Context, id int64) error
	// ItemsVersion changes whenever any item changes, so a list of items
	// cached with one version is current while the version is the same.
	ItemsVersion(ctx context.Context) (int64, error)

	CreateInventory(ctx context.Context, inv *Inventory) error
	Inventory(ctx context.Context, id int64) (Inventory, error)
	InventoryOfUser(ctx context.Context, userID int64) (Inventory, error)
	Inventories(ctx context.Context, opts ListOptions) ([]Inventory, error)
	CountInventories(ctx context.Context, opts ListOptions) (int, error)
	// InventoryHead and InventoryHeadOfUser read an inventory's head (its
	// version, not its items), so a reader can serve a copy it holds while
	// the version is the same.
	InventoryHead(ctx context.Context, id int64) (InventoryHead, error)
	InventoryHeadOfUser(ctx context.Context, userID int64) (InventoryHead, error)
	UpdateInventory(ctx context.Context, id int64, change InventoryChange) (Inventory, error)
	AddItems(ctx context.Context, inventoryID int64, itemIDs ...int64) error
	RemoveItems(ctx context.Context, inventoryID int64, itemIDs ...int64) error
	DeleteInventory(ctx context.Context, id int64) error
}

// ListOptions select, order and page a list of items or inventories.
type ListOptions struct {
	// Search keeps rows whose name (items) or username (inventories)
	// contains it, ignoring ASCII case.
	Search string
	// Username keeps only the inventories of exactly this username.
	Username string
	// UserID, when not 0, keeps only this user's inventory.
	UserID int64
	// InventoryID, when not 0, keeps only the items in this inventory
	// (items), so a page of a large inventory's items is read without its
	// every id.
	InventoryID int64
	// Sort is a column, "-" first for descending. Items: "weight" (the
	// default, then id, as the tutorial lists them), "name", "id".
	// Inventories: "id" (the default), "username".
	Sort string
	// Limit defaults to storage.DefaultLimit (1000); Offset skips rows.
	Limit, Offset int
}

// SQLStore is the Store on a bun database, SQLite or PostgreSQL.
type SQLStore struct {
	db bun.IDB

	// The hottest reads, prepared once (see storage.Statement): a
	// player's own inventory, the version every cached item list is
	// checked against, and the heads cached inventories are checked
	// against.
	ownInventory, itemsVersion, headByID, headByUser *storage.Statement

	// The version and the heads are read for nearly every request, and
	// kept while the database shows no commit since (see storage.Memo).
	versions *storage.Memo[struct{}, int64]
	heads    *storage.Memo[headKey, InventoryHead]
}

// headKey is what a head was read by: an inventory's id, or a user's.
type headKey struct {
	byUser bool
	id     int64
}

var _ Store = (*SQLStore)(nil)

// StoreOptions configure a SQLStore; nil means defaults. It has no fields
// yet: the parameter keeps every package's constructor of one shape, and
// room for options without breaking callers.
type StoreOptions struct{}

// NewSQLStore returns a store working on db, which may be a *bun.DB or a
// bun.Tx: a caller composes store methods into one transaction by building
// a store on its tx. A store is safe for concurrent use: make one per
// database and share it, since it prepares its hottest reads once.
func NewSQLStore(db bun.IDB, opts *StoreOptions) (*SQLStore, error) {
	s := &SQLStore{db: db,
		ownInventory: storage.NewStatement(ownInventoryQuery),
		itemsVersion: storage.NewPointRead(itemsVersionQuery),
		headByID:     storage.NewPointRead(headQuery + "inv.id = $1"),
		headByUser:   storage.NewPointRead(headQuery + "inv.user_id = $1")}
	s.versions = storage.NewMemo(db, s.readItemsVersion)
	s.heads = storage.NewMemo(db, s.readHead)
	return s, nil
}

// CreateItem validates item, stores it and sets its ID.
func (s *SQLStore) CreateItem(ctx context.Context, item *Item) error {
	if err := item.Validate(); err != nil {
		return err
	}
	item.ID = 0
	err := changeItems(ctx, s.db, func(tx bun.Tx) error {
		_, err := tx.NewInsert().Model(item).Returning("id").Exec(ctx)
		return err
	})
	return wrap(err, "create item")
}

// Item returns the item with the given id.
func (s *SQLStore) Item(ctx context.Context, id int64) (Item, error) {
	var item Item
	err := s.db.NewSelect().Model(&item).Where("item.id = ?", id).Scan(ctx)
	if err != nil {
		return Item{}, notFound(err, ErrItemNotFound, "item")
	}
	return item, nil
}

var itemSorts = storage.Sorts{
	"weight": "item.weight ASC, item.id ASC", "-weight": "item.weight DESC, item.id DESC",
	"name": "item.name ASC, item.id ASC", "-name": "item.name DESC, item.id DESC",
	"id": "item.id ASC", "-id": "item.id DESC",
}

// Items lists items, by weight then id unless opts say otherwise.
func (s *SQLStore) Items(ctx context.Context, opts ListOptions) ([]Item, error) {
	order, err := itemSorts.Order("sort", opts.Sort, "weight")
	if err != nil {
		return nil, err
	}
	var items []Item
	q, keys := s.db.NewSelect().Model(&items), s.db.NewSelect().Model((*Item)(nil))
	opts.itemFilter(keys)
	// Gifts make this the table that grows to millions of rows.
	if err := storage.PageByKey(q, keys, "item.id", order, opts.Limit, opts.Offset).Scan(ctx); err != nil {
		return nil, fmt.Errorf("inventory: list items: %w", err)
	}
	return items, nil
}

// CountItems counts the items opts.Search and opts.InventoryID select.
func (s *SQLStore) CountItems(ctx context.Context, opts ListOptions) (int, error) {
	n, err := storage.Count[Item](ctx, s.db, opts.itemFilter)
	if err != nil {
		return 0, fmt.Errorf("inventory: count items: %w", err)
	}
	return n, nil
}

// UpdateItem changes the fields change sets, in one statement, so two
// concurrent partial updates of different fields both take effect, and
// returns the item as stored.
func (s *SQLStore) UpdateItem(ctx context.Context, id int64, change ItemChange) (Item, error) {
	if err := change.validate(); err != nil {
		return Item{}, err
	}
	if change.Name == nil && change.Weight == nil {
		return s.Item(ctx, id)
	}
	item := Item{ID: id}
	err := changeItems(ctx, s.db, func(tx bun.Tx) error {
		q := tx.NewUpdate().Model(&item).WherePK().Returning("id, name, weight")
		if change.Name != nil {
			q.Set("name = ?", *change.Name)
		}
		if change.Weight != nil {
			q.Set("weight = ?", *change.Weight)
		}
		return q.Scan(ctx)
	})
	if err != nil {
		return Item{}, notFound(err, ErrItemNotFound, "update item")
	}
	return item, nil
}

// DeleteItem deletes an item; it leaves every inventory that held it.
func (s *SQLStore) DeleteItem(ctx context.Context, id int64) error {
	return changeItems(ctx, s.db, func(tx bun.Tx) error {
		// The foreign key's cascade takes the item out of the inventories
		// that held it, unseen by any statement here (and, on PostgreSQL,
		// after links added concurrently committed): the version of every
		// inventory moves on instead. Deleting an item is rare; every
		// cached inventory is read again after one.
		if err := changeAllInventories(ctx, tx); err != nil {
			return err
		}
		res, err := tx.NewDelete().Model((*Item)(nil)).Where("id = ?", id).Exec(ctx)
		return deleted(res, err, ErrItemNotFound, "delete item")
	})
}

const itemsVersionQuery = `SELECT version FROM gamekit_items_version WHERE id = 1`

// ItemsVersion returns the number that changes with every change of items.
func (s *SQLStore) ItemsVersion(ctx context.Context) (int64, error) {
	return s.versions.Read(ctx, struct{}{})
}

func (s *SQLStore) readItemsVersion(ctx context.Context, _ struct{}) (int64, error) {
	row, err := s.itemsVersion.QueryRow(ctx, s.db)
	if err != nil {
		return 0, fmt.Errorf("inventory: items version: %w", err)
	}
	var version int64
	if err := row.Scan(&version); err != nil {
		return 0, fmt.Errorf("inventory: items version: %w", err)
	}
	return version, nil
}

// changeItems runs fn in a transaction that also moves the items version
// on. The version row is locked first, so every transaction that changes
// items takes its locks in the same order and none deadlocks another.
func changeItems(ctx context.Context, db bun.IDB, fn func(tx bun.Tx) error) error {
	return storage.RunInTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Table("gamekit_items_version").Set("version = version + 1").Where("id = 1").Exec(ctx); err != nil {
			return err
		}
		return fn(tx)
	})
}

// CreateInventory stores a user's inventory with its items and sets its
// ID. A user has one inventory; a second is refused as invalid input.
func (s *SQLStore) CreateInventory(ctx context.Context, inv *Inventory) error {
	row := inventoryRow{UserID: inv.UserID, Username: inv.Username, Version: 1}
	err := storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := checkItems(ctx, tx, inv.Items); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
			if storage.IsUniqueViolation(err) {
				return gamekit.Invalid("user", "inventory with this user already exists.")
			}
			return err
		}
		return insertLinks(ctx, tx, row.ID, inv.Items)
	})
	if err != nil {
		return wrap(err, "create inventory")
	}
	inv.ID = row.ID
	inv.Items = sortedUnique(inv.Items)
	return nil
}

// Inventory returns the inventory with the given id.
func (s *SQLStore) Inventory(ctx context.Context, id int64) (Inventory, error) {
	var row inventoryRow
	if err := s.db.NewSelect().Model(&row).Where("inv.id = ?", id).Scan(ctx); err != nil {
		return Inventory{}, notFound(err, ErrInventoryNotFound, "inventory")
	}
	invs, err := s.withItems(ctx, []inventoryRow{row})
	if err != nil {
		return Inventory{}, err
	}
	return invs[0], nil
}

// ownInventoryQuery reads a user's inventory with its items in one
// statement. $1 binds by position in SQLite and PostgreSQL alike.
const ownInventoryQuery = `SELECT inv.id, inv.username, link.item_id
	FROM gamekit_inventories AS inv
	LEFT JOIN gamekit_inventory_items AS link ON link.inventory_id = inv.id
	WHERE inv.user_id = $1
	ORDER BY link.item_id`

// InventoryOfUser returns the inventory of the user with the given id.
func (s *SQLStore) InventoryOfUser(ctx context.Context, userID int64) (Inventory, error) {
	rows, err := s.ownInventory.Query(ctx, s.db, userID)
	if err != nil {
		return Inventory{}, fmt.Errorf("inventory: inventory of user: %w", err)
	}
	defer rows.Close()
	inv := Inventory{UserID: userID, Items: []int64{}}
	for rows.Next() {
		var item sql.NullInt64
		if err := rows.Scan(&inv.ID, &inv.Username, &item); err != nil {
			return Inventory{}, fmt.Errorf("inventory: inventory of user: %w", err)
		}
		if item.Valid {
			inv.Items = append(inv.Items, item.Int64)
		}
	}
	if err := rows.Err(); err != nil {
		return Inventory{}, fmt.Errorf("inventory: inventory of user: %w", err)
	}
	if inv.ID == 0 {
		return Inventory{}, ErrInventoryNotFound
	}
	return inv, nil
}

// headQuery reads an inventory's head; its version is the inventory's own
// plus that of every inventory (see changeAllInventories): both only grow,
// so the sum changes when either does.
const headQuery = `SELECT inv.id, inv.user_id, inv.username, inv.version + v.inventories_version
	FROM gamekit_inventories AS inv, gamekit_items_version AS v
	WHERE v.id = 1 AND `

// InventoryHead returns the head of the inventory with the given id.
func (s *SQLStore) InventoryHead(ctx context.Context, id int64) (InventoryHead, error) {
	return s.heads.Read(ctx, headKey{id: id})
}

// InventoryHeadOfUser returns the head of the user's inventory.
func (s *SQLStore) InventoryHeadOfUser(ctx context.Context, userID int64) (InventoryHead, error) {
	return s.heads.Read(ctx, headKey{byUser: true, id: userID})
}

func (s *SQLStore) readHead(ctx context.Context, key headKey) (InventoryHead, error) {
	stmt := s.headByID
	if key.byUser {
		stmt = s.headByUser
	}
	row, err := stmt.QueryRow(ctx, s.db, key.id)
	if err != nil {
		return InventoryHead{}, fmt.Errorf("inventory: inventory head: %w", err)
	}
	var h InventoryHead
	if err := row.Scan(&h.ID, &h.UserID, &h.Username, &h.Version); err != nil {
		return InventoryHead{}, notFound(err, ErrInventoryNotFound, "inventory head")
	}
	return h, nil
}

var inventorySorts = storage.Sorts{
	"id": "inv.id ASC", "-id": "inv.id DESC",
	"username": "inv.username ASC, inv.id ASC", "-username": "inv.username DESC, inv.id DESC",
}

// Inventories lists inventories with their items, by id unless opts say
// otherwise.
func (s *SQLStore) Inventories(ctx context.Context, opts ListOptions) ([]Inventory, error) {
	order, err := inventorySorts.Order("sort", opts.Sort, "id")
	if err != nil {
		return nil, err
	}
	rows, err := storage.List[inventoryRow](ctx, s.db, opts.inventoryFilter, order, opts.Limit, opts.Offset)
	if err != nil {
		return nil, fmt.Errorf("inventory: list inventories: %w", err)
	}
	return s.withItems(ctx, rows)
}

// CountInventories counts the inventories opts select.
func (s *SQLStore) CountInventories(ctx context.Context, opts ListOptions) (int, error) {
	n, err := storage.Count[inventoryRow](ctx, s.db, opts.inventoryFilter)
	if err != nil {
		return 0, fmt.Errorf("inventory: count inventories: %w", err)
	}
	return n, nil
}

func (opts ListOptions) itemFilter(q *bun.SelectQuery) {
	storage.Search(q, "item.name", opts.Search)
	if opts.InventoryID != 0 {
		q.Where("item.id IN (SELECT item_id FROM gamekit_inventory_items WHERE inventory_id = ?)", opts.InventoryID)
	}
}

func (opts ListOptions) inventoryFilter(q *bun.SelectQuery) {
	storage.Search(q, "inv.username", opts.Search)
	if opts.Username != "" {
		q.Where("inv.username = ?", opts.Username)
	}
	if opts.UserID != 0 {
		q.Where("inv.user_id = ?", opts.UserID)
	}
}

// withItems loads the items of every inventory in rows with one query.
func (s *SQLStore) withItems(ctx context.Context, rows []inventoryRow) ([]Inventory, error) {
	invs := make([]Inventory, len(rows))
	if len(rows) == 0 {
		return invs, nil
	}
	index := make(map[int64]*Inventory, len(rows))
	ids := make([]int64, len(rows))
	for i, row := range rows {
		invs[i] = Inventory{ID: row.ID, UserID: row.UserID, Username: row.Username, Items: []int64{}}
		index[row.ID] = &invs[i]
		ids[i] = row.ID
	}
	var links []link
	err := s.db.NewSelect().Model(&links).
		Where("link.inventory_id IN (?)", bun.In(ids)).
		OrderExpr("link.inventory_id, link.item_id").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("inventory: load items: %w", err)
	}
	for _, l := range links {
		inv := index[l.InventoryID]
		inv.Items = append(inv.Items, l.ItemID)
	}
	return invs, nil
}

// InventoryChange is a partial update of an inventory: nil fields stay as
// they are.
type InventoryChange struct {
	// UserID and Username move the inventory to another user (both are
	// set together).
	UserID   *int64
	Username string
	// Items replaces the inventory's items.
	Items *[]int64
}

// UpdateInventory applies change in one transaction, touching only what it
// sets, so concurrent changes of different parts all take effect, and
// returns the inventory as stored.
func (s *SQLStore) UpdateInventory(ctx context.Context, id int64, change InventoryChange) (Inventory, error) {
	err := storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := changeInventory(ctx, tx, id); err != nil {
			return err
		}
		if change.UserID != nil {
			_, err := tx.NewUpdate().Model((*inventoryRow)(nil)).
				Set("user_id = ?, username = ?", *change.UserID, change.Username).
				Where("id = ?", id).Exec(ctx)
			if storage.IsUniqueViolation(err) {
				return gamekit.Invalid("user", "inventory with this user already exists.")
			}
			if err != nil {
				return err
			}
		}
		if change.Items == nil {
			return nil
		}
		items := *change.Items
		if err := checkItems(ctx, tx, items); err != nil {
			return err
		}
		q := tx.NewDelete().Model((*link)(nil)).Where("inventory_id = ?", id)
		if len(items) > 0 {
			q.Where("item_id NOT IN (?)", bun.In(items))
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		return insertLinks(ctx, tx, id, items)
	})
	if err != nil {
		return Inventory{}, wrap(err, "update inventory")
	}
	return s.Inventory(ctx, id)
}

// AddItems puts items into an inventory; items already there stay once.
func (s *SQLStore) AddItems(ctx context.Context, inventoryID int64, itemIDs ...int64) error {
	err := storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := changeInventory(ctx, tx, inventoryID); err != nil {
			return err
		}
		if err := checkItems(ctx, tx, itemIDs); err != nil {
			return err
		}
		return insertLinks(ctx, tx, inventoryID, itemIDs)
	})
	return wrap(err, "add items")
}

// RemoveItems takes items out of an inventory; the items themselves stay.
func (s *SQLStore) RemoveItems(ctx context.Context, inventoryID int64, itemIDs ...int64) error {
	err := storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if len(itemIDs) == 0 {
			return checkInventory(ctx, tx, inventoryID)
		}
		if err := changeInventory(ctx, tx, inventoryID); err != nil {
			return err
		}
		_, err := tx.NewDelete().Model((*link)(nil)).
			Where("inventory_id = ?", inventoryID).
			Where("item_id IN (?)", bun.In(itemIDs)).
			Exec(ctx)
		return err
	})
	return wrap(err, "remove items")
}

// DeleteInventory deletes an inventory; its items stay.
func (s *SQLStore) DeleteInventory(ctx context.Context, id int64) error {
	res, err := s.db.NewDelete().Model((*inventoryRow)(nil)).Where("id = ?", id).Exec(ctx)
	return deleted(res, err, ErrInventoryNotFound, "delete inventory")
}

// changeInventory moves an inventory's version on, first in a transaction
// that changes it: on PostgreSQL this locks the row, so concurrent changes
// of one inventory queue, and a version never goes back. It reports
// ErrInventoryNotFound for an inventory that does not exist.
func changeInventory(ctx context.Context, tx bun.Tx, id int64) error {
	res, err := tx.NewUpdate().Model((*inventoryRow)(nil)).Set("version = version + 1").Where("id = ?", id).Exec(ctx)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = ErrInventoryNotFound
		}
		return err
	}
	return nil
}

// changeAllInventories moves the version of every inventory on, in a
// transaction of changeItems (which holds the row) that changes many
// inventories at once: a grant, or an item's deletion.
func changeAllInventories(ctx context.Context, tx bun.Tx) error {
	_, err := tx.NewUpdate().Table("gamekit_items_version").
		Set("inventories_version = inventories_version + 1").Where("id = 1").Exec(ctx)
	return err
}

func checkInventory(ctx context.Context, db bun.IDB, id int64) error {
	exists, err := db.NewSelect().Model((*inventoryRow)(nil)).Where("id = ?", id).Exists(ctx)
	if err != nil {
		return err
	}
	if !exists {
		return ErrInventoryNotFound
	}
	return nil
}

// checkItems reports, as invalid input in DRF's words, the ids among ids
// that name no item.
func checkItems(ctx context.Context, db bun.IDB, ids []int64) error {
	ids = sortedUnique(ids)
	if len(ids) == 0 {
		return nil
	}
	var found []int64
	err := db.NewSelect().Model((*Item)(nil)).Column("id").
		Where("id IN (?)", bun.In(ids)).Scan(ctx, &found)
	if err != nil {
		return err
	}
	if len(found) == len(ids) {
		return nil
	}
	bad := &gamekit.InvalidError{}
	for _, id := range ids {
		if !slices.Contains(found, id) {
			bad.Add("items", fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", id))
		}
	}
	return bad
}

func insertLinks(ctx context.Context, db bun.IDB, inventoryID int64, itemIDs []int64) error {
	itemIDs = sortedUnique(itemIDs)
	if len(itemIDs) == 0 {
		return nil
	}
	links := make([]link, len(itemIDs))
	for i, id := range itemIDs {
		links[i] = link{InventoryID: inventoryID, ItemID: id}
	}
	_, err := db.NewInsert().Model(&links).On("CONFLICT DO NOTHING").Exec(ctx)
	return err
}

func sortedUnique(ids []int64) []int64 {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return slices.Compact(ids)
}

// wrap names the operation on an unexpected error; errors of gamekit's
// kinds already say what happened and pass unchanged.
func wrap(err error, op string) error {
	if err == nil || errors.Is(err, gamekit.ErrNotFound) || errors.Is(err, gamekit.ErrInvalid) ||
		errors.Is(err, gamekit.ErrConflict) {
		return err
	}
	return fmt.Errorf("inventory: %s: %w", op, err)
}

// notFound maps sql.ErrNoRows to the package's not-found error.
func notFound(err, notFoundErr error, op string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFoundErr
	}
	return fmt.Errorf("inventory: %s: %w", op, err)
}

// deleted turns a statement that touched no row into notFoundErr.
func deleted(res sql.Result, err, notFoundErr error, op string) error {
	if err != nil {
		return fmt.Errorf("inventory: %s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("inventory: %s: %w", op, err)
	}
	if n == 0 {
		return notFoundErr
	}
	return nil
}
