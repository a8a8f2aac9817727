// Package rawgrant is the limit gamekit's grants are measured against in
// benchmarks: the fastest straightforward way to write a grant's rows from
// Go, with none of gamekit's machinery.
package rawgrant

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// rowsPerInsert is how many rows one INSERT ... VALUES writes: 4,000 variables for items, well under SQLite's 32,766.
const rowsPerInsert = 1000

// Grant writes, with plain database/sql, the rows a grant of key to every
// inventory writes: an item named namePrefix + username of weight 0
// carrying (key, user), and its link, in transactions of batchSize users,
// with multi-row INSERT ... VALUES statements prepared once per call. It
// returns how many users it served.
func Grant(ctx context.Context, db *sql.DB, key, namePrefix string, batchSize int) (int, error) {
	items, err := db.PrepareContext(ctx, itemsInsert(rowsPerInsert))
	if err != nil {
		return 0, err
	}
	defer items.Close()
	links, err := db.PrepareContext(ctx, linksInsert(rowsPerInsert))
	if err != nil {
		return 0, err
	}
	defer links.Close()
	total := 0
	var after int64
	for {
		n, last, err := batch(ctx, db, items, links, key, namePrefix, batchSize, after)
		if err != nil {
			return total, err
		}
		total += n
		if n < batchSize {
			return total, nil
		}
		after = last
	}
}

func itemsInsert(rows int) string {
	return "INSERT INTO gamekit_items (name, weight, grant_key, grant_user) VALUES " +
		strings.Repeat("(?, ?, ?, ?), ", rows-1) + "(?, ?, ?, ?) RETURNING id, grant_user"
}

func linksInsert(rows int) string {
	return "INSERT INTO gamekit_inventory_items (inventory_id, item_id) VALUES " +
		strings.Repeat("(?, ?), ", rows-1) + "(?, ?)"
}

// batch grants to the next batchSize inventories after the id after, in
// one transaction, and returns how many it served and the last id.
func batch(ctx context.Context, db *sql.DB, items, links *sql.Stmt, key, namePrefix string, batchSize int, after int64) (int, int64, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id, user_id, username FROM gamekit_inventories
		WHERE id > ? ORDER BY id LIMIT ?`, after, batchSize)
	if err != nil {
		return 0, 0, err
	}
	type inv struct {
		id, user int64
		name     string
	}
	invs := make([]inv, 0, batchSize)
	for rows.Next() {
		var v inv
		if err := rows.Scan(&v.id, &v.user, &v.name); err != nil {
			rows.Close()
			return 0, 0, err
		}
		invs = append(invs, v)
	}
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	rows.Close()
	if len(invs) == 0 {
		return 0, after, nil
	}
	args := make([]any, 0, 4*rowsPerInsert)
	itemIDs := make([]int64, rowsPerInsert)
	for start := 0; start < len(invs); start += rowsPerInsert {
		chunk := invs[start:min(start+rowsPerInsert, len(invs))]
		itemStmt, linkStmt := tx.StmtContext(ctx, items), tx.StmtContext(ctx, links)
		if len(chunk) < rowsPerInsert {
			if itemStmt, err = tx.PrepareContext(ctx, itemsInsert(len(chunk))); err != nil {
				return 0, 0, err
			}
			if linkStmt, err = tx.PrepareContext(ctx, linksInsert(len(chunk))); err != nil {
				return 0, 0, err
			}
		}
		args = args[:0]
		for _, v := range chunk {
			args = append(args, namePrefix+v.name, 0.0, key, v.user)
		}
		rows, err := itemStmt.QueryContext(ctx, args...)
		if err != nil {
			return 0, 0, err
		}
		i := 0
		for rows.Next() {
			var id, user int64
			if err := rows.Scan(&id, &user); err != nil {
				rows.Close()
				return 0, 0, err
			}
			// RETURNING gives rows in insertion order in SQLite; this
			// check fails loudly if that ever changes.
			if i >= len(chunk) || chunk[i].user != user {
				rows.Close()
				return 0, 0, fmt.Errorf("RETURNING row %d is for user %d, not in insertion order", i, user)
			}
			itemIDs[i] = id
			i++
		}
		if err := rows.Err(); err != nil {
			return 0, 0, err
		}
		rows.Close()
		if i != len(chunk) {
			return 0, 0, fmt.Errorf("inserted %d items, want %d", i, len(chunk))
		}
		args = args[:0]
		for k, v := range chunk {
			args = append(args, v.id, itemIDs[k])
		}
		if _, err := linkStmt.ExecContext(ctx, args...); err != nil {
			return 0, 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, err
	}
	return len(invs), invs[len(invs)-1].id, nil
}
