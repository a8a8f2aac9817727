// Package browsertest drives a real headless Chromium in tests, through
// chromedp: one browser per test, a tab per simulated person, and
// everything stopped (tabs, the browser process, chromedp's goroutines)
// before the test ends, so a package's goleak check keeps passing.
//
// A test is skipped, not failed, when no browser is installed (unless
// GAMEKIT_REQUIRE_BROWSER is set, as .ci/run does); .ci/run installs
// Debian's chromium (apt-get install -y chromium). Set GAMEKIT_CHROMIUM to
// use another binary.
//
//	b := browsertest.New(t)
//	tab := b.Tab(t)
//	browsertest.Do(t, tab, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("board")))
//	browsertest.Screenshot(t, tab, "board")
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumEnv names the variable that points to the browser binary.
const ChromiumEnv = "GAMEKIT_CHROMIUM"

// RequireEnv names the variable that turns a missing browser from a skip
// into a failure; .ci/run sets it, so CI never passes without the browser
// tests having run.
const RequireEnv = "GAMEKIT_REQUIRE_BROWSER"

// DefaultChromium is where Debian's chromium package puts the browser.
const DefaultChromium = "/usr/bin/chromium"

// Timeout bounds Do and Eval when their context has no deadline of its
// own: chromedp's waits otherwise last as long as the tab, and a page that
// never shows what a test waits for would hang the test until go test's
// own timeout, ten minutes later, with a less useful message.
const Timeout = time.Minute

// stopTimeout bounds how long closing the browser may take before it is
// killed; closing is normally a fraction of a second.
const stopTimeout = 10 * time.Second

// Browser is one Chromium process with its own fresh profile.
type Browser struct {
	ctx context.Context // the browser's root chromedp context
}

// New starts a headless Chromium for the rest of the test, or skips the
// test when there is none. The browser is closed, and waited for, when the
// test ends.
func New(t testing.TB) *Browser {
	t.Helper()
	path := os.Getenv(ChromiumEnv)
	if path == "" {
		path = DefaultChromium
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("browsertest: no Chromium at %s (%v), and %s is set", path, err, RequireEnv)
		}
		t.Skipf("browsertest: no Chromium at %s (%v): .ci/run installs Debian's (apt-get install -y chromium); set %s to use another", path, err, ChromiumEnv)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // containers run tests as root, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// A test machine's network is closed: Chromium's own background
		// connections (updates, sync, QUIC probes) would only hang or fail.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
		// The profile (user-data-dir) is a fresh temporary directory that
		// chromedp creates and, once the browser and its helpers have
		// exited, removes.
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	// Cleanups run last-in first-out: tabs (registered later) close first,
	// then the browser, then the allocator, whose cancel waits for the
	// process and the removal of its profile.
	t.Cleanup(cancelAlloc)
	t.Cleanup(func() {
		stopCtx, stop := context.WithTimeout(ctx, stopTimeout)
		defer stop()
		if err := chromedp.Cancel(stopCtx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("browsertest: closing the browser: %v", err)
		}
		cancel()
	})
	// Start the browser now, so a missing library or a crash at start is
	// reported here, not by the first action.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: starting %s: %v", path, err)
	}
	return &Browser{ctx: ctx}
}

// Tab opens a new tab for the rest of the test (or subtest) t; the
// returned context drives it and is closed when t ends. The page's console
// messages and uncaught exceptions are logged to t, so a failing test shows
// what the page said.
func (b *Browser) Tab(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	var (
		mu   sync.Mutex
		done bool // the tab is closing: t may be finished, so stop logging
	)
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			t.Logf(format, args...)
		}
	}
	t.Cleanup(func() {
		mu.Lock()
		done = true
		mu.Unlock()
		cancel()
	})
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			logf("browser console.%s: %s", ev.Type, consoleText(ev.Args))
		case *runtime.EventExceptionThrown:
			logf("browser exception: %s", exceptionText(ev.ExceptionDetails))
		}
	}); err != nil {
		t.Fatalf("browsertest: opening a tab: %v", err)
	}
	return ctx
}

// Do runs the actions in the tab in order, failing the test at the first
// error. They must be done within ctx's deadline, or Timeout when it has
// none; derive ctx from the tab's context with context.WithTimeout for a
// tighter bound.
func Do(t testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := bounded(ctx)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browsertest: %v", err)
	}
}

// Eval evaluates a JavaScript expression in the tab, awaiting it if it is a
// promise, and returns its value; it fails the test on an error or an
// exception, or after Timeout when ctx has no deadline.
func Eval[T any](t testing.TB, ctx context.Context, expression string) T {
	t.Helper()
	ctx, cancel := bounded(ctx)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expression, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("browsertest: %s: %v", expression, err)
	}
	return v
}

// bounded gives ctx the deadline Timeout unless it has one. The tab lives
// on: only the actions run under the deadline.
func bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, Timeout)
}

// Screenshot saves what the tab shows, the whole page and not only the
// window, as name.png in the test's artifact directory, and returns the
// file's path. The directory is temporary unless go test runs with
// -artifacts (then it is under -outputdir, kept for a person to look at).
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	ctx, cancel := bounded(ctx)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("browsertest: screenshot %s: %v", name, err)
	}
	path := filepath.Join(t.ArtifactDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

func consoleText(args []*runtime.RemoteObject) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		switch {
		case a.Value != nil:
			s += string(a.Value)
		case a.Description != "":
			s += a.Description
		default:
			s += string(a.Type)
		}
	}
	return s
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "?"
	}
	if d.Exception != nil && d.Exception.Description != "" {
		return d.Exception.Description
	}
	return fmt.Sprintf("%s (%s:%d)", d.Text, d.URL, d.LineNumber+1)
}
