package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/examples/server/admin"
	"github.com/gamekit/gamekit/examples/server/web"
	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/leaderboards"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/rest"
	"github.com/gamekit/gamekit/storage"
	_ "github.com/gamekit/gamekit/storage/postgres" // postgres:// URLs
	_ "github.com/gamekit/gamekit/storage/sqlite"   // file paths and :memory:
)

// migrations are every package's tables, run by one migrator.
func migrations() []*migrate.Migrations {
	return []*migrate.Migrations{inventory.Migrations(), enemies.Migrations(), gifts.Migrations(), players.Migrations(), accounts.Migrations(), admin.Migrations(),
		leaderboards.Migrations(), chat.Migrations()}
}

// openDB opens and migrates the database.
func openDB(ctx context.Context, dsn string, logger *slog.Logger) (*bun.DB, error) {
	db, err := storage.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	applied, err := storage.Migrate(ctx, db, migrations()...)
	if err != nil {
		db.Close()
		return nil, err
	}
	if applied > 0 {
		logger.Info("database migrated", "db", describeDB(dsn), "migrations", applied)
	}
	return db, nil
}

// describeDB names the database for a log line: a SQLite file by its
// absolute path, so a newcomer finds the file the server writes whatever
// directory it was started in, and a URL without its password.
func describeDB(dsn string) string {
	if dsn == storage.Memory || strings.Contains(dsn, "://") {
		return storage.Redact(dsn)
	}
	if abs, err := filepath.Abs(dsn); err == nil {
		return abs
	}
	return dsn
}

// siteURL is the URL a browser on this machine opens to reach a server
// listening on addr: localhost when it listens on every interface.
func siteURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// backend is the example server: gamekit's packages on one database.
type backend struct {
	db        *bun.DB
	accounts  *accounts.Accounts
	inventory *inventory.SQLStore
	monsters  *enemies.SQLStore
	players   *players.SQLStore
	hub       *realtime.Hub
	cluster   *cluster         // the hub's broker, when other processes share it
	gifts     *gifts.Scheduler // nil when gifts are off
	metrics   *serverMetrics   // nil when metrics are off
	social    *social          // chat and leaderboards (social.go)
	handler   http.Handler
	log       *slog.Logger
	// accountOpts make an Accounts on a transaction (the demo content's)
	// that treats users as b.accounts does.
	accountOpts accounts.Options
}

