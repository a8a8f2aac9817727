package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/gamekit/gamekit"
)

// DefaultLimit is how many rows a list returns when its caller asks for
// no limit: lists are never unbounded.
const DefaultLimit = 1000

// Sorts maps the sorts a list offers ("weight", "-weight") to their
// ORDER BY clauses, each ending with a unique column so pages are stable.
type Sorts map[string]string

// Order returns the clause of sort, or of fallback when sort is empty. An
// unknown sort is invalid input on field (the name the caller used, such
// as "ordering").
func (s Sorts) Order(field, sort, fallback string) (string, error) {
	if sort == "" {
		sort = fallback
	}
	order, ok := s[sort]
	if !ok {
		return "", gamekit.Invalid(field, fmt.Sprintf("Unknown sort %q.", sort))
	}
	return order, nil
}

// Page orders q and selects one page of it: limit rows (DefaultLimit when
// limit is 0 or less) after skipping offset.
func Page(q *bun.SelectQuery, order string, limit, offset int) *bun.SelectQuery {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return q.OrderExpr(order).Limit(int64(limit)).Offset(int64(max(offset, 0)))
}

// PageByKey is Page for tables that grow large: keys, a query with q's
// filters that selects only the key column, is paged, and q reads just the
// rows of that page. The keys of a page come from an index on the sort
// columns without reading the table, so a deep page costs a walk over the
// index rather than over every row it skips (on PostgreSQL, where rows out
// of storage order cost a random read each, 150–330 ms against 30 ms for
// page 10,000 of a million items).
func PageByKey(q, keys *bun.SelectQuery, key, order string, limit, offset int) *bun.SelectQuery {
	return q.Where(key+" IN (?)", Page(keys.Column(key), order, limit, offset)).OrderExpr(order)
}

// Search keeps the rows whose column contains text, ignoring case (ASCII
// case on SQLite); the wildcards a user types match themselves. An empty
// text keeps every row.
//
// It is SQLite's LIKE, which ignores ASCII case, and PostgreSQL's ILIKE,
// which a trigram index can serve (see the inventory's items), rather than
// lower(column) LIKE on both: lower() on every row made a scan of a
// million names half as fast again on SQLite, and no index serves it.
func Search(q *bun.SelectQuery, column, text string) *bun.SelectQuery {
	if text == "" {
		return q
	}
	pattern := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(text) + "%"
	if q.Dialect().Name() == dialect.PG {
		return q.Where(column+" ILIKE ?", pattern) // backslash is ILIKE's escape
	}
	return q.Where(column+` LIKE ? ESCAPE '\'`, pattern)
}

// List reads one page of the rows of T that filter keeps (nil keeps all),
// in order (see Page).
func List[T any](ctx context.Context, db bun.IDB, filter func(*bun.SelectQuery), order string, limit, offset int) ([]T, error) {
	var rows []T
	q := db.NewSelect().Model(&rows)
	if filter != nil {
		filter(q)
	}
	if err := Page(q, order, limit, offset).Scan(ctx); err != nil {
		return nil, err
	}
	return rows, nil
}

// Count counts the rows of T that filter keeps (nil keeps all).
func Count[T any](ctx context.Context, db bun.IDB, filter func(*bun.SelectQuery)) (int, error) {
	q := db.NewSelect().Model((*T)(nil))
	if filter != nil {
		filter(q)
	}
	n, err := q.Count(ctx)
	return int(n), err
}
