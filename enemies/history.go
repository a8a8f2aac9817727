package enemies

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/storage"
)

// HistoryEntry records one transition of one monster, for analytics: the
// store writes one in the transaction of every transition it fires, the
// automatic ones included. The JSON is
// {"monster":1,"version":2,"transition":"attack","from":"wandering","to":"attacking","by":3,"at":"..."}.
type HistoryEntry struct {
	bun.BaseModel `bun:"table:gamekit_monster_transitions,alias:entry" json:"-"`

	MonsterID int64 `bun:",pk" json:"monster"`
	// Version is the monster's version the transition made: a monster's
	// entries have versions of their own, increasing, and the database
	// refuses two for one version. (A change of health without a
	// transition takes a version too, so there may be gaps.)
	Version    int64  `bun:",pk" json:"version"`
	Transition string `json:"transition"`
	From       State  `bun:"from_state" json:"from"`
	To         State  `bun:"to_state" json:"to"`
	// By is the host's user who fired the transition; nil for an
	// automatic transition and for one the system fired.
	By *int64    `bun:"by_user" json:"by"`
	At time.Time `bun:"fired_at" json:"at"`
}

// HistoryOptions select and page history entries. Entries are listed by
// monster, and each monster's oldest first (by version).
type HistoryOptions struct {
	// Monster, when not 0, keeps only this monster's transitions.
	Monster int64
	// Limit defaults to storage.DefaultLimit (1000); Offset skips entries.
	Limit, Offset int
}

// History lists recorded transitions, each monster's oldest first. It does
// not check that the monster exists: a deleted monster's history is still
// there.
func (s *SQLStore) History(ctx context.Context, opts HistoryOptions) ([]HistoryEntry, error) {
	entries, err := storage.List[HistoryEntry](ctx, s.db, opts.filter, "entry.monster_id ASC, entry.version ASC", opts.Limit, opts.Offset)
	if err != nil {
		return nil, fmt.Errorf("enemies: history: %w", err)
	}
	for i := range entries {
		entries[i].At = entries[i].At.UTC() // as stored, whatever the session's time zone
	}
	return entries, nil
}

// CountHistory counts the entries opts select.
func (s *SQLStore) CountHistory(ctx context.Context, opts HistoryOptions) (int, error) {
	n, err := storage.Count[HistoryEntry](ctx, s.db, opts.filter)
	if err != nil {
		return 0, fmt.Errorf("enemies: count history: %w", err)
	}
	return n, nil
}

func (opts HistoryOptions) filter(q *bun.SelectQuery) {
	if opts.Monster != 0 {
		q.Where("entry.monster_id = ?", opts.Monster)
	}
}
