package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/examples/server/admin"
	"github.com/gamekit/gamekit/examples/server/web"
	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/internal/database"
	"github.com/gamekit/gamekit/internal/rest"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/realtime"
)

// migrations are every package's tables, run by one migrator.
func migrations() []*migrate.Migrations {
	return []*migrate.Migrations{inventory.Migrations(), enemies.Migrations(), gifts.Migrations(), players.Migrations(), accounts.Migrations(), admin.Migrations()}
}

// openDB opens and migrates the database, and reports whether it was new.
func openDB(ctx context.Context, dsn string, logger *slog.Logger) (db *bun.DB, fresh bool, err error) {
	db, err = database.Open(ctx, dsn)
	if err != nil {
		return nil, false, err
	}
	sets := migrations()
	applied, err := database.Migrate(ctx, db, sets...)
	if err != nil {
		db.Close()
		return nil, false, err
	}
	total := 0
	for _, set := range sets {
		total += len(set.Sorted())
	}
	if applied > 0 {
		logger.Info("database migrated", "db", database.Redact(dsn), "migrations", applied)
	}
	return db, applied == total, nil
}

// backend is the example server: gamekit's packages on one database.
type backend struct {
	db        *bun.DB
	accounts  *accounts.Accounts
	inventory *inventory.SQLStore
	monsters  *enemies.SQLStore
	players   *players.SQLStore
	hub       *realtime.Hub
	gifts     *gifts.Scheduler // nil when gifts are off
	handler   http.Handler
	log       *slog.Logger
}

// newBackend wires the packages together. Every package that announces
// changes publishes through the realtime hub. Call stop when done.
func newBackend(db *bun.DB, cfg config, logger *slog.Logger, accountOpts accounts.Options) (*backend, error) {
	hub, err := realtime.New(&realtime.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	b := &backend{db: db, hub: hub, log: logger, inventory: inventory.NewSQLStore(db),
		monsters: enemies.NewSQLStore(db, &enemies.StoreOptions{Publisher: hub})}
	if b.players, err = players.NewSQLStore(db, &players.StoreOptions{Publisher: hub}); err != nil {
		return nil, err
	}
	// Every new user gets an inventory and a player, in the transaction
	// that creates the user; the player is announced once it commits.
	accountOpts.OnCreate = func(ctx context.Context, tx bun.Tx, u accounts.User) error {
		if err := inventory.NewSQLStore(tx).CreateInventory(ctx, &inventory.Inventory{UserID: u.ID, Username: u.Username}); err != nil {
			return err
		}
		inTx, err := players.NewSQLStore(tx, nil)
		if err != nil {
			return err
		}
		return inTx.CreatePlayer(ctx, &players.Player{UserID: u.ID, Username: u.Username})
	}
	accountOpts.OnCreated = b.announcePlayers
	accountOpts.DisableRegistration = !cfg.register
	if accountOpts.Logger == nil {
		accountOpts.Logger = logger
	}
	if b.accounts, err = accounts.New(db, &accountOpts); err != nil {
		return nil, err
	}
	items, err := inventory.NewHandler(b.inventory, &inventory.HandlerOptions{Users: usernames{b.accounts}})
	if err != nil {
		return nil, err
	}
	monsters, err := enemies.NewHandler(b.monsters, nil)
	if err != nil {
		return nil, err
	}
	playerAPI, err := players.NewHandler(b.players, nil)
	if err != nil {
		return nil, err
	}
	hub.Channel(enemies.Channel, realtime.Public)
	players.RegisterRealtime(hub, b.players)
	if cfg.giftInterval < 0 {
		return nil, fmt.Errorf("-gift-interval %s: must not be negative", cfg.giftInterval)
	}
	if cfg.giftInterval > 0 {
		b.gifts, err = gifts.New(db, b.inventory, &gifts.Options{Interval: cfg.giftInterval, Logger: logger, Publisher: hub})
		if err != nil {
			return nil, err
		}
	}

	adm, err := admin.New(&admin.Options{
		Accounts: b.accounts, Inventory: b.inventory, Monsters: b.monsters, Players: b.players, DB: db,
		Gifts:           b.gifts, // nil when gifts are off
		RealtimeClients: func() int { return hub.Stats().Clients },
		Logger:          logger,
	})
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.Handle("/admin/", adm)
	mux.Handle("/admin", adm)
	api := apiRoot{}
	api.mount(mux, items, "items", "inventories")
	api.mount(mux, monsters, "monsters")
	api.mount(mux, playerAPI, "players")
	api.mount(mux, b.accounts.Handler(), "auth")
	mux.Handle("/api/realtime/ticket/", hub.TicketHandler())
	mux.Handle("/api/realtime/ticket", hub.TicketHandler())
	mux.Handle("GET /api/{$}", api)
	mux.Handle("GET /api", api)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		rest.WriteError(w, r, gamekit.ErrNotFound)
	})
	mux.Handle("/ws", hub)
	mux.HandleFunc("GET /healthz", b.healthz)
	mux.Handle("/", web.Handler())
	b.handler = logRequests(logger, b.accounts.Middleware(mux))
	return b, nil
}

