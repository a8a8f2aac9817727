// Command loadtest measures the example server with wrk against a limit:
// a tiny net/http server that answers the very same bytes from memory. Only
// the ratio of the two, taken back to back on one machine, means anything.
//
// It builds examples/server (with the pprof build tag, which adds a
// net/http/pprof listener only to this build), seeds a SQLite file with the
// Django peer's data set (1,000 users, 1,000 items, 20 items in every
// inventory) plus one user whose inventory holds 10,000 items, starts the
// server on it with gifts off and its request logging as shipped (to a
// file), fetches each request's response once, and then for each request
// runs
//
//	wrk -t2 -c32 -d10s --latency
//
// against the limit and, right after, against the server, printing req/s,
// p99 and the ratio, and the CPU time each spent per request with the
// ratio of those: on a machine that other work shares, req/s moves with
// the neighbours, CPU time per request much less (Linux only: it is read
// from /proc). wrk must be on the PATH (apt-get install wrk). From
// the repository's root:
//
//	go run ./examples/server/loadtest                 # every request, once
//	go run ./examples/server/loadtest -rounds 3 -d 5s # three rounds, shorter
//	go run ./examples/server/loadtest -only items -profile /tmp/prof
//	go tool pprof -top /tmp/prof/items.cpu.pprof
//
// -profile saves, for each request, a CPU profile and an allocation
// profile of the server taken while wrk loads it. Flags after -- go to the
// server (-- -log-requests=none, say).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"

	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/storage"
	_ "github.com/gamekit/gamekit/storage/sqlite"
)

// The data set: the Django peer's, and one hoarder.
const (
	users        = 1000
	items        = 1000
	perInventory = 20
	hoard        = 10_000
)

// request is one request measured.
type request struct {
	name, path string
	user       string // whose bearer token it carries; "" for anonymous
}

var requests = []request{
	{"items", "/api/items/", "user1"},
	{"item", "/api/items/1/", "user1"},
	{"item-anon", "/api/items/1/", ""},
	{"inventory", "/api/inventories/?username=user1", "user1"},
	{"inventory-10k", "/api/inventories/?username=hoarder", "hoarder"},
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run() error {
	rounds := flag.Int("rounds", 1, "how many times to measure every request")
	duration := flag.String("d", "10s", "wrk's -d: how long each run lasts")
	threads := flag.Int("t", 2, "wrk's -t")
	conns := flag.Int("c", 32, "wrk's -c")
	only := flag.String("only", "", "measure only these requests (comma-separated names: items,item,item-anon,inventory,inventory-10k)")
	profile := flag.String("profile", "", "a directory to save the server's CPU and allocation profiles in, one pair per request")
	keep := flag.String("dir", "", "work in this directory (default: a new temporary one, removed after)")
	flag.Parse()
	serverArgs := flag.Args()

	dir := *keep
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "gamekit-loadtest-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed (apt-get install wrk)")
	}
	ctx := context.Background()

	bin := filepath.Join(dir, "server")
	build := exec.Command("go", "build", "-tags", "pprof", "-o", bin, "github.com/gamekit/gamekit/examples/server")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build the server: %w", err)
	}
	db := filepath.Join(dir, "loadtest.db")
	if _, err := os.Stat(db); errors.Is(err, os.ErrNotExist) {
		if out, err := exec.Command(bin, "migrate", "-db", db).CombinedOutput(); err != nil {
			return fmt.Errorf("migrate: %v\n%s", err, out)
		}
		start := time.Now()
		if err := seed(ctx, db); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		fmt.Fprintf(os.Stderr, "seeded %s in %s\n", db, time.Since(start).Round(time.Millisecond))
	}
	tokens, err := issueTokens(ctx, db)
	if err != nil {
		return err
	}

	addr, pprofAddr := freeAddr(), freeAddr()
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	srv := exec.Command(bin, append([]string{"serve", "-db", db, "-addr", addr, "-gift-interval", "0", "-demo=false"}, serverArgs...)...)
	srv.Env = append(os.Environ(), "GAMEKIT_PPROF="+pprofAddr)
	srv.Stdout, srv.Stderr = logFile, logFile
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}()
	if err := waitFor("http://" + addr + "/healthz"); err != nil {
		return fmt.Errorf("the server did not start (see %s): %w", logFile.Name(), err)
	}

	// The limit answers every request with what the server answered it.
	limit := &limitHandler{replies: map[string]reply{}}
	var chosen []request
	for _, rq := range requests {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), rq.name) {
			continue
		}
		rp, err := fetch("http://"+addr+rq.path, tokens[rq.user])
		if err != nil {
			return fmt.Errorf("%s: %w", rq.name, err)
		}
		limit.replies[key(rq.path, bearer(tokens[rq.user]))] = rp
		fmt.Fprintf(os.Stderr, "%-14s %s %s: %d bytes\n", rq.name, rq.path, who(rq.user), len(rp.body))
		chosen = append(chosen, rq)
	}
	limitAddr := freeAddr()
	ln, err := net.Listen("tcp", limitAddr)
	if err != nil {
		return err
	}
	// The server's settings (see serve in ../server.go).
	limitSrv := &http.Server{Handler: limit, ReadHeaderTimeout: 10 * time.Second}
	go limitSrv.Serve(ln)
	defer limitSrv.Close()

	if *profile != "" {
		if err := os.MkdirAll(*profile, 0o755); err != nil {
			return err
		}
	}
	seconds, err := time.ParseDuration(*duration)
	if err != nil {
		return fmt.Errorf("-d: %w", err)
	}
	const row = "%-14s %5v %12v %10v %13v %11v %6v %9v %10v %10v\n"
	fmt.Printf(row, "request", "round", "limit req/s", "limit p99", "server req/s", "server p99", "ratio",
		"limit µs", "server µs", "cpu ratio")
	for round := 1; round <= *rounds; round++ {
		for _, rq := range chosen {
			wrkArgs := []string{"-t" + strconv.Itoa(*threads), "-c" + strconv.Itoa(*conns), "-d" + *duration, "--latency"}
			if t := tokens[rq.user]; t != "" {
				wrkArgs = append(wrkArgs, "-H", "Authorization: "+bearer(t))
			}
			lim, err := runWrk(os.Getpid(), append(wrkArgs, "http://"+limitAddr+rq.path))
			if err != nil {
				return fmt.Errorf("%s, limit: %w", rq.name, err)
			}
			var done chan error
			if *profile != "" && round == 1 {
				done = make(chan error, 1)
				go func() { done <- saveProfiles(pprofAddr, *profile, rq.name, seconds) }()
			}
			got, err := runWrk(srv.Process.Pid, append(wrkArgs, "http://"+addr+rq.path))
			if err != nil {
				return fmt.Errorf("%s, server: %w", rq.name, err)
			}
			if done != nil {
				if err := <-done; err != nil {
					return fmt.Errorf("%s, profile: %w", rq.name, err)
				}
			}
			fmt.Printf(row, rq.name, round, fmt.Sprintf("%.0f", lim.rps), lim.p99,
				fmt.Sprintf("%.0f", got.rps), got.p99, fmt.Sprintf("%.2f", got.rps/lim.rps),
				lim.cpuPerRequest(), got.cpuPerRequest(), cpuRatio(lim, got))
		}
	}
	return nil
}

