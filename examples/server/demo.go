package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/inventory"
)

// createDemo fills a new database with the tutorial's content: the Guitar
// and the Piano, an admin named admin who holds both, and a wandering
// monster. The admin's
// password is password, or else a generated one, logged once.
func (b *backend) createDemo(ctx context.Context, password string, logger *slog.Logger) error {
	generated := password == ""
	if generated {
		password = rand.Text()[:16]
	}
	admin, err := b.accounts.CreateUser(ctx, "admin", password, true)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	var ids []int64
	for _, item := range []inventory.Item{{Name: "Guitar", Weight: 2}, {Name: "Piano", Weight: 10}} {
		if err := b.inventory.CreateItem(ctx, &item); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		ids = append(ids, item.ID)
	}
	invs, err := b.inventory.Inventories(ctx, inventory.ListOptions{UserID: admin.ID})
	if err != nil || len(invs) != 1 {
		return fmt.Errorf("demo: the admin's inventory: %v", err)
	}
	if err := b.inventory.AddItems(ctx, invs[0].ID, ids...); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	monster := enemies.NewMonster()
	if err := b.monsters.CreateMonster(ctx, &monster); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if generated {
		logger.Info("demo content created; sign in as admin with the generated password (shown only now)",
			"username", "admin", "password", password)
	} else {
		logger.Info("demo content created; sign in as admin with GAMEKIT_PASSWORD", "username", "admin")
	}
	return nil
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
	db, _, err := openDB(ctx, cfg.db, logger)
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
