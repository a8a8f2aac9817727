package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// -log-requests chooses which requests are logged.
func TestLogRequests(t *testing.T) {
	answer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
		}
	})
	for _, tc := range []struct {
		which string
		want  []string // the paths logged
	}{
		{"all", []string{"/ok", "/missing"}},
		{"", []string{"/ok", "/missing"}},
		{"errors", []string{"/missing"}},
		{"none", nil},
	} {
		var logs bytes.Buffer
		h, err := logRequests(slog.New(slog.NewTextHandler(&logs, nil)), tc.which, answer)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/ok", "/missing"} {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			if _, rest, ok := strings.Cut(line, " path="); ok {
				got = append(got, strings.Fields(rest)[0])
			}
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("-log-requests=%q: logged %q, want %q", tc.which, got, tc.want)
		}
	}
	if _, err := logRequests(slog.Default(), "some", answer); err == nil || !strings.Contains(err.Error(), "all, errors or none") {
		t.Errorf("-log-requests=some: got %v, want the values it takes", err)
	}
}

// The log output writes a line out within logFlushInterval, at once when
// its buffer is full, and what is left on Close.
func TestLogWriter(t *testing.T) {
	var out syncBuffer
	l := newLogWriter(&out)
	l.Write([]byte("one\n"))
	if out.String() != "" {
		t.Error("a line was written at once; want it gathered")
	}
	deadline := time.Now().Add(10 * logFlushInterval)
	for out.String() != "one\n" && time.Now().Before(deadline) {
		time.Sleep(logFlushInterval / 10)
	}
	if got := out.String(); got != "one\n" {
		t.Fatalf("after the interval: got %q, want the line", got)
	}
	big := bytes.Repeat([]byte("x"), logBufferSize)
	l.Write(big)
	if got := len(out.String()); got != 4+logBufferSize {
		t.Errorf("a full buffer: %d bytes out, want it written at once", got)
	}
	l.Write([]byte("two\n"))
	l.Close()
	if !strings.HasSuffix(out.String(), "two\n") {
		t.Error("Close did not write the rest")
	}
	l.Write([]byte("three\n"))
	if !strings.HasSuffix(out.String(), "three\n") {
		t.Error("a line after Close was not written at once")
	}
	time.Sleep(2 * logFlushInterval) // the timer's goroutine ends
}

// BenchmarkLogRequests is the cost of logging a request, against not
// logging it, with the log going to a file as the server's stderr may.
func BenchmarkLogRequests(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	file, err := os.Create(filepath.Join(b.TempDir(), "log"))
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()
	buffered := newLogWriter(file)
	defer buffered.Close()
	for _, tc := range []struct {
		name  string
		which string
		out   io.Writer
	}{
		{"none", logNone, io.Discard},
		{"all/file", logAll, file},
		{"all/buffered", logAll, buffered},
		{"errors/buffered", logErrors, buffered},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h, err := logRequests(slog.New(slog.NewTextHandler(tc.out, nil)), tc.which, ok)
			if err != nil {
				b.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/api/items/1/", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, req)
			}
		})
	}
}