// seed fills the database at path through the stores, in one transaction:
// users user1..user1000 (password "password", hashed at bcrypt's lowest
// cost to seed quickly), each with an inventory and a player; items
// "Item 1".. "Item 1000"; 20 of them in every inventory; and the user
// hoarder, whose inventory holds 10,000 items of their own, heavier than
// the others, so the plain item list shows the first 1,000 as before.
func seed(ctx context.Context, path string) error {
	db, err := storage.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	return storage.RunInTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		invs, err := inventory.NewSQLStore(tx, nil)
		if err != nil {
			return err
		}
		ps, err := players.NewSQLStore(tx, nil)
		if err != nil {
			return err
		}
		acc, err := accounts.New(tx, &accounts.Options{
			BcryptCost: bcrypt.MinCost,
			Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
			OnCreate: func(ctx context.Context, tx bun.Tx, u accounts.User) error {
				if err := invs.CreateInventory(ctx, &inventory.Inventory{UserID: u.ID, Username: u.Username}); err != nil {
					return err
				}
				return ps.CreatePlayer(ctx, &players.Player{UserID: u.ID, Username: u.Username})
			},
		})
		if err != nil {
			return err
		}
		itemIDs := make([]int64, 0, items)
		for i := 1; i <= items; i++ {
			it := inventory.Item{Name: fmt.Sprintf("Item %d", i), Weight: float64(i%100) + 0.5}
			if err := invs.CreateItem(ctx, &it); err != nil {
				return err
			}
			itemIDs = append(itemIDs, it.ID)
		}
		for i := 1; i <= users; i++ {
			u, err := acc.CreateUser(ctx, fmt.Sprintf("user%d", i), "password", false)
			if err != nil {
				return err
			}
			inv, err := invs.InventoryOfUser(ctx, u.ID)
			if err != nil {
				return err
			}
			mine := make([]int64, perInventory)
			for k := range mine {
				mine[k] = itemIDs[(i*perInventory+k)%items]
			}
			if err := invs.AddItems(ctx, inv.ID, mine...); err != nil {
				return err
			}
		}
		u, err := acc.CreateUser(ctx, "hoarder", "password", false)
		if err != nil {
			return err
		}
		inv, err := invs.InventoryOfUser(ctx, u.ID)
		if err != nil {
			return err
		}
		hoardIDs := make([]int64, 0, hoard)
		for i := 1; i <= hoard; i++ {
			it := inventory.Item{Name: fmt.Sprintf("Hoard %d", i), Weight: 1000}
			if err := invs.CreateItem(ctx, &it); err != nil {
				return err
			}
			hoardIDs = append(hoardIDs, it.ID)
		}
		return invs.AddItems(ctx, inv.ID, hoardIDs...)
	})
}

