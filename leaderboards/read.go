package leaderboards

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
)

// resolve reads a board and picks the period a read is about: the
// current one for nil, else the one numbered *period.
func (s *SQLStore) resolve(ctx context.Context, id string, period *int64) (Board, Period, error) {
	b, err := s.Board(ctx, id)
	if err != nil {
		return Board{}, Period{}, err
	}
	if period == nil {
		p, err := b.period(s.now())
		if err != nil {
			return Board{}, Period{}, fmt.Errorf("leaderboards: board %s: %w", id, err)
		}
		return b, p, nil
	}
	return b, b.periodNumbered(*period), nil
}

// periodNumbered describes the period numbered id: it began at second id
// and ends at the schedule's next reset after that.
func (b *Board) periodNumbered(id int64) Period {
	p := Period{ID: id, Start: time.Unix(id, 0).UTC()}
	if sched, err := parseSchedule(b.Reset); err == nil {
		if next := sched.next(p.Start); !next.IsZero() {
			p.End = &next
		}
	}
	return p
}

// read reads user's record in period of b, without its rank.
func (s *SQLStore) read(ctx context.Context, b Board, period, user int64) (Record, error) {
	row, err := s.record.QueryRow(ctx, s.db, b.ID, period, user)
	if err != nil {
		return Record{}, fmt.Errorf("leaderboards: record: %w", err)
	}
	r, err := scanRecord(row, b.sign())
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, recordNotFound(b.ID, user)
	}
	if err != nil {
		return Record{}, fmt.Errorf("leaderboards: record: %w", err)
	}
	return r, nil
}

// ranks returns the exact ranks of keys in period of b: from the rank
// cache, caught up with the database first, or else by counting in SQL
// the records before each, an index walk in proportion to the rank.
func (s *SQLStore) ranks(ctx context.Context, b Board, period int64, keys []key) ([]int64, error) {
	if ranks, ok, err := s.cachedRanks(ctx, b, period, keys); ok || err != nil {
		return ranks, err
	}
	ranks := make([]int64, len(keys))
	for i, k := range keys {
		row, err := s.rank.QueryRow(ctx, s.db, b.ID, period, k.score, k.subscore, k.at, k.user)
		if err != nil {
			return nil, fmt.Errorf("leaderboards: rank: %w", err)
		}
		if err := row.Scan(&ranks[i]); err != nil {
			return nil, fmt.Errorf("leaderboards: rank: %w", err)
		}
		ranks[i]++
	}
	return ranks, nil
}

// rankOf is ranks of one key.
func (s *SQLStore) rankOf(ctx context.Context, b Board, period int64, k key) (int64, error) {
	ranks, err := s.ranks(ctx, b, period, []key{k})
	if err != nil {
		return 0, err
	}
	return ranks[0], nil
}

// Record reads a user's record with its exact rank, from the rank cache
// (see the package's Ranks), or, for a period too big for it or on a
// transaction, from a count of the records before it.
func (s *SQLStore) Record(ctx context.Context, board string, userID int64, period *int64) (Record, error) {
	b, p, err := s.resolve(ctx, board, period)
	if err != nil {
		return Record{}, err
	}
	r, err := s.read(ctx, b, p.ID, userID)
	if err != nil {
		return Record{}, err
	}
	if r.Rank, err = s.rankOf(ctx, b, p.ID, r.key(b.sign())); err != nil {
		return Record{}, err
	}
	return r, nil
}

