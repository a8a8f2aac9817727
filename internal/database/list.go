package database

import (
	"fmt"
	"strings"

	"github.com/uptrace/bun"

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

// Search keeps the rows whose column contains text, ignoring ASCII case on
// both databases (PostgreSQL's LIKE is case-sensitive, SQLite's is not);
// the wildcards a user types match themselves. An empty text keeps every
// row.
func Search(q *bun.SelectQuery, column, text string) *bun.SelectQuery {
	if text == "" {
		return q
	}
	escaped := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(text))
	return q.Where("lower("+column+`) LIKE ? ESCAPE '\'`, "%"+escaped+"%")
}
