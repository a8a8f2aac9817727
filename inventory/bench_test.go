package inventory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/internal/rawgrant"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// The benchmarks measure gamekit against a limit taken in the same run, on
// the same machine: the machine is noisy, so only the ratio of a "gamekit"
// sub-benchmark to its "limit" sibling means anything.
//
// The HTTP limit serves, from memory, the very bytes and headers the real
// handler answered once, behind the same host harness (identity middleware,
// ServeMux, StripPrefix), over the same loopback keep-alive client: what
// remains between the two is the handler, the store and the database.
//
// The grant limit writes the same rows with plain database/sql: a keyset
// read of each batch of inventories, then multi-row INSERT ... VALUES
// statements, in the same transactions of inventory.DefaultGrantBatch users.

// benchClientsPerCPU times GOMAXPROCS is how many requests are in flight:
// enough that a request waiting on the network never leaves a core idle.
const benchClientsPerCPU = 4

// benchHost is a host's wiring around an API handler: authentication (here
// the X-Caller header names an identity, as in http_test.go) and a mount
// under /api/.
func benchHost(api http.Handler, ids map[string]gamekit.Identity) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", api))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := ids[r.Header.Get("X-Caller")]; ok {
			r = r.WithContext(gamekit.WithIdentity(r.Context(), id))
		}
		mux.ServeHTTP(w, r)
	})
}

// benchReply is one response captured from the real handler, replayed from
// memory by the limit.
type benchReply struct {
	header http.Header
	body   []byte
}

func (rp benchReply) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	for k, v := range rp.header {
		h[k] = v
	}
	w.WriteHeader(http.StatusOK)
	w.Write(rp.body)
}

// benchCapture asks h once, in memory, for path as caller and returns what
// it answered; anything but a 200 ends the benchmark.
func benchCapture(b *testing.B, h http.Handler, caller, path string) benchReply {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if caller != "" {
		req.Header.Set("X-Caller", caller)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s as %q: got %d %s, want 200", path, caller, rec.Code, rec.Body)
	}
	return benchReply{header: rec.Header().Clone(), body: rec.Body.Bytes()}
}

// benchServe serves h on loopback for the rest of the benchmark, with a
// client that keeps a connection per goroutine alive.
func benchServe(b *testing.B, h http.Handler) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	srv.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	return srv
}

// benchTarget is one request of a benchmark and the body size its answer
// must have.
type benchTarget struct {
	path, caller string
	size         int64
}

