package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/leaderboards"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/rest"
)

// The social part of the example server: a public room everyone talks in,
// and a board the server feeds with the moves players make.
const (
	// globalRoom is the public chat room made at every start, if missing.
	globalRoom = "global"
	// movesBoard counts each player's moves of the day (UTC): the server
	// adds 1 for every move it accepts, and a new day starts from zero.
	// No client writes it.
	movesBoard = "moves-today"
)

// setupTimeout bounds the statements that make the room and the board at
// start.
const setupTimeout = 30 * time.Second

// social is the chat and the leaderboards of the example server.
type social struct {
	boards *leaderboards.SQLStore
	chat   *chat.SQLStore
	global chat.Room
	log    *slog.Logger
}

// newSocial makes the stores, announcing through the hub, registers their
// realtime channels and routes on it, and makes the global room and the
// moves-today board if they are missing: at every start, so a new database
// has them from the first run and an old one keeps what it has (an
// admin's changes to the board included).
func newSocial(db *bun.DB, hub *realtime.Hub, acc *accounts.Accounts, logger *slog.Logger) (*social, error) {
	s := &social{log: logger}
	var err error
	if s.boards, err = leaderboards.NewSQLStore(db, &leaderboards.StoreOptions{Publisher: hub, Logger: logger}); err != nil {
		return nil, err
	}
	// chat asks the accounts for the user a DM goes to, so nobody writes
	// to a user who does not exist, and names members by username.
	if s.chat, err = chat.NewSQLStore(db, &chat.StoreOptions{Publisher: hub, Logger: logger, Users: usernames{acc}}); err != nil {
		return nil, err
	}
	leaderboards.RegisterRealtime(hub, s.boards)
	chat.RegisterRealtime(hub, s.chat)

	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if s.global, err = s.chat.EnsurePublicRoom(ctx, globalRoom); err != nil {
		return nil, fmt.Errorf("chat room %q: %w", globalRoom, err)
	}
	board := leaderboards.Board{ID: movesBoard, Operator: leaderboards.Incr, Reset: "@daily"}
	if err := s.boards.CreateBoard(ctx, &board); err != nil && !errors.Is(err, leaderboards.ErrBoardExists) {
		return nil, fmt.Errorf("leaderboard %q: %w", movesBoard, err)
	}
	return s, nil
}

// mount serves the two APIs under api: /api/leaderboards/ and /api/chat/.
func (s *social) mount(api *rest.API, logger *slog.Logger) error {
	boards, err := leaderboards.NewHandler(s.boards, &leaderboards.HandlerOptions{Logger: logger})
	if err != nil {
		return err
	}
	rooms, err := chat.NewHandler(s.chat, &chat.HandlerOptions{Logger: logger})
	if err != nil {
		return err
	}
	api.Mount(boards, "leaderboards")
	api.Mount(rooms, "chat")
	return nil
}

// countMoves returns store as the players API and the websocket route use
// it: every move it accepts adds 1 to the mover's record on moves-today.
func (s *social) countMoves(store players.Store) players.Store {
	return movesCounter{Store: store, boards: s.boards, log: s.log}
}

// movesCounter is a players.Store whose players' own moves (Move, MoveTo)
// count on the moves-today board. The admin's SetPosition is not a move a
// player made, and is not counted.
//
// The count follows the move, once the move has committed: a refused move
// returns before it and counts nothing, and an accepted one is counted
// once, by one Submit (the Incr is atomic in the database). A count that
// cannot be written (the database went away between the two statements,
// an admin deleted the board) is logged and the move stands: the move is
// the record, the board a statistic of it.
type movesCounter struct {
	players.Store
	boards leaderboards.Store
	log    *slog.Logger
}

func (m movesCounter) Move(ctx context.Context, id, by int64, dx, dy float64) (players.Player, error) {
	p, err := m.Store.Move(ctx, id, by, dx, dy)
	if err == nil {
		m.count(ctx, p)
	}
	return p, err
}

func (m movesCounter) MoveTo(ctx context.Context, id, by int64, x, y float64) (players.Player, error) {
	p, err := m.Store.MoveTo(ctx, id, by, x, y)
	if err == nil {
		m.count(ctx, p)
	}
	return p, err
}

// count adds the move to its mover's record. It is not cut short by the
// client going away: the move it counts was made.
func (m movesCounter) count(ctx context.Context, p players.Player) {
	ctx = context.WithoutCancel(ctx)
	if _, err := m.boards.Submit(ctx, movesBoard, p.UserID, p.Username, 1, 0, nil); err != nil {
		m.log.WarnContext(ctx, "a move was not counted on "+movesBoard, "player", p.ID, "user", p.UserID, "err", err)
	}
}