// issueTokens issues a bearer token to user1 and to the hoarder.
func issueTokens(ctx context.Context, path string) (map[string]string, error) {
	db, err := storage.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	acc, err := accounts.New(db, &accounts.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		return nil, err
	}
	tokens := map[string]string{}
	for _, name := range []string{"user1", "hoarder"} {
		u, err := acc.UserByUsername(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if tokens[name], _, err = acc.IssueToken(ctx, u.ID); err != nil {
			return nil, err
		}
	}
	return tokens, nil
}

// reply is a response the limit replays.
type reply struct {
	header http.Header
	body   []byte
}

// limitHandler answers each request, by path, query and Authorization
// header, with the status 200, headers and body the server gave it.
type limitHandler struct{ replies map[string]reply }

func key(pathQuery, authorization string) string { return pathQuery + "\n" + authorization }

func (l *limitHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rp, ok := l.replies[key(r.URL.RequestURI(), r.Header.Get("Authorization"))]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	for k, v := range rp.header {
		h[k] = v
	}
	w.WriteHeader(http.StatusOK)
	w.Write(rp.body)
}

func fetch(url, token string) (reply, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return reply{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", bearer(token))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return reply{}, fmt.Errorf("GET %s: %s %s", url, resp.Status, body)
	}
	h := resp.Header.Clone()
	h.Del("Date") // net/http sets its own
	return reply{header: h, body: body}, nil
}

// result is what wrk measured, and the CPU time the process it loaded
// used meanwhile (0 where /proc cannot tell).
type result struct {
	rps      float64
	p99      string
	requests int
	cpu      time.Duration
}

// cpuPerRequest is the CPU time per request in microseconds, as text.
func (r result) cpuPerRequest() string {
	if r.cpu == 0 || r.requests == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(r.cpu.Microseconds())/float64(r.requests))
}

// cpuRatio is the limit's CPU time per request over the server's: the
// share of the limit's req/s the server would reach if both had the
// machine to themselves and the CPU were all that counted.
func cpuRatio(limit, server result) string {
	if limit.cpu == 0 || server.cpu == 0 || limit.requests == 0 || server.requests == 0 {
		return "-"
	}
	l := float64(limit.cpu) / float64(limit.requests)
	s := float64(server.cpu) / float64(server.requests)
	return fmt.Sprintf("%.2f", l/s)
}

// processCPU returns the user and system CPU time process pid has used, from
// /proc/pid/stat, in clock ticks of 10 ms (Linux's USER_HZ); 0 where there
// is no /proc.
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command's name, which is in parentheses and may
	// hold spaces: state is the first, utime the 12th and stime the 13th.
	i := strings.LastIndexByte(string(b), ')')
	fields := strings.Fields(string(b[i+1:]))
	if i < 0 || len(fields) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

var (
	rpsLine = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	p99Line = regexp.MustCompile(`\s99%\s+(\S+)`)
	nonOK   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	total   = regexp.MustCompile(`(\d+) requests in`)
)

// runWrk runs wrk with args against process pid, which serves its URL.
func runWrk(pid int, args []string) (result, error) {
	before := processCPU(pid)
	out, err := exec.Command("wrk", args...).CombinedOutput()
	cpu := processCPU(pid) - before
	if before == 0 {
		cpu = 0
	}
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	if m := nonOK.FindSubmatch(out); m != nil {
		return result{}, fmt.Errorf("wrk saw %s responses that were not 200:\n%s", m[1], out)
	}
	rps, p99 := rpsLine.FindSubmatch(out), p99Line.FindSubmatch(out)
	if rps == nil || p99 == nil {
		return result{}, fmt.Errorf("cannot read wrk's output:\n%s", out)
	}
	n, _ := strconv.ParseFloat(string(rps[1]), 64)
	res := result{rps: n, p99: string(p99[1]), cpu: cpu}
	if m := total.FindSubmatch(out); m != nil {
		res.requests, _ = strconv.Atoi(string(m[1]))
	}
	return res, nil
}

// saveProfiles saves a CPU profile and the allocations of the server
// while wrk runs for d, leaving a second at either end.
func saveProfiles(pprofAddr, dir, name string, d time.Duration) error {
	secs := max(int(d/time.Second)-2, 1)
	time.Sleep(time.Second)
	errs := make(chan error, 2)
	for _, p := range []struct{ path, file string }{
		{"profile", name + ".cpu.pprof"}, {"allocs", name + ".allocs.pprof"},
	} {
		go func() {
			errs <- download(fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", pprofAddr, p.path, secs), filepath.Join(dir, p.file))
		}()
	}
	return errors.Join(<-errs, <-errs)
}

func download(url, file string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func waitFor(url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no 200 in 30s (last: %v)", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port free now.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func bearer(token string) string {
	if token == "" {
		return ""
	}
	return "Bearer " + token
}

func who(user string) string {
	if user == "" {
		return "anonymous"
	}
	return "as " + user
}
