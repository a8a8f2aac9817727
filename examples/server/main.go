// Command server is gamekit's complete example backend: the inventory API
// of the Django REST framework tutorial with accounts, on SQLite or
// PostgreSQL. It only wires gamekit's packages together; read it as the
// reference for wiring them into a server of your own.
//
// Usage:
//
//	server [serve] [-addr :8000] [-db gamekit.db] [-demo=true] [-register=true] [-gift-interval 10s]
//	       [-log-requests all] [-metrics-addr 127.0.0.1:9090] [-redis redis://...]
//	server migrate [-db ...]
//	server createsuperuser -username NAME [-password PASSWORD] [-db ...]
//	server changepassword -username NAME [-password PASSWORD] [-db ...]
//	server help
//
// Every flag has an environment equivalent, GAMEKIT_ and the flag's name in
// capitals with "-" as "_" (-db is GAMEKIT_DB); a flag on the command line
// wins. On a database without users, serve creates the demo content (an
// admin whose password is GAMEKIT_PASSWORD, or else a generated one it
// logs) and logs how to sign in.
//
// Prometheus metrics are off by default: -metrics-addr (GAMEKIT_METRICS_ADDR)
// serves them at /metrics on a listener of their own, never on the game's
// address, so that only the operator's scraper reaches them. Give it a
// private address (127.0.0.1:9090, or one on the private network the
// scraper is on).
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
	"text/tabwriter"
	"time"

	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/realtime/redisbroker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := newLogWriter(os.Stderr)
	logger := slog.New(slog.NewTextHandler(out, nil))
	slog.SetDefault(logger) // gamekit's packages log through the default logger
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, logger)
	if err != nil && !errors.Is(err, flag.ErrHelp) { // help was asked for and printed: a success
		logger.Error(err.Error())
	}
	out.Close()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
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
	logRequests  string
	metricsAddr  string
	redis        string // a redis:// URL joins a cluster (cluster.go)
	redisPrefix  string
	proxies      string // the reverse proxies trusted for X-Forwarded-For
	username     string
	password     string
}

// commands are the subcommands, in the order help lists them.
var commands = []struct{ name, args, what string }{
	{"serve", "[flags]", "serve the API, the live page and the admin (the default)"},
	{"migrate", "[-db ...]", "create or update the database's tables, then exit"},
	{"createsuperuser", "-username NAME [-password ...]", "add an admin"},
	{"changepassword", "-username NAME [-password ...]", "set a user's password and sign them out everywhere"},
	{"help", "", "print this help"},
}

// run carries out the subcommand named by args[0] (serve when args starts
// with a flag or is empty) until it is done or ctx is cancelled. Help,
// asked for with help, -h or -help, goes to stdout, and run returns
// flag.ErrHelp.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer, logger *slog.Logger) error {
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
		fs.BoolVar(&cfg.demo, "demo", true, "create demo content (items, a monster, an admin) in a database without users")
		fs.BoolVar(&cfg.register, "register", true, "let anyone register an account")
		fs.DurationVar(&cfg.giftInterval, "gift-interval", gifts.DefaultInterval, "give every player a gift this often (0 turns gifts off)")
		fs.StringVar(&cfg.logRequests, "log-requests", logAll, "which requests to log: all, errors (answered 400 or above) or none")
		fs.StringVar(&cfg.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at /metrics on this address of their own, kept private (e.g. 127.0.0.1:9090); empty: no metrics")
		fs.StringVar(&cfg.redis, "redis", "", "a redis://host:port/db URL: share channels, tickets and presence with every server on it and on -db (default: in process)")
		fs.StringVar(&cfg.redisPrefix, "redis-prefix", redisbroker.DefaultPrefix, "the prefix of this game's keys in Redis, so several games can share one")
		fs.StringVar(&cfg.proxies, "trusted-proxies", "", "the reverse proxies in front of this server, as addresses and networks (e.g. 10.0.0.0/8,127.0.0.1): their X-Forwarded-For names the client that throttles, caps and logs see")
	case "migrate":
	case "createsuperuser":
		fs.StringVar(&cfg.username, "username", "", "the new admin's username (required)")
		fs.StringVar(&cfg.password, "password", "", "the new admin's password (default: GAMEKIT_PASSWORD, else asked on the terminal)")
	case "changepassword":
		fs.StringVar(&cfg.username, "username", "", "the user whose password changes (required)")
		fs.StringVar(&cfg.password, "password", "", "the new password (default: GAMEKIT_PASSWORD, else asked on the terminal)")
	case "help":
		usage(stdout, nil)
		return flag.ErrHelp
	default:
		return fmt.Errorf("unknown command %q: want serve, migrate, createsuperuser or changepassword (server -h says more)", command)
	}
	// The flag package would print usage on every mistake; the mistake
	// alone is logged instead, and usage printed only when asked for.
	fs.SetOutput(io.Discard)
	if err := parse(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout, fs)
		}
		return err
	}
	switch command {
	case "migrate":
		return migrateCommand(ctx, cfg, logger)
	case "createsuperuser":
		return createSuperuser(ctx, cfg, stdin, logger)
	case "changepassword":
		return changePassword(ctx, cfg, stdin, logger)
	default:
		return serve(ctx, cfg, getenv, logger)
	}
}

// usage prints the commands and, when fs is not nil, the flags of the
// command fs parses.
func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: server [command] [flags]\n\nCommands:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", strings.TrimSpace(c.name+" "+c.args), c.what)
	}
	tw.Flush()
	fmt.Fprint(w, `
Every flag has an environment equivalent: GAMEKIT_ and the flag's name in
capitals with "-" as "_" (-db is GAMEKIT_DB, -gift-interval is
GAMEKIT_GIFT_INTERVAL); a flag on the command line wins.
`)
	if fs == nil {
		fmt.Fprint(w, "\"server COMMAND -h\" lists the flags of a command.\n")
		return
	}
	fmt.Fprintf(w, "\nFlags of %s:\n", fs.Name())
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parse reads the command line, then gives every flag it did not set the
// value of its environment variable, if there is one.
func parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%s: %w (server %[1]s -h lists its flags)", fs.Name(), err)
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
