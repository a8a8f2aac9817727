package storage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/uptrace/bun"
)

// Memory is the DSN of a private in-memory SQLite database (see the sqlite
// package): it lives as long as the *bun.DB that Open returns.
const Memory = ":memory:"

// Opener opens a database from a DSN with the settings gamekit's stores
// need, and checks nothing else: Open pings it.
type Opener func(ctx context.Context, dsn string) (*bun.DB, error)

var (
	driversMu sync.RWMutex
	drivers   = map[string]Opener{}
)

// Register makes open the Opener of DSNs with the given scheme
// ("postgres" for postgres://...). The scheme "" stands for DSNs without
// one: file paths and Memory. Driver packages call it from init, so a
// program links only the drivers it imports, as with database/sql:
//
//	import _ "github.com/gamekit/gamekit/storage/sqlite"
//
// It panics if the scheme has an Opener already, since two drivers
// claiming one scheme is a bug in the program, not a run-time condition.
func Register(scheme string, open Opener) {
	driversMu.Lock()
	defer driversMu.Unlock()
	if _, dup := drivers[scheme]; dup {
		panic(fmt.Sprintf("storage: Register called twice for scheme %q", scheme))
	}
	drivers[scheme] = open
}

// Open opens the database named by dsn and checks that it answers. The
// DSN's scheme picks the driver, which its package registered:
//
//   - postgres:// and postgresql:// URLs: import storage/postgres;
//   - a file path (created if missing) or Memory: import storage/sqlite.
//
// Each driver package's doc says which settings it applies and why; open
// gamekit's databases only through Open, since the stores rely on them (a
// SQLite database opened the usual way turns concurrent writes into
// "database is locked" errors).
func Open(ctx context.Context, dsn string) (*bun.DB, error) {
	if dsn == "" {
		return nil, errors.New("storage: empty DSN")
	}
	scheme := ""
	if i := strings.Index(dsn, "://"); i > 0 {
		scheme = dsn[:i]
	}
	driversMu.RLock()
	open := drivers[scheme]
	driversMu.RUnlock()
	if open == nil {
		return nil, fmt.Errorf("storage: no driver for %s (registered: %s); import its package, as _ \"github.com/gamekit/gamekit/storage/sqlite\" or .../storage/postgres", Redact(dsn), registered())
	}
	db, err := open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", Redact(dsn), err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: open %s: %w", Redact(dsn), err)
	}
	return db, nil
}

func registered() string {
	driversMu.RLock()
	defer driversMu.RUnlock()
	var names []string
	for scheme := range drivers {
		if scheme == "" {
			scheme = "file paths"
		}
		names = append(names, scheme)
	}
	if len(names) == 0 {
		return "none"
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Redact returns dsn with any password replaced, fit for an error or a log
// line.
func Redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			userinfo := dsn[i+3 : at]
			if colon := strings.Index(userinfo, ":"); colon >= 0 {
				return dsn[:i+3] + userinfo[:colon] + ":xxxxx" + dsn[at:]
			}
		}
	}
	return dsn
}
