package admin

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/leaderboards"
	"github.com/gamekit/gamekit/players"
)

type dashboardView struct {
	Counts []count
	// Gifts is the scheduler's last tick; GiftsOn is false when the host
	// runs no scheduler, Ticked false before its first tick.
	GiftsOn, Ticked bool
	Tick            int64
	TickUsers       int
	TickDuration    time.Duration
	TickFinished    string
	Leader          bool
	// Clients are the connected realtime clients; RealtimeOn is false
	// when the host gave no way to count them.
	RealtimeOn bool
	Clients    int
}

type count struct {
	Label, URL string
	N          int
}

// dashboard shows how many of everything there are, the gift scheduler's
// last tick and the realtime clients connected now.
func (a *Admin) dashboard(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	var v dashboardView
	counters := []struct {
		label, section string
		count          func(context.Context) (int, error)
	}{
		{"Users", "users", func(ctx context.Context) (int, error) { return a.acc.CountUsers(ctx, accounts.ListOptions{}) }},
		{"Items", "items", func(ctx context.Context) (int, error) { return a.inventory.CountItems(ctx, inventory.ListOptions{}) }},
		{"Inventories", "inventories", func(ctx context.Context) (int, error) {
			return a.inventory.CountInventories(ctx, inventory.ListOptions{})
		}},
		{"Monsters", "monsters", func(ctx context.Context) (int, error) { return a.monsters.CountMonsters(ctx, enemies.ListOptions{}) }},
		{"Players", "players", func(ctx context.Context) (int, error) { return a.players.CountPlayers(ctx, players.ListOptions{}) }},
	}
	if a.boards != nil {
		counters = append(counters, struct {
			label, section string
			count          func(context.Context) (int, error)
		}{"Leaderboards", "leaderboards", func(ctx context.Context) (int, error) {
			return a.boards.CountBoards(ctx, leaderboards.ListOptions{})
		}})
	}
	// Rooms, not messages: a room knows how many it holds, but the sum
	// over every room would read them all, and the rooms' page shows each.
	if a.chat != nil {
		counters = append(counters, struct {
			label, section string
			count          func(context.Context) (int, error)
		}{"Chat rooms", "chat", func(ctx context.Context) (int, error) { return a.chat.CountRooms(ctx, chat.RoomListOptions{}) }})
	}
	// At once: on PostgreSQL each count has a connection of its own, and
	// the page takes as long as the largest table's count.
	v.Counts = make([]count, len(counters))
	errs := make([]error, len(counters))
	var wg sync.WaitGroup
	for i, c := range counters {
		v.Counts[i] = count{Label: c.label, URL: a.path(c.section) + "/"}
		wg.Go(func() { v.Counts[i].N, errs[i] = c.count(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		a.fail(w, r, s, err)
		return
	}
	if a.gifts != nil {
		st := a.gifts.Stats()
		v.GiftsOn, v.Ticked = true, st.Tick != 0
		v.Tick, v.TickUsers, v.TickDuration, v.Leader = st.Tick, st.Users, st.Duration, st.Leader
		if !st.Finished.IsZero() {
			v.TickFinished = st.Finished.UTC().Format(timeLayout)
		}
	}
	if a.clients != nil {
		v.RealtimeOn, v.Clients = true, a.clients()
	}
	a.render(w, r, s, http.StatusOK, "dashboard", "Dashboard", v)
}
