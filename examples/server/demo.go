package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/uptrace/bun"
	"golang.org/x/term"

	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage"
)

// createDemo fills a database that has no users yet with the tutorial's
// content: the Guitar and the Piano, an admin named admin who holds both,
// and a wandering monster. The admin's password is password, or else a
// generated one, logged once. It reports whether it created the content;
// a database with users is left as it is.
//
// It is one transaction: a start that fails half way (on a password too
// short, say) leaves no user behind, so the next start creates it all.
func (b *backend) createDemo(ctx context.Context, password string, logger *slog.Logger) (bool, error) {
	generated := password == ""
	if generated {
		password = rand.Text()[:16]
	}
	// Hashing the password at bcrypt's cost takes a while; the
	// transaction holds SQLite's one writer that long, before the server
	// takes any request.
	created := false
	err := storage.RunInTx(ctx, b.db, func(ctx context.Context, tx bun.Tx) error {
		created = false
		acc, err := accounts.New(tx, &b.accountOpts)
		if err != nil {
			return err
		}
		if n, err := acc.CountUsers(ctx, accounts.ListOptions{}); err != nil || n > 0 {
			return err
		}
		admin, err := acc.CreateUser(ctx, "admin", password, true)
		if err != nil {
			if !generated {
				return fmt.Errorf("the admin's password, GAMEKIT_PASSWORD: %w", err)
			}
			return err
		}
		items, err := inventory.NewSQLStore(tx, nil)
		if err != nil {
			return err
		}
		var ids []int64
		for _, item := range []inventory.Item{{Name: "Guitar", Weight: 2}, {Name: "Piano", Weight: 10}} {
			if err := items.CreateItem(ctx, &item); err != nil {
				return err
			}
			ids = append(ids, item.ID)
		}
		invs, err := items.Inventories(ctx, inventory.ListOptions{UserID: admin.ID})
		if err != nil || len(invs) != 1 {
			return fmt.Errorf("the admin's inventory: %d found, %v", len(invs), err)
		}
		if err := items.AddItems(ctx, invs[0].ID, ids...); err != nil {
			return err
		}
		monsters, err := enemies.NewSQLStore(tx, &enemies.StoreOptions{Publisher: b.hub, Logger: b.log})
		if err != nil {
			return err
		}
		monster := enemies.NewMonster()
		if err := monsters.CreateMonster(ctx, &monster); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		// Two servers starting together on one new PostgreSQL database
		// both find no users; the one that loses the race to create the
		// admin finds the other's.
		if n, cerr := b.accounts.CountUsers(ctx, accounts.ListOptions{}); cerr == nil && n > 0 {
			return false, nil
		}
		return false, fmt.Errorf("demo content: %w", err)
	}
	if !created {
		return false, nil
	}
	if generated {
		logger.Info("demo content created; sign in as admin with the generated password (shown only now)",
			"username", "admin", "password", password)
	} else {
		logger.Info("demo content created; sign in as admin with GAMEKIT_PASSWORD", "username", "admin")
	}
	return true, nil
}

// createSuperuser adds an admin. The password comes from -password (or
// GAMEKIT_PASSWORD), else from a prompt when stdin is a terminal.
func createSuperuser(ctx context.Context, cfg config, stdin io.Reader, logger *slog.Logger) error {
	if cfg.username == "" {
		return errors.New("createsuperuser: -username is required")
	}
	password := cfg.password
	if password == "" {
		var err error
		if password, err = promptPassword(stdin); err != nil {
			return fmt.Errorf("createsuperuser: %w", err)
		}
	}
	db, err := openDB(ctx, cfg.db, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	b, err := newBackend(db, config{}, logger, accounts.Options{})
	if err != nil {
		return err
	}
	defer b.stop(ctx)
	u, err := b.accounts.CreateUser(ctx, cfg.username, password, true)
	if err != nil {
		return fmt.Errorf("createsuperuser: %w", err)
	}
	logger.Info("superuser created", "username", u.Username, "id", u.ID)
	return nil
}

// changePassword sets an existing user's password and revokes the user's
// tokens: the way back in when the demo admin's generated password is
// lost, or GAMEKIT_PASSWORD came too late (it only names the password of a
// new database's admin). The password comes from -password (or
// GAMEKIT_PASSWORD), else from a prompt when stdin is a terminal.
func changePassword(ctx context.Context, cfg config, stdin io.Reader, logger *slog.Logger) error {
	if cfg.username == "" {
		return errors.New("changepassword: -username is required")
	}
	// A mistyped -db would otherwise be created, migrated, and found to
	// have no such user.
	if path := describeDB(cfg.db); filepath.IsAbs(path) {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("changepassword: no database %s", path)
		}
	}
	db, err := openDB(ctx, cfg.db, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	acc, err := accounts.New(db, nil)
	if err != nil {
		return err
	}
	// Asking for a password only to refuse it after is unkind: check the
	// user first.
	u, err := acc.UserByUsername(ctx, cfg.username)
	if errors.Is(err, accounts.ErrUserNotFound) {
		return fmt.Errorf("changepassword: no user %q in %s", cfg.username, describeDB(cfg.db))
	}
	if err != nil {
		return fmt.Errorf("changepassword: %w", err)
	}
	password := cfg.password
	if password == "" {
		if password, err = promptPassword(stdin); err != nil {
			return fmt.Errorf("changepassword: %w", err)
		}
	}
	if err := acc.SetPassword(ctx, u.ID, password); err != nil {
		return fmt.Errorf("changepassword: %w", err)
	}
	logger.Info("password changed; the user's tokens are revoked", "username", u.Username, "id", u.ID)
	return nil
}

// promptPassword asks for a password twice on a terminal, without echo.
func promptPassword(stdin io.Reader) (string, error) {
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("no password: give -password or GAMEKIT_PASSWORD, or run on a terminal")
	}
	read := func(prompt string) (string, error) {
		fmt.Fprint(os.Stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(os.Stderr)
		return strings.TrimRight(string(b), "\r\n"), err
	}
	first, err := read("Password: ")
	if err != nil {
		return "", err
	}
	second, err := read("Password (again): ")
	if err != nil {
		return "", err
	}
	if first != second {
		return "", errors.New("the passwords did not match")
	}
	return first, nil
}
