package enemies

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/storage"
)

// SaveOver plays a writer that loaded the monster as loaded, changed it to
// m in memory, and only now writes it back through the store's conditional
// update, with a history entry for transition; it returns errStale's
// verdict as Fire would. Tests use it to hold a stale version for as long
// as they like.
func (s *SQLStore) SaveOver(ctx context.Context, loaded, m Monster, transition string) error {
	return storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := s.write(ctx, tx, &m, loaded, 1); err != nil {
			return err
		}
		return s.record(ctx, tx, m.ID, loaded.Version, []step{{transition: transition, from: loaded.State, to: m.State}})
	})
}

// ErrStale is save's answer to a stale write.
var ErrStale = errStale