// newBackend wires the packages together. Every package that announces
// changes publishes through the realtime hub. Call stop when done.
func newBackend(db *bun.DB, cfg config, logger *slog.Logger, accountOpts accounts.Options) (*backend, error) {
	sm, err := newServerMetrics(cfg.metricsAddr)
	if err != nil {
		return nil, err
	}
	cl, err := joinCluster(cfg.redis, cfg.redisPrefix, logger)
	if err != nil {
		return nil, err
	}
	hub, err := realtime.New(&realtime.Options{Logger: logger, Broker: cl.hubBroker(), ObservePublish: sm.observePublish()})
	if err != nil {
		cl.close()
		return nil, err
	}
	b := &backend{db: db, hub: hub, cluster: cl, log: logger, metrics: sm}
	if b.inventory, err = inventory.NewSQLStore(db, nil); err != nil {
		return nil, err
	}
	if b.monsters, err = enemies.NewSQLStore(db, &enemies.StoreOptions{Publisher: hub, Logger: logger}); err != nil {
		return nil, err
	}
	if b.players, err = players.NewSQLStore(db, &players.StoreOptions{Publisher: hub, Logger: logger}); err != nil {
		return nil, err
	}
	// Every new user gets an inventory and a player, in the transaction
	// that creates the user; the player is announced once it commits.
	accountOpts.OnCreate = func(ctx context.Context, tx bun.Tx, u accounts.User) error {
		invs, err := inventory.NewSQLStore(tx, nil)
		if err != nil {
			return err
		}
		if err := invs.CreateInventory(ctx, &inventory.Inventory{UserID: u.ID, Username: u.Username}); err != nil {
			return err
		}
		ps, err := players.NewSQLStore(tx, &players.StoreOptions{Publisher: hub, Logger: logger})
		if err != nil {
			return err
		}
		return ps.CreatePlayer(ctx, &players.Player{UserID: u.ID, Username: u.Username})
	}
	accountOpts.DisableRegistration = !cfg.register
	if accountOpts.Logger == nil {
		accountOpts.Logger = logger
	}
	// A new password, other admin rights or a deletion end the user's open
	// websockets and unused tickets too, on every server.
	accountOpts.OnRevoke = func(ctx context.Context, userID int64) {
		if err := hub.SignOut(ctx, userID); err != nil {
			logger.Warn("websockets of a revoked user not closed", "user", userID, "err", err)
		}
	}
	b.accountOpts = accountOpts
	if b.accounts, err = accounts.New(db, &accountOpts); err != nil {
		return nil, err
	}
	items, err := inventory.NewHandler(b.inventory, &inventory.HandlerOptions{Users: usernames{b.accounts}, Logger: logger})
	if err != nil {
		return nil, err
	}
	monsters, err := enemies.NewHandler(b.monsters, &enemies.HandlerOptions{Logger: logger})
	if err != nil {
		return nil, err
	}
	if b.social, err = newSocial(db, hub, b.accounts, logger); err != nil {
		return nil, err
	}
	moves := b.social.countMoves(b.players) // players' own moves count on moves-today
	playerAPI, err := players.NewHandler(moves, &players.HandlerOptions{Logger: logger})
	if err != nil {
		return nil, err
	}
	hub.Channel(enemies.Channel, realtime.Public)
	players.RegisterRealtime(hub, moves)
	if cfg.giftInterval < 0 {
		return nil, fmt.Errorf("-gift-interval %s: must not be negative", cfg.giftInterval)
	}
	if cfg.giftInterval > 0 {
		b.gifts, err = gifts.New(db, b.inventory, &gifts.Options{Interval: cfg.giftInterval, Logger: logger, Publisher: hub, OnTick: sm.onTick()})
		if err != nil {
			return nil, err
		}
	}

	adm, err := admin.New(&admin.Options{
		Accounts: b.accounts, Inventory: b.inventory, Monsters: b.monsters, Players: b.players, DB: db,
		Gifts:           b.gifts, // nil when gifts are off
		RealtimeClients: func() int { return hub.Stats().Clients },
		Logger:          logger,
		Leaderboards:    b.social.boards, Chat: b.social.chat, // social.go
	})
	if err != nil {
		return nil, err
	}

	api := rest.NewAPI("/api")
	api.Mount(items, "items", "inventories")
	api.Mount(monsters, "monsters")
	api.Mount(playerAPI, "players")
	if err := b.social.mount(api, logger); err != nil {
		return nil, err
	}
	api.Handle("auth", b.accounts.Handler())
	api.Handle("realtime/ticket", hub.TicketHandler())

	mux := http.NewServeMux()
	mux.Handle("/admin/", adm)
	mux.Handle("/admin", adm)
	api.Register(mux)
	mux.Handle("/ws", hub)
	mux.HandleFunc("GET /healthz", b.healthz)
	mux.Handle("/", web.Handler())
	if b.handler, err = logRequests(logger, cfg.logRequests, sm.instrument(b.accounts.Middleware, mux)); err != nil {
		return nil, err
	}
	proxies, err := rest.ParsePrefixes(cfg.proxies)
	if err != nil {
		return nil, fmt.Errorf("-trusted-proxies: %w", err)
	}
	b.handler = rest.TrustProxies(proxies, b.handler)
	if err := sm.collect(hub, cl.broker, b.gifts); err != nil {
		return nil, err
	}
	return b, nil
}

// stop finishes the gift tick in progress and releases the lease, then
// closes every websocket (with 1001), so the last tick's events are still
// delivered, then the Redis broker and client, if any. The database is the
// caller's to close, after.
func (b *backend) stop(ctx context.Context) error {
	var errs []error
	if b.gifts != nil {
		if err := b.gifts.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop gifts: %w", err))
		}
	}
	if err := b.hub.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("close websockets: %w", err))
	}
	if err := b.cluster.close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// usernames lets the inventory API name the user of an inventory.
type usernames struct{ *accounts.Accounts }

func (u usernames) Username(ctx context.Context, id int64) (string, error) {
	user, err := u.User(ctx, id)
	return user.Username, err
}

// healthz answers 200 while the database answers, 503 otherwise.
func (b *backend) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := b.db.PingContext(ctx); err != nil {
		rest.WriteJSON(w, r, http.StatusServiceUnavailable, rest.Detail{Detail: "database unavailable"})
		return
	}
	rest.WriteJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
}

