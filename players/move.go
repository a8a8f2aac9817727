package players

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gamekit/gamekit"
)

// maxMoveAttempts bounds how often a move is tried again when the UPDATE
// refused it but the player, read right after, would allow it: a
// concurrent move changed the row in between.
const maxMoveAttempts = 5

// Move moves player id by (dx, dy) for user by, and returns the player as
// saved. It is the server-authoritative move: it succeeds only if by owns
// the player, |dx| and |dy| are at most the store's Step, the new position
// is inside ±Bound on both axes, and the player has made fewer than Rate
// moves in the current one-second window. Anything else is refused, never
// clamped:
//
//   - a missing player: ErrPlayerNotFound, of kind gamekit.ErrNotFound;
//   - another user's player: ErrNotOwner, of kind gamekit.ErrForbidden;
//   - NaN, an infinity, a step too long or a position out of bounds: an
//     *gamekit.InvalidError with messages for "dx" and "dy";
//   - a move over the rate limit: a *gamekit.RateLimitError (wrapped)
//     whose RetryAfter is the time until the window ends.
//
// dx and dy are checked first, with no database access. Then one
// conditional UPDATE checks every rule that depends on the stored player
// and adds (dx, dy) to the stored position, so the rules hold across
// server processes and concurrent moves never lose one another. Only when
// it changes nothing does the store read the player, once, to say why.
func (s *SQLStore) Move(ctx context.Context, id, by int64, dx, dy float64) (Player, error) {
	bad := &gamekit.InvalidError{}
	s.validStep(bad, "dx", dx)
	s.validStep(bad, "dy", dy)
	if err := bad.Err(); err != nil {
		return Player{}, err
	}
	return s.run(ctx, move{id: id, by: by, x: dx, y: dy})
}

// MoveTo moves player id to (x, y) for user by, and returns the player as
// saved. It is validated as a move, by the same rules and in the same one
// UPDATE as Move: it is a Move by the difference between (x, y) and where
// the player is, and it is refused with the same errors, except that the
// messages of an *gamekit.InvalidError are for "position_x" and
// "position_y". Realtime clients, which send where they want to be, move
// with it.
func (s *SQLStore) MoveTo(ctx context.Context, id, by int64, x, y float64) (Player, error) {
	bad := &gamekit.InvalidError{}
	validPosition(bad, "position_x", x, s.bound)
	validPosition(bad, "position_y", y, s.bound)
	if err := bad.Err(); err != nil {
		return Player{}, err
	}
	return s.run(ctx, move{id: id, by: by, x: x, y: y, absolute: true})
}

// SetPosition puts player id at (x, y) and returns it as saved: the admin's
// move, which only the bounds limit (an *gamekit.InvalidError for
// "position_x" and "position_y"), not the owner, step or rate limit, and
// which leaves the player's rate limit as it is. It is announced like any
// move. Callers check that the caller is an admin.
func (s *SQLStore) SetPosition(ctx context.Context, id int64, x, y float64) (Player, error) {
	bad := &gamekit.InvalidError{}
	validPosition(bad, "position_x", x, s.bound)
	validPosition(bad, "position_y", y, s.bound)
	if err := bad.Err(); err != nil {
		return Player{}, err
	}
	row, err := s.setPosition.QueryRow(ctx, s.db, x, y, id)
	if err != nil {
		return Player{}, fmt.Errorf("players: set position: %w", err)
	}
	p, err := scanPlayer(row)
	if err != nil {
		return Player{}, notFound(err, id, "set position")
	}
	if err := s.announce(ctx, EventUpdated, p.position()); err != nil {
		return Player{}, err
	}
	return p, nil
}

// move is a player's move: by (x, y), or to (x, y) when absolute.
type move struct {
	id, by   int64
	x, y     float64
	absolute bool
}

// run tries m's conditional UPDATE and, when it changes nothing, reads the
// player to say why; if nothing is wrong with the player as read, a
// concurrent move changed it in between, and run tries again, up to
// maxMoveAttempts times.
func (s *SQLStore) run(ctx context.Context, m move) (Player, error) {
	for range maxMoveAttempts {
		now := s.now().UnixMilli()
		var row *sql.Row
		var err error
		if m.absolute {
			row, err = s.moveTo.QueryRow(ctx, s.db, m.x, m.y, now, m.id, m.by, s.step, s.rate)
		} else {
			row, err = s.move.QueryRow(ctx, s.db, m.x, m.y, now, m.id, m.by, -s.bound, s.bound, s.rate)
		}
		if err != nil {
			return Player{}, fmt.Errorf("players: move: %w", err)
		}
		p, err := scanPlayer(row)
		if err == nil {
			if err := s.announce(ctx, EventUpdated, p.position()); err != nil {
				return Player{}, err
			}
			return p, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return Player{}, fmt.Errorf("players: move: %w", err)
		}
		// The refusal is judged at the time of the read: a window that
		// ended in between is no reason to refuse.
		now = s.now().UnixMilli()
		if row, err = s.read.QueryRow(ctx, s.db, m.id); err != nil {
			return Player{}, fmt.Errorf("players: move: %w", err)
		}
		current, err := scanPlayer(row)
		if err != nil {
			return Player{}, notFound(err, m.id, "move")
		}
		if err := s.refusal(m, current, now); err != nil {
			return Player{}, err
		}
	}
	return Player{}, concurrentError(m.id)
}

// refusal says why the UPDATE refused m on the player p at now, checking
// the same conditions in the same floating-point arithmetic: the owner
// first, then the step or bounds, then the rate. It returns nil when p
// allows m.
func (s *SQLStore) refusal(m move, p Player, now int64) error {
	if p.UserID != m.by {
		return notOwnerError(m.id)
	}
	bad := &gamekit.InvalidError{}
	if m.absolute {
		s.reachable(bad, "position_x", m.x, p.X)
		s.reachable(bad, "position_y", m.y, p.Y)
	} else {
		s.inBounds(bad, "dx", "position_x", p.X, m.x)
		s.inBounds(bad, "dy", "position_y", p.Y, m.y)
	}
	if err := bad.Err(); err != nil {
		return err
	}
	if end := p.WindowStart + windowMillis; now < end && p.WindowMoves >= s.rate {
		return &rateError{id: m.id, rate: s.rate,
			limit: &gamekit.RateLimitError{RetryAfter: time.Duration(end-now) * time.Millisecond}}
	}
	return nil
}

// validStep checks one coordinate of a relative move.
func (s *SQLStore) validStep(bad *gamekit.InvalidError, field string, d float64) {
	switch {
	case !finite(d):
		bad.Add(field, "A valid finite number is required.")
	case d < -s.step || d > s.step:
		bad.Add(field, "Ensure this value is between "+num(-s.step)+" and "+num(s.step)+".")
	}
}

// reachable checks that target is at most a step from current, as
// moveToSQL does.
func (s *SQLStore) reachable(bad *gamekit.InvalidError, field string, target, current float64) {
	if target < current-s.step || target > current+s.step {
		bad.Add(field, "Ensure this value is within "+num(s.step)+" of the current position, "+num(current)+".")
	}
}

// inBounds checks that current + d stays within the bounds, as moveSQL
// does.
func (s *SQLStore) inBounds(bad *gamekit.InvalidError, field, axis string, current, d float64) {
	if to := current + d; to < -s.bound || to > s.bound {
		bad.Add(field, "Ensure this move keeps "+axis+" between "+num(-s.bound)+" and "+num(s.bound)+
			"; it would be "+num(to)+".")
	}
}