// benchRequests sends GET requests to srv from parallel goroutines, taking
// targets in turn, checks each answer and reports requests per second.
func benchRequests(b *testing.B, srv *httptest.Server, targets []benchTarget) {
	client := srv.Client()
	var next atomic.Uint64
	b.ReportAllocs()
	b.SetParallelism(benchClientsPerCPU)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			t := targets[next.Add(1)%uint64(len(targets))]
			req, err := http.NewRequest(http.MethodGet, srv.URL+t.path, nil)
			if err != nil {
				b.Error(err)
				return
			}
			if t.caller != "" {
				req.Header.Set("X-Caller", t.caller)
			}
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			n, err := io.Copy(io.Discard, res.Body)
			res.Body.Close()
			// b.Fatal may only be called from the benchmark's own goroutine:
			// a failed request is reported and stops this goroutine.
			if res.StatusCode != http.StatusOK || err != nil || n != t.size {
				b.Errorf("GET %s as %q: got %d, %d bytes, %v; want 200, %d bytes", t.path, t.caller, res.StatusCode, n, err, t.size)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func benchExec(b *testing.B, db *bun.DB, query string, args ...any) {
	b.Helper()
	if _, err := db.ExecContext(context.Background(), query, args...); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkItemsList is the public item list, 1,000 items long, as anyone
// reads it.
func BenchmarkItemsList(b *testing.B) {
	const n = 1000
	db := storagetest.Open(b, storagetest.File, inventory.Migrations())
	benchExec(b, db, `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
		INSERT INTO gamekit_items (name, weight) SELECT printf('Item %04d', n), (n % 40) * 0.25 FROM seq`, n)
	h, err := inventory.NewHandler(storagetest.Must(inventory.NewSQLStore(db, nil)), nil)
	if err != nil {
		b.Fatal(err)
	}
	gamekitHost := benchHost(h, apitest.Callers)
	const path = "/api/items/"
	reply := benchCapture(b, gamekitHost, "", path)
	var items []inventory.Item
	if err := json.Unmarshal(reply.body, &items); err != nil || len(items) != n {
		b.Fatalf("GET %s: got %d items, %v; want %d", path, len(items), err, n)
	}
	targets := []benchTarget{{path: path, size: int64(len(reply.body))}}
	for _, v := range []struct {
		name string
		h    http.Handler
	}{
		{"limit", benchHost(reply, apitest.Callers)},
		{"gamekit", gamekitHost},
	} {
		srv := benchServe(b, v.h)
		b.Run(v.name, func(b *testing.B) { benchRequests(b, srv, targets) })
	}
}

// benchPlayer is the username of the n-th of the players (from 1): alice,
// as in http_test.go, then player0002 and on.
func benchPlayer(n int) string {
	if n == 1 {
		return "alice"
	}
	return fmt.Sprintf("player%04d", n)
}

// BenchmarkInventoryByUsername is players reading their own inventory,
// each request as another of 1,000 players with 3 items each, so no single
// row is hot.
func BenchmarkInventoryByUsername(b *testing.B) {
	const players, perPlayer = 1000, 3
	db := storagetest.Open(b, storagetest.File, inventory.Migrations())
	// In a fresh database ids count from 1: player n owns items 3n-2..3n.
	benchExec(b, db, `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
		INSERT INTO gamekit_items (name, weight) SELECT printf('Item %04d', n), (n % 40) * 0.25 FROM seq`, players*perPlayer)
	benchExec(b, db, `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
		INSERT INTO gamekit_inventories (user_id, username)
		SELECT n, CASE n WHEN 1 THEN 'alice' ELSE printf('player%04d', n) END FROM seq`, players)
	benchExec(b, db, `INSERT INTO gamekit_inventory_items (inventory_id, item_id)
		SELECT inv.id, item.id FROM gamekit_inventories AS inv
		JOIN gamekit_items AS item ON (item.id - 1) / ? + 1 = inv.id`, perPlayer)

	ids := make(map[string]gamekit.Identity, players)
	ids["alice"] = apitest.Callers["alice"]
	for n := 2; n <= players; n++ {
		ids[benchPlayer(n)] = gamekit.Identity{UserID: int64(n), Username: benchPlayer(n)}
	}
	h, err := inventory.NewHandler(storagetest.Must(inventory.NewSQLStore(db, nil)), nil)
	if err != nil {
		b.Fatal(err)
	}
	gamekitHost := benchHost(h, ids)
	replies := make(map[int64]benchReply, players)
	targets := make([]benchTarget, players)
	for n := 1; n <= players; n++ {
		name := benchPlayer(n)
		path := "/api/inventories/?username=" + name
		reply := benchCapture(b, gamekitHost, name, path)
		var invs []inventory.Inventory
		if err := json.Unmarshal(reply.body, &invs); err != nil || len(invs) != 1 ||
			invs[0].UserID != ids[name].UserID || len(invs[0].Items) != perPlayer {
			b.Fatalf("GET %s as %s: got %s, want their inventory with %d items", path, name, reply.body, perPlayer)
		}
		replies[ids[name].UserID] = reply
		targets[n-1] = benchTarget{path: path, caller: name, size: int64(len(reply.body))}
	}
	// The limit answers each player with their own captured inventory.
	limit := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := gamekit.IdentityFrom(r.Context())
		replies[id.UserID].ServeHTTP(w, r)
	})
	for _, v := range []struct {
		name string
		h    http.Handler
	}{
		{"limit", benchHost(limit, ids)},
		{"gamekit", gamekitHost},
	} {
		srv := benchServe(b, v.h)
		b.Run(v.name, func(b *testing.B) { benchRequests(b, srv, targets) })
	}
}

// benchGiftPrefix is the grant's item name before the username.
const benchGiftPrefix = "Gift for "

// BenchmarkGrant is one grant round, a new item for every inventory. Each
// sub-benchmark has a database of its own, seeded outside the timer, and
// uses b.Loop, so its function runs once: every round adds its rows to the
// same growing tables, and with a fixed -benchtime Nx the limit and gamekit
// rounds see the same table sizes.
func BenchmarkGrant(b *testing.B) {
	for _, users := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			for _, v := range []struct {
				name  string
				grant func(ctx context.Context, db *bun.DB, key string) (int, error)
			}{
				{"limit", func(ctx context.Context, db *bun.DB, key string) (int, error) {
					return rawgrant.Grant(ctx, db.DB, key, benchGiftPrefix, inventory.DefaultGrantBatch)
				}},
				{"gamekit", func(ctx context.Context, db *bun.DB, key string) (int, error) {
					return storagetest.Must(inventory.NewSQLStore(db, nil)).GrantItems(ctx, inventory.Grant{
						Key: key, Name: benchGiftPrefix + inventory.UsernamePlaceholder, Weight: 0,
					})
				}},
			} {
				b.Run(v.name, func(b *testing.B) { benchGrant(b, users, v.grant) })
			}
		})
	}
}

func benchGrant(b *testing.B, users int, grant func(ctx context.Context, db *bun.DB, key string) (int, error)) {
	ctx := b.Context()
	db := storagetest.Open(b, storagetest.File, inventory.Migrations())
	benchExec(b, db, `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
		INSERT INTO gamekit_inventories (user_id, username) SELECT n, printf('player%06d', n) FROM seq`, users)
	var key string
	rounds := 0
	for b.Loop() {
		rounds++
		key = fmt.Sprintf("bench:%d", rounds)
		n, err := grant(ctx, db, key)
		if err != nil {
			b.Fatal(err)
		}
		if n != users {
			b.Fatalf("round %d: granted %d users, want %d", rounds, n, users)
		}
	}
	b.ReportMetric(float64(users*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/round")

	// The last round gave every inventory one item named for its owner,
	// linked to it; every round gave as many items.
	var linked, granted int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM gamekit_inventory_items AS link
		JOIN gamekit_items AS item ON item.id = link.item_id
		JOIN gamekit_inventories AS inv ON inv.id = link.inventory_id
		WHERE item.grant_key = ? AND item.grant_user = inv.user_id AND item.name = ? || inv.username`,
		key, benchGiftPrefix).Scan(&linked)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM gamekit_items WHERE grant_key IS NOT NULL`).Scan(&granted); err != nil {
		b.Fatal(err)
	}
	if linked != users || granted != users*rounds {
		b.Fatalf("after %d rounds: %d linked gifts of the last round, %d gifts; want %d and %d",
			rounds, linked, granted, users, users*rounds)
	}
}
