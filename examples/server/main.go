// Command server is gamekit's complete example backend: the inventory API
// of the Django REST framework tutorial with accounts, on SQLite or
// PostgreSQL. It only wires gamekit's packages together; read it as the
// reference for wiring them into a server of your own.
//
// Usage:
//
//	server [serve] [-addr :8000] [-db gamekit.db] [-demo=true] [-register=true] [-gift-interval 10s]
//	server migrate [-db ...]
//	server createsuperuser -username NAME [-password PASSWORD] [-db ...]
//
// Every flag has an environment equivalent, GAMEKIT_ and the flag's name in
// capitals with "-" as "_" (-db is GAMEKIT_DB); a flag on the command line
// wins. On a new database, serve creates the schema and demo content and
// logs how to sign in.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gamekit/gamekit/gifts"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	slog.SetDefault(logger) // gamekit's packages log through the default logger
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, logger); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			logger.Error(err.Error())
		}
		os.Exit(1)
	}
}

// config is every setting of every subcommand.
type config struct {
	addr         string
	db           string
	demo         bool
	register     bool
	giftInterval time.Duration
	username     string
	password     string
}

// run carries out the subcommand named by args[0] (serve when args starts
// with a flag or is empty) until it is done or ctx is cancelled.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, logger *slog.Logger) error {
	command := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		command, args = args[0], args[1:]
	}
	var cfg config
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.StringVar(&cfg.db, "db", "gamekit.db", "the database: a SQLite file path, :memory:, or a postgres:// URL")
	switch command {
	case "serve":
		fs.StringVar(&cfg.addr, "addr", ":8000", "the address to listen on")
		fs.BoolVar(&cfg.demo, "demo", true, "create demo content (items, an admin) in a new database")
		fs.BoolVar(&cfg.register, "register", true, "let anyone register an account")
		fs.DurationVar(&cfg.giftInterval, "gift-interval", gifts.DefaultInterval, "give every player a gift this often (0 turns gifts off)")
	case "migrate":
	case "createsuperuser":
		fs.StringVar(&cfg.username, "username", "", "the new admin's username (required)")
		fs.StringVar(&cfg.password, "password", "", "the new admin's password (default: GAMEKIT_PASSWORD, else asked on the terminal)")
	default:
		return fmt.Errorf("unknown command %q: want serve, migrate or createsuperuser", command)
	}
	if err := parse(fs, args, getenv); err != nil {
		return err
	}
	switch command {
	case "migrate":
		return migrateCommand(ctx, cfg, logger)
	case "createsuperuser":
		return createSuperuser(ctx, cfg, stdin, logger)
	default:
		return serve(ctx, cfg, getenv, logger)
	}
}

// parse reads the command line, then gives every flag it did not set the
// value of its environment variable, if there is one.
func parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	set := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		if v := getenv(name); v != "" && !set[f.Name] && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, e)
			}
		}
	})
	return err
}

// envName is the environment variable of a flag: -gift-interval is
// GAMEKIT_GIFT_INTERVAL.
func envName(flag string) string {
	return "GAMEKIT_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}
