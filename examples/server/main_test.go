package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gamekit/gamekit/internal/apitest"
)

// TestMain fails the package's tests if any goroutine outlives them. With
// GAMEKIT_TEST_MAIN=1 the test binary is the server command instead, so a
// test can run the command as a process and see its exit code.
func TestMain(m *testing.M) {
	if os.Getenv("GAMEKIT_TEST_MAIN") == "1" {
		main() // exits with 1 on failure
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// command runs the server command as a process with args and returns its
// exit code and output.
func command(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GAMEKIT_TEST_MAIN=1")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("server %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// Help is a success: it exits 0 and names every command, and the flags of
// the command asked about; a mistake is a failure.
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		wantFlags string // a flag of the command, or "" for none listed
	}{
		{[]string{"-h"}, "-gift-interval"},
		{[]string{"-help"}, "-addr"},
		{[]string{"help"}, ""},
		{[]string{"serve", "-h"}, "-register"},
		{[]string{"changepassword", "-h"}, "-username"},
		{[]string{"createsuperuser", "-h"}, "-password"},
	} {
		code, stdout, stderr := command(t, tc.args...)
		if code != 0 {
			t.Errorf("server %s: exit %d, want 0\n%s", strings.Join(tc.args, " "), code, stderr)
		}
		for _, want := range []string{"serve", "migrate", "createsuperuser", "changepassword", "GAMEKIT_"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("server %s: help does not mention %s:\n%s", strings.Join(tc.args, " "), want, stdout)
			}
		}
		if listed := strings.Contains(stdout, "Flags of"); listed != (tc.wantFlags != "") || !strings.Contains(stdout, tc.wantFlags) {
			t.Errorf("server %s: want the flags %q listed:\n%s", strings.Join(tc.args, " "), tc.wantFlags, stdout)
		}
	}
	for _, args := range [][]string{{"-nope"}, {"frobnicate"}} {
		if code, stdout, stderr := command(t, args...); code == 0 || stdout != "" || !strings.Contains(stderr, "-h") {
			t.Errorf("server %s: exit %d, stdout %q, stderr %q; want a failure pointing at -h", args[0], code, stdout, stderr)
		}
	}
}

// running is the server command running in-process, as a user starts it.
type running struct {
	t    *testing.T
	addr string
	logs *syncBuffer
	done chan error
	stop context.CancelFunc
}

// start runs the server command with args and the environment vars, and
// returns once it answers on its address (or fails the test if it ends
// first). The test's end stops it.
func start(t *testing.T, args []string, vars map[string]string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: t, addr: freeAddr(t), logs: &syncBuffer{}, done: make(chan error, 1), stop: cancel}
	go func() {
		r.done <- run(ctx, append([]string{"-addr", r.addr}, args...), env(vars), strings.NewReader(""), io.Discard, slog.New(slog.NewTextHandler(r.logs, nil)))
	}()
	t.Cleanup(func() { r.shutdown() })
	// Starting hashes passwords at bcrypt's full cost, which takes
	// seconds under the race detector: wait for it, up to a deadline.
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-r.done:
			r.done <- err
			t.Fatalf("server ended before serving: %v\n%s", err, r.logs)
		default:
		}
		if res, err := http.Get("http://" + r.addr + "/healthz"); err == nil {
			res.Body.Close()
			return r
		}
	}
	t.Fatalf("server never answered\n%s", r.logs)
	return nil
}

// shutdown stops the server and fails the test unless it stopped cleanly.
func (r *running) shutdown() {
	r.t.Helper()
	r.stop()
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Errorf("server returned %v\n%s", err, r.logs)
		}
		r.done <- err // a second shutdown finds it stopped
	case <-time.After(15 * time.Second):
		r.t.Fatal("server did not stop")
	}
}

