package gamekit_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// goList runs `go list` with args and returns its lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Skipf("go list %v: %v (no go command here?)", args, err)
	}
	return strings.Fields(string(out))
}

// A domain package links a database driver, the websocket library or the
// Redis client only if it really needs it: a host on PostgreSQL does not
// carry SQLite's C library translated to Go, and the reverse; a host
// without Redis does not carry its client (realtime's Redis broker is a
// package of its own); a host without metrics does not carry Prometheus's
// client, which only package metrics links (and metrics, in turn, links
// no driver and no Redis client).
func TestDomainPackagesLinkNoDriver(t *testing.T) {
	heavy := []string{"github.com/uptrace/bun/driver/pgdriver", "modernc.org/sqlite", "github.com/olahol/melody", "github.com/redis/go-redis/v9", "github.com/prometheus/client_golang/prometheus"}
	// players, leaderboards and chat register realtime routes on realtime.Hub, which is melody.
	needs := map[string][]string{"players": {"github.com/olahol/melody"}, "leaderboards": {"github.com/olahol/melody"}, "chat": {"github.com/olahol/melody"}, "realtime": {"github.com/olahol/melody"},
		"metrics": {"github.com/olahol/melody", "github.com/prometheus/client_golang/prometheus"}}
	for _, pkg := range []string{"inventory", "enemies", "enemies/fsm", "players", "gifts", "leaderboards", "chat", "realtime", "storage", "rest", "metrics"} {
		deps := goList(t, "-deps", "./"+pkg)
		for _, dep := range heavy {
			if slices.Contains(deps, dep) && !slices.Contains(needs[pkg], dep) {
				t.Errorf("%s links %s", pkg, dep)
			}
		}
	}
}

// examples/ holds hosts like any other: they use the public API only, so
// anything they need is something every host needs, and exported.
func TestExamplesImportNothingInternal(t *testing.T) {
	for _, line := range goList(t, "-f", `{{.ImportPath}}:{{join .Imports ","}}`, "./examples/...") {
		pkg, imports, _ := strings.Cut(line, ":")
		for imp := range strings.SplitSeq(imports, ",") {
			if strings.Contains(imp, "/internal/") || strings.HasSuffix(imp, "/internal") {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}
