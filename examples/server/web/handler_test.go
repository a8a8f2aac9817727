package web_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gamekit/gamekit/examples/server/web"
)

func serve(method, path string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	web.Handler().ServeHTTP(rec, req)
	return rec
}

func TestHandler(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		status       int
		contentType  string
		body         string // a part of the body
	}{
		{"GET", "/", 200, "text/html; charset=utf-8", "<title>gamekit live demo</title>"},
		{"GET", "/index.html", 200, "text/html; charset=utf-8", `src="app.js"`},
		{"GET", "/gamekit.js", 200, "text/javascript; charset=utf-8", "export class GameKit"},
		{"GET", "/app.js", 200, "text/javascript; charset=utf-8", `from "./gamekit.js"`},
		{"GET", "/style.css", 200, "text/css; charset=utf-8", ":root"},
		{"HEAD", "/gamekit.js", 200, "text/javascript; charset=utf-8", ""},
		{"GET", "/nope.js", 404, "text/plain; charset=utf-8", "not found"},
		{"GET", "/web/app.js", 404, "text/plain; charset=utf-8", "not found"},
		{"GET", "/handler.go", 404, "text/plain; charset=utf-8", "not found"},
		{"POST", "/", 405, "text/plain; charset=utf-8", "not allowed"},
		{"DELETE", "/app.js", 405, "text/plain; charset=utf-8", "not allowed"},
	} {
		rec := serve(tc.method, tc.path, nil)
		if rec.Code != tc.status || rec.Header().Get("Content-Type") != tc.contentType || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s %s: got %d %q %.60q, want %d %q containing %q",
				tc.method, tc.path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String(), tc.status, tc.contentType, tc.body)
		}
		if tc.method == "HEAD" && rec.Body.Len() != 0 {
			t.Errorf("HEAD %s: a body of %d bytes", tc.path, rec.Body.Len())
		}
		if tc.status == 200 && rec.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("%s %s: Cache-Control %q, want no-cache", tc.method, tc.path, rec.Header().Get("Cache-Control"))
		}
		if tc.status == 405 && rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: Allow %q", tc.method, tc.path, rec.Header().Get("Allow"))
		}
	}
	if csp := serve("GET", "/", nil).Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("the page's Content-Security-Policy: %q", csp)
	}
}

// A reload revalidates: the same file again is a 304 without a body, and
// files differ in their ETags.
func TestRevalidation(t *testing.T) {
	first := serve("GET", "/app.js", nil)
	etag := first.Header().Get("ETag")
	if etag == "" || etag == serve("GET", "/gamekit.js", nil).Header().Get("ETag") {
		t.Fatalf("ETag %q, the same as another file's or empty", etag)
	}
	again := serve("GET", "/app.js", http.Header{"If-None-Match": {etag}})
	if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("If-None-Match %s: got %d with %d bytes, want 304 and none", etag, again.Code, again.Body.Len())
	}
}

// Every file the page loads or imports is served: a typo in a name would
// leave the page blank.
func TestReferencesResolve(t *testing.T) {
	ref := regexp.MustCompile(`(?:src|href)="([^"]+)"|from "\./([^"]+)"`)
	for _, file := range []string{"/", "/app.js", "/gamekit.js"} {
		body := serve("GET", file, nil).Body.String()
		found := 0
		for _, m := range ref.FindAllStringSubmatch(body, -1) {
			name := m[1] + m[2]
			if strings.Contains(name, "://") {
				t.Errorf("%s loads %s from elsewhere", file, name)
				continue
			}
			found++
			if rec := serve("GET", "/"+strings.TrimPrefix(name, "/"), nil); rec.Code != 200 {
				t.Errorf("%s refers to %s: got %d", file, name, rec.Code)
			}
		}
		if file != "/gamekit.js" && found == 0 {
			t.Errorf("%s: no reference found; is the pattern still right?", file)
		}
	}
}