// announcePlayers tells every screen about a new user's players, which
// OnCreate made inside the user's transaction and so could not announce.
func (b *backend) announcePlayers(ctx context.Context, u accounts.User) {
	list, err := b.players.Players(ctx, players.ListOptions{UserID: u.ID})
	if err != nil {
		b.log.Warn("new players not announced", "user", u.ID, "error", err)
		return
	}
	for _, p := range list {
		if err := b.hub.Publish(ctx, gamekit.Event{Channel: players.Channel, Name: players.EventCreated, Data: p}); err != nil {
			b.log.Warn("new player not announced", "player", p.ID, "error", err)
		}
	}
}

// stop finishes the gift tick in progress and releases the lease, then
// closes every websocket (with 1001), so the last tick's events are still
// delivered. The database is the caller's to close, after.
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
	return errors.Join(errs...)
}

// usernames lets the inventory API name the user of an inventory.
type usernames struct{ *accounts.Accounts }

func (u usernames) Username(ctx context.Context, id int64) (string, error) {
	user, err := u.User(ctx, id)
	return user.Username, err
}

// apiRoot is GET /api/: the absolute URL of every collection mounted, as
// Django REST framework's router lists them.
type apiRoot map[string]string

// mount serves h under /api/ for each collection, with or without the
// trailing slash; h sees paths without the /api prefix.
func (root apiRoot) mount(mux *http.ServeMux, h http.Handler, collections ...string) {
	h = http.StripPrefix("/api", h)
	for _, c := range collections {
		mux.Handle("/api/"+c, h)
		mux.Handle("/api/"+c+"/", h)
		if c != "auth" { // not a collection
			root[c] = "/api/" + c + "/"
		}
	}
}

func (root apiRoot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	urls := make(map[string]string, len(root))
	for name, path := range root {
		urls[name] = rest.AbsoluteURL(r, path)
	}
	rest.WriteJSON(w, r, http.StatusOK, urls)
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
	db, fresh, err := openDB(ctx, cfg.db, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	b, err := newBackend(db, cfg, logger, accounts.Options{})
	if err != nil {
		return err
	}
	if fresh && cfg.demo {
		if err := b.createDemo(ctx, getenv("GAMEKIT_PASSWORD"), logger); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           b.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("serving", "addr", ln.Addr().String(), "db", database.Redact(cfg.db))
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
	db, _, err := openDB(ctx, cfg.db, logger)
	if err != nil {
		return err
	}
	logger.Info("database is up to date", "db", database.Redact(cfg.db))
	return db.Close()
}

// logRequests logs every request once it is answered.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr))
	})
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
