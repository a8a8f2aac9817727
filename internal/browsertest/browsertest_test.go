package browsertest_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"github.com/gamekit/gamekit/internal/browsertest"
)

// TestMain fails the package's tests if any goroutine outlives them: the
// browser's cleanup must stop all of chromedp's.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Two tabs of one browser are two separate pages; what the page logs
// reaches the test's log, and a screenshot is a PNG.
func TestTabs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>t</title><p id="p">hello</p>
<script>sessionStorage.setItem("tab", location.hash); console.log("loaded", location.hash)</script>`))
	}))
	t.Cleanup(srv.Close)
	b := browsertest.New(t)
	first, second := b.Tab(t), b.Tab(t)
	ctx, cancel := context.WithTimeout(first, time.Minute) // generous: a cold browser under -race
	defer cancel()
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/#one"), chromedp.WaitVisible(chromedp.ID("p")))
	browsertest.Do(t, second, chromedp.Navigate(srv.URL+"/#two"), chromedp.WaitVisible(chromedp.ID("p")))
	if got := browsertest.Eval[string](t, first, `sessionStorage.getItem("tab")`); got != "#one" {
		t.Errorf("first tab's sessionStorage: got %q, want #one", got)
	}
	if got := browsertest.Eval[string](t, second, `sessionStorage.getItem("tab")`); got != "#two" {
		t.Errorf("second tab's sessionStorage: got %q, want #two", got)
	}
	png, err := os.ReadFile(browsertest.Screenshot(t, first, "first"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("screenshot: %v, %.8q", err, png)
	}
}
