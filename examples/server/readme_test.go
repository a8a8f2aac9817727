package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gamekit/gamekit/internal/apitest"
)

// shown is a command the README shows, with the lines it shows after it.
// Output shown before any command of its block has the command "".
type shown struct {
	command string
	output  []string
}

// readmeShown reads the README's console blocks: a line starting with "$ "
// is a command, continued on the next line when it ends with "\"; the
// lines after it are its output.
func readmeShown(t *testing.T) []shown {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var all []shown
	console := false
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "```console":
			console = true
			all = append(all, shown{})
		case strings.HasPrefix(line, "```"):
			console = false
		case !console:
		case strings.HasPrefix(line, "$ "):
			all = append(all, shown{command: strings.TrimPrefix(line, "$ ")})
		case strings.HasSuffix(all[len(all)-1].command, "\\"):
			last := &all[len(all)-1]
			last.command = strings.TrimSuffix(last.command, "\\") + strings.TrimSpace(line)
		default:
			last := &all[len(all)-1]
			last.output = append(last.output, line)
		}
	}
	return all
}

// outputOf is what the README shows command printing.
func outputOf(t *testing.T, all []shown, command string) []string {
	t.Helper()
	for _, s := range all {
		if s.command == command {
			return s.output
		}
	}
	t.Fatalf("the README no longer shows %q", command)
	return nil
}

// epoch is a channel's epoch, different in every run.
var epoch = regexp.MustCompile(`"epoch":"[^"]*"`)

// The README shows what the server answers: the API's index, and the
// replies wscat gets once alice has registered, but for the epoch.
func TestREADMEReplies(t *testing.T) {
	all := readmeShown(t)
	runSite(t, func(t *testing.T, s *site) {
		_, _, body := s.do("", "GET", "/api/", "")
		want := strings.ReplaceAll(strings.TrimSpace(body), s.srv.URL, "http://localhost:8000")
		if got := strings.Join(outputOf(t, all, "curl http://localhost:8000/api/"), "\n"); got != want {
			t.Errorf("README: curl http://localhost:8000/api/\n%s\nbut the server answers\n%s", got, want)
		}

		s.register("alice")
		sessions := 0
		for _, c := range all {
			if !strings.HasPrefix(c.command, "wscat ") {
				continue
			}
			sessions++
			ws := apitest.Dial(t, s.srv, "/ws", basic("admin", adminPassword))
			for i, line := range c.output {
				request, ok := strings.CutPrefix(line, "> ")
				if !ok || i+1 == len(c.output) {
					continue
				}
				ws.Send(request)
				ws.SetReadDeadline(time.Now().Add(30 * time.Second))
				_, reply, err := ws.ReadMessage()
				if err != nil {
					t.Fatalf("%s: %v", request, err)
				}
				got := epoch.ReplaceAllString(strings.TrimPrefix(c.output[i+1], "< "), `"epoch":"…"`)
				if want := epoch.ReplaceAllString(string(reply), `"epoch":"…"`); got != want {
					t.Errorf("README: wscat %s\n< %s\nbut the server replies\n< %s", request, got, want)
				}
			}
			ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
		}
		if sessions == 0 {
			t.Error("the README shows no wscat session")
		}
	})
}

// The tutorial's session starts with the log the README shows, but for
// times, and every migrations= the README shows is what that start
// applied to its new database.
func TestREADMEStartLog(t *testing.T) {
	all := readmeShown(t)
	want := outputOf(t, all, "GAMEKIT_PASSWORD=secret-admin go run ./examples/server -db :memory: -gift-interval 0")

	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-db", ":memory:", "-gift-interval", "0", "-addr", ":0"}, env(map[string]string{"GAMEKIT_PASSWORD": "secret-admin"}),
			strings.NewReader(""), io.Discard, slog.New(slog.NewTextHandler(&logs, nil)))
	}()
	// The demo admin's password is hashed at bcrypt's full cost, which
	// takes seconds under the race detector.
	for deadline := time.Now().Add(time.Minute); !strings.Contains(logs.String(), "msg=serving") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, logs.String())
	}

	// The log up to "serving", without times, on the README's port.
	var got []string
	for line := range strings.Lines(logs.String()) {
		_, line, _ = strings.Cut(strings.TrimSpace(line), " ") // time=...
		if strings.HasPrefix(line, "level=INFO msg=serving ") {
			addr := regexp.MustCompile(`addr=(\S+)`).FindStringSubmatch(line)[1]
			_, port, _ := net.SplitHostPort(addr)
			line = strings.ReplaceAll(strings.ReplaceAll(line, addr, "[::]:8000"), "localhost:"+port, "localhost:8000")
		}
		got = append(got, line)
		if strings.Contains(line, "msg=serving") {
			break
		}
	}
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			_, w, _ = strings.Cut(want[i], " ")
		}
		if g != w {
			t.Errorf("README's start log, line %d:\n%s\nbut the server logs\n%s", i+1, w, g)
		}
	}

	applied := regexp.MustCompile(`migrations=\d+`).FindString(strings.Join(got, "\n"))
	if applied == "" {
		t.Fatalf("no migrations logged:\n%s", logs.String())
	}
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, shown := range regexp.MustCompile(`migrations=\d+`).FindAllString(string(b), -1) {
		if shown != applied {
			t.Errorf("README shows %s; a new database takes %s", shown, applied)
		}
	}
}

// Every relative link of the README names a file or directory of the
// repository, and every #anchor one of its headings, as GitHub spells
// them.
func TestREADMELinks(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile("(?s)```.*?```").ReplaceAllString(string(b), "")
	anchors := make(map[string]bool)
	for _, h := range regexp.MustCompile(`(?m)^#+ (.*)$`).FindAllStringSubmatch(text, -1) {
		slug := regexp.MustCompile(`[^\w\- ]`).ReplaceAllString(strings.ToLower(h[1]), "")
		anchors["#"+strings.ReplaceAll(slug, " ", "-")] = true
	}
	links := regexp.MustCompile(`\]\(([^)\s]+)\)`).FindAllStringSubmatch(text, -1)
	for _, l := range links {
		switch link := l[1]; {
		case strings.Contains(link, "://"):
		case strings.HasPrefix(link, "#"):
			if !anchors[link] {
				t.Errorf("README links to %s, which no heading is", link)
			}
		default:
			if _, err := os.Stat("../../" + link); err != nil {
				t.Errorf("README links to %s: %v", link, err)
			}
		}
	}
	if len(links) < 10 {
		t.Errorf("found %d links in the README; the parsing is broken", len(links))
	}
}