// get sends a GET as user with password ("" for anonymous).
func (r *running) get(user, password, path string) (int, string) {
	r.t.Helper()
	req, _ := http.NewRequest("GET", "http://"+r.addr+path, nil)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// A forgotten or never-applied password is set with changepassword: the
// user signs in with the new one, not the old one, and is asked for no
// password it would refuse.
func TestChangePassword(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "game.db")
	quiet := slog.New(slog.DiscardHandler)
	if err := run(ctx, []string{"createsuperuser", "-db", dbPath, "-username", "root", "-password", "old-password"}, env(nil), nil, io.Discard, quiet); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"no database", []string{"changepassword", "-db", dbPath + ".typo", "-username", "root", "-password", "new-password"}, nil, "no database " + dbPath + ".typo"},
		{"no such user", []string{"changepassword", "-db", dbPath, "-username", "nobody", "-password", "new-password"}, nil, `no user "nobody"`},
		{"no username", []string{"changepassword", "-db", dbPath, "-password", "new-password"}, nil, "-username is required"},
		{"no password, no terminal", []string{"changepassword", "-db", dbPath, "-username", "root"}, nil, "no password"},
		{"too short", []string{"changepassword", "-db", dbPath, "-username", "root", "-password", "short"}, nil, "too short"},
		{"from GAMEKIT_PASSWORD", []string{"changepassword", "-db", dbPath, "-username", "root"}, map[string]string{"GAMEKIT_PASSWORD": "new-password"}, ""},
	} {
		err := run(ctx, tc.args, env(tc.env), strings.NewReader(""), io.Discard, quiet)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.wantErr)
		}
	}
	if _, err := os.Stat(dbPath + ".typo"); err == nil {
		t.Error("changepassword created the database it did not find")
	}
	s := start(t, []string{"-db", dbPath, "-gift-interval", "0"}, nil)
	if status, body := s.get("root", "new-password", "/api/inventories/"); status != 200 {
		t.Errorf("signed in with the new password: got %d %s, want 200", status, body)
	}
	if status, body := s.get("root", "old-password", "/api/inventories/"); status != 401 {
		t.Errorf("signed in with the old password: got %d %s, want 401", status, body)
	}
}

// GAMEKIT_PASSWORD names the password of a new database's admin only; set
// on a database that has its admin, it changes nothing, and the log says
// so and how to change it instead.
func TestPasswordNotUsedWarns(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "game.db")
	first := start(t, []string{"-db", dbPath, "-gift-interval", "0"}, map[string]string{"GAMEKIT_PASSWORD": adminPassword})
	first.shutdown()
	if strings.Contains(first.logs.String(), "level=WARN") {
		t.Errorf("the first start, which used GAMEKIT_PASSWORD, warned:\n%s", first.logs)
	}
	again := start(t, []string{"-db", dbPath, "-gift-interval", "0"}, map[string]string{"GAMEKIT_PASSWORD": "another-password"})
	logs := again.logs.String()
	if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "GAMEKIT_PASSWORD is not used") || !strings.Contains(logs, "changepassword") {
		t.Errorf("no warning that GAMEKIT_PASSWORD is not used, and what to do instead:\n%s", logs)
	}
	if status, _ := again.get("admin", "another-password", "/api/inventories/"); status != 401 {
		t.Errorf("signed in with the ignored GAMEKIT_PASSWORD: got %d, want 401", status)
	}
	if status, _ := again.get("admin", adminPassword, "/api/inventories/"); status != 200 {
		t.Errorf("signed in with the first password: got %d, want 200", status)
	}
	again.shutdown()
	// With the demo off, a new database's GAMEKIT_PASSWORD is not used either.
	off := start(t, []string{"-db", filepath.Join(t.TempDir(), "off.db"), "-gift-interval", "0", "-demo=false"}, map[string]string{"GAMEKIT_PASSWORD": adminPassword})
	if logs := off.logs.String(); !strings.Contains(logs, "GAMEKIT_PASSWORD is not used") || !strings.Contains(logs, "-demo is off") {
		t.Errorf("-demo=false: no warning that GAMEKIT_PASSWORD is not used:\n%s", logs)
	}
}