// Records reads the records of up to MaxUsers users with their exact
// ranks, best first; users without a record in the period are left out.
func (s *SQLStore) Records(ctx context.Context, board string, userIDs []int64, period *int64) ([]Record, error) {
	if len(userIDs) > MaxUsers {
		return nil, gamekit.Invalid("users", fmt.Sprintf("Ensure this list has no more than %d users.", MaxUsers))
	}
	b, p, err := s.resolve(ctx, board, period)
	if err != nil {
		return nil, err
	}
	records := []Record{}
	if len(userIDs) == 0 {
		return records, nil
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+recordColumns+
		" FROM gamekit_leaderboard_records WHERE board_id = ? AND period = ? AND user_id IN (?)",
		b.ID, p.ID, bun.In(userIDs))
	if err != nil {
		return nil, fmt.Errorf("leaderboards: records: %w", err)
	}
	defer rows.Close()
	sign := b.sign()
	for rows.Next() {
		r, err := scanRecord(rows, sign)
		if err != nil {
			return nil, fmt.Errorf("leaderboards: records: %w", err)
		}
		records = append(records, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("leaderboards: records: %w", err)
	}
	rows.Close()
	keys := make([]key, len(records))
	for i, r := range records {
		keys[i] = r.key(sign)
	}
	ranks, err := s.ranks(ctx, b, p.ID, keys)
	if err != nil {
		return nil, err
	}
	for i := range records {
		records[i].Rank = ranks[i]
	}
	slices.SortFunc(records, func(a, b Record) int { return int(a.Rank - b.Rank) })
	return records, nil
}

// Top reads a page of the board's records, best first, each with its
// rank. The first page's ranks are exact; a later page's count on from
// the rank its cursor carries, so they are exact as long as no record
// moved across the pages in between.
func (s *SQLStore) Top(ctx context.Context, board string, opts TopOptions) (Page, error) {
	limit, err := pageLimit("limit", opts.Limit, DefaultLimit, MaxLimit)
	if err != nil {
		return Page{}, err
	}
	after, rank := first, int64(1)
	period := opts.Period
	if opts.Cursor != "" {
		c, err := parseCursor(opts.Cursor)
		if err != nil {
			return Page{}, err
		}
		period, after, rank = &c.period, c.key, c.rank
	}
	b, p, err := s.resolve(ctx, board, period)
	if err != nil {
		return Page{}, err
	}
	records, err := s.page(ctx, b, p.ID, after, limit+1, rank)
	if err != nil {
		return Page{}, err
	}
	page := Page{Period: p, Records: records}
	if len(records) > limit {
		page.Records = records[:limit]
		page.Next = cursorAfter(p.ID, page.Records[limit-1], b.sign())
	}
	return page, nil
}

// Around reads a user's record and the n records above and below it
// (DefaultAround for 0, at most MaxAround), best first, with exact ranks:
// "my rank and the five above and below". Page.Next continues below. A
// user without a record is ErrRecordNotFound.
func (s *SQLStore) Around(ctx context.Context, board string, userID int64, n int, period *int64) (Page, error) {
	n, err := pageLimit("limit", n, DefaultAround, MaxAround)
	if err != nil {
		return Page{}, err
	}
	b, p, err := s.resolve(ctx, board, period)
	if err != nil {
		return Page{}, err
	}
	me, err := s.read(ctx, b, p.ID, userID)
	if err != nil {
		return Page{}, err
	}
	sign := b.sign()
	k := me.key(sign)
	if me.Rank, err = s.rankOf(ctx, b, p.ID, k); err != nil {
		return Page{}, err
	}
	rows, err := s.before.Query(ctx, s.db, b.ID, p.ID, k.score, k.subscore, k.at, k.user, n)
	if err != nil {
		return Page{}, fmt.Errorf("leaderboards: around: %w", err)
	}
	above, err := collect(rows, sign, me.Rank-1, -1)
	if err != nil {
		return Page{}, err
	}
	slices.Reverse(above)
	below, err := s.page(ctx, b, p.ID, k, n+1, me.Rank+1)
	if err != nil {
		return Page{}, err
	}
	page := Page{Period: p, Records: append(append(above, me), below...)}
	if len(below) > n {
		page.Records = page.Records[:len(page.Records)-1]
		page.Next = cursorAfter(p.ID, page.Records[len(page.Records)-1], sign)
	}
	return page, nil
}

// page reads up to limit records after k, ranking the first rank.
func (s *SQLStore) page(ctx context.Context, b Board, period int64, k key, limit int, rank int64) ([]Record, error) {
	rows, err := s.after.Query(ctx, s.db, b.ID, period, k.score, k.subscore, k.at, k.user, limit)
	if err != nil {
		return nil, fmt.Errorf("leaderboards: page: %w", err)
	}
	return collect(rows, b.sign(), rank, 1)
}

// collect reads rows of records, ranking them from rank by step.
func collect(rows *sql.Rows, sign, rank, step int64) ([]Record, error) {
	defer rows.Close()
	records := []Record{}
	for rows.Next() {
		r, err := scanRecord(rows, sign)
		if err != nil {
			return nil, fmt.Errorf("leaderboards: page: %w", err)
		}
		r.Rank = rank
		rank += step
		records = append(records, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("leaderboards: page: %w", err)
	}
	return records, nil
}

// pageLimit applies a limit's default and bounds.
func pageLimit(field string, n, def, most int) (int, error) {
	switch {
	case n == 0:
		return def, nil
	case n < 0 || n > most:
		return 0, gamekit.Invalid(field, fmt.Sprintf("Ensure this value is between 1 and %d.", most))
	}
	return n, nil
}

// cursor is where a page ends: its period, the key of its last record,
// and the rank of the next.
type cursor struct {
	period int64
	key    key
	rank   int64
}

// cursorAfter is the cursor of the records after r.
func cursorAfter(period int64, r Record, sign int64) string {
	k := r.key(sign)
	text := fmt.Sprintf("1.%d.%d.%d.%d.%d.%d", period, k.score, k.subscore, k.at, k.user, r.Rank+1)
	return base64.RawURLEncoding.EncodeToString([]byte(text))
}

var errCursor = gamekit.Invalid("cursor", "Invalid cursor.")

func parseCursor(s string) (cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, errCursor
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 7 || parts[0] != "1" {
		return cursor{}, errCursor
	}
	var n [6]int64
	for i := range n {
		if n[i], err = strconv.ParseInt(parts[i+1], 10, 64); err != nil {
			return cursor{}, errCursor
		}
	}
	if n[5] < 1 {
		return cursor{}, errCursor
	}
	return cursor{period: n[0], key: key{n[1], n[2], n[3], n[4]}, rank: n[5]}, nil
}