// serve runs the server until ctx is cancelled, then stops taking
// connections, lets requests in flight finish (up to shutdownTimeout) and
// closes the database.
func serve(ctx context.Context, cfg config, getenv func(string) string, logger *slog.Logger) error {
	db, err := openDB(ctx, cfg.db, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	b, err := newBackend(db, cfg, logger, accounts.Options{})
	if err != nil {
		return err
	}
	password := getenv("GAMEKIT_PASSWORD")
	created := false
	if cfg.demo {
		if created, err = b.createDemo(ctx, password, logger); err != nil {
			return err
		}
	}
	if password != "" && !created {
		// Setting the password of a database made earlier is a mistake
		// worth saying out loud: the admin still has the old one.
		why := "the database has users already"
		if !cfg.demo {
			why = "-demo is off"
		}
		logger.Warn("GAMEKIT_PASSWORD is not used: it is the password of the demo admin, made only with the demo content; "+
			"to change a user's password, run: server changepassword -username admin", "reason", why)
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	stopMetrics, err := b.metrics.listen(cfg.metricsAddr, logger)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopMetrics()
	srv := &http.Server{
		Handler:           b.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		// Every request carries the logger its handlers log to already, so
		// they need not copy the request to add it (see rest.Mux).
		BaseContext: func(net.Listener) context.Context { return rest.WithLogger(context.Background(), logger) },
	}
	site := siteURL(ln.Addr())
	logger.Info("serving", "page", site, "admin", site+"admin/", "addr", ln.Addr().String(), "db", describeDB(cfg.db))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	if b.gifts != nil {
		if err := b.gifts.Start(ctx); err != nil {
			srv.Close()
			<-done
			b.stop(context.Background())
			return err
		}
		logger.Info("gifts on", "interval", cfg.giftInterval)
	}

	var serveErr error
	select {
	case serveErr = <-done:
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// Requests in flight finish, then the gift tick in progress commits
	// and the lease is released, so another server takes the next tick at
	// once; the database closes last.
	if err := srv.Shutdown(shutdownCtx); err != nil && serveErr == nil {
		serveErr = fmt.Errorf("shutdown: %w", err)
	}
	if serveErr == nil {
		<-done
	}
	// Shutdown does not wait for websockets (hijacked connections): they
	// stay open through the drain and close after the last gift tick.
	if err := b.stop(shutdownCtx); err != nil && serveErr == nil {
		serveErr = err
	}
	if serveErr == nil {
		logger.Info("stopped")
	}
	return serveErr
}

// shutdownTimeout bounds how long requests in flight may take to finish.
const shutdownTimeout = 10 * time.Second

func migrateCommand(ctx context.Context, cfg config, logger *slog.Logger) error {
	db, err := openDB(ctx, cfg.db, logger)
	if err != nil {
		return err
	}
	logger.Info("database is up to date", "db", describeDB(cfg.db))
	return db.Close()
}

// The values of -log-requests.
const (
	logAll    = "all"    // every request
	logErrors = "errors" // requests answered with 400 or above
	logNone   = "none"
)

// logRequests logs requests once they are answered: all of them, those
// answered with an error status, or none, as which (-log-requests) says;
// "" is all. A logged request costs a line formatted by logger's handler;
// the server's log output gathers lines and writes them a few times a
// second (see logWriter). With none, no wrapper is left at all.
func logRequests(logger *slog.Logger, which string, next http.Handler) (http.Handler, error) {
	minStatus := 0
	switch which {
	case logAll, "":
	case logErrors:
		minStatus = http.StatusBadRequest
	case logNone:
		return next, nil
	default:
		return nil, fmt.Errorf("-log-requests %q: want %s, %s or %s", which, logAll, logErrors, logNone)
	}
	handler := logger.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if rec.status < minStatus || !handler.Enabled(r.Context(), slog.LevelInfo) {
			return
		}
		// The record is made here rather than by logger.LogAttrs, which
		// would read the time again and walk the stack for the caller's
		// line (a third of the cost of a line), a line nobody needs: it
		// would always name this one.
		end := time.Now()
		line := slog.NewRecord(end, slog.LevelInfo, "request", 0)
		line.AddAttrs(slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("duration", end.Sub(start)),
			slog.String("remote", r.RemoteAddr))
		handler.Handle(r.Context(), line) // as Logger does: a log has nowhere to report its own failure
	}), nil
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection (for
// flushing).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Hijack hands the connection to a websocket upgrade, which asks for
// http.Hijacker directly rather than through http.ResponseController. The
// log then shows 101.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err == nil {
		r.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}