// A first start that fails while creating the demo content (a password
// too short) leaves none of it behind, and the next start creates all of
// it: the admin signs in and holds the Guitar and the Piano, ids 1 and 2.
func TestFailedFirstStartIsCompleted(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "game.db")
	var logs syncBuffer
	err := run(context.Background(), []string{"-db", dbPath, "-addr", freeAddr(t), "-gift-interval", "0"},
		env(map[string]string{"GAMEKIT_PASSWORD": "seven77"}), nil, io.Discard, slog.New(slog.NewTextHandler(&logs, nil)))
	if err == nil || !strings.Contains(err.Error(), "GAMEKIT_PASSWORD") || !strings.Contains(err.Error(), "too short") {
		t.Fatalf("first start with a 7-character password: got %v, want an error naming GAMEKIT_PASSWORD", err)
	}
	s := start(t, []string{"-db", dbPath, "-gift-interval", "0"}, map[string]string{"GAMEKIT_PASSWORD": adminPassword})
	if !strings.Contains(s.logs.String(), "demo content created") {
		t.Errorf("second start created no demo content:\n%s", s.logs)
	}
	status, body := s.get("admin", adminPassword, "/api/inventories/?username=admin")
	if want := `[{"id":1,"user":1,"items":[1,2]}]`; status != 200 || !apitest.JSONEqual(t, body, want) {
		t.Errorf("the admin's inventory: got %d %s, want 200 %s", status, body, want)
	}
	status, body = s.get("", "", "/api/monsters/")
	if want := `[{"id":1,"state":"wandering","user_being_attacked":null,"health_points":10}]`; status != 200 || !apitest.JSONEqual(t, body, want) {
		t.Errorf("monsters: got %d %s, want 200 %s", status, body, want)
	}
}

// The startup log says where to point a browser and which file holds the
// data, wherever the server was started, and that realtime is in process
// without -redis.
func TestStartupLog(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s := start(t, []string{"-db", "game.db", "-gift-interval", "0", "-demo=false"}, nil)
	abs, err := filepath.Abs("game.db")
	if err != nil {
		t.Fatal(err)
	}
	logs := s.logs.String()
	for _, want := range []string{
		"page=http://" + s.addr + "/ ",
		"admin=http://" + s.addr + "/admin/ ",
		"db=" + abs,
		"realtime in process",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not have %s:\n%s", want, logs)
		}
	}
	if _, err := os.Stat(abs); err != nil {
		t.Errorf("the logged database: %v", err)
	}
}

func TestSiteURL(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8000}, "http://localhost:8000/"}, // -addr :8000
		{&net.TCPAddr{IP: net.IPv4zero, Port: 80}, "http://localhost:80/"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8000}, "http://127.0.0.1:8000/"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8000}, "http://[::1]:8000/"},
		{&net.TCPAddr{IP: net.IPv4(192, 168, 1, 7), Port: 9000}, "http://192.168.1.7:9000/"},
	} {
		if got := siteURL(tc.addr); got != tc.want {
			t.Errorf("siteURL(%v): got %s, want %s", tc.addr, got, tc.want)
		}
	}
}

func TestDescribeDB(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dsn, want string }{
		{"gamekit.db", filepath.Join(wd, "gamekit.db")},
		{"/var/lib/game.db", "/var/lib/game.db"},
		{":memory:", ":memory:"},
		{"postgres://game:s3cret@db:5432/game?sslmode=disable", "postgres://game:xxxxx@db:5432/game?sslmode=disable"},
	} {
		if got := describeDB(tc.dsn); got != tc.want {
			t.Errorf("describeDB(%q): got %s, want %s", tc.dsn, got, tc.want)
		}
	}
}

// Behind a trusted proxy the server sees the client named by
// X-Forwarded-For (the request log shows it); without -trusted-proxies a
// client cannot claim another address with that header.
func TestTrustedProxies(t *testing.T) {
	if err := run(context.Background(), []string{"-db", ":memory:", "-trusted-proxies", "10.0.0.0/33"}, env(nil), nil, io.Discard, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "-trusted-proxies") {
		t.Errorf("a bad network: got %v, want an error naming -trusted-proxies", err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-trusted-proxies", "127.0.0.1"}, "remote=192.0.2.1:0"},
		{nil, "remote=127.0.0.1:"},
	} {
		s := start(t, append([]string{"-db", ":memory:", "-gift-interval", "0"}, tc.args...), nil)
		req, _ := http.NewRequest("GET", "http://"+s.addr+"/api/items/?proxy-test", nil)
		req.Header.Set("X-Forwarded-For", "192.0.2.1")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		s.shutdown() // the log is written out by now
		var line string
		for l := range strings.Lines(s.logs.String()) {
			if strings.Contains(l, "path=/api/items/") {
				line = l
			}
		}
		if !strings.Contains(line, tc.want) {
			t.Errorf("%v: the request was logged as %q, want %s", tc.args, line, tc.want)
		}
	}
}
