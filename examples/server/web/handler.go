package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"net/http"
	"path"
	"time"
)

//go:embed index.html app.js social.js gamekit.js style.css
var files embed.FS

// contentTypes are the types of the files served, by extension. They are
// fixed here rather than looked up in the system's MIME tables, which vary:
// browsers refuse a module script served as anything but JavaScript.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// securityPolicy lets the page load only its own files and talk only to its
// own origin (which, for connect-src, includes ws: and wss: to the same
// host). It keeps a script injected into the page from sending a player's
// token anywhere else.
const securityPolicy = "default-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// file is one embedded file, ready to serve.
type file struct {
	content     []byte
	contentType string
	etag        string
	page        bool // an HTML page, which gets the security policy
}

// Handler serves the demo page at "/" and the other files by name
// ("/gamekit.js"). Anything else is a plain-text 404; methods other than
// GET and HEAD are a 405. Mount it at "/" after the API routes.
func Handler() http.Handler {
	served := make(map[string]file)
	entries, err := files.ReadDir(".")
	if err != nil {
		panic("web: " + err.Error()) // the embedded tree is fixed at build time
	}
	for _, e := range entries {
		content, err := files.ReadFile(e.Name())
		if err != nil {
			panic("web: " + err.Error())
		}
		sum := sha256.Sum256(content)
		served["/"+e.Name()] = file{
			content:     content,
			contentType: contentTypes[path.Ext(e.Name())],
			etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
			page:        path.Ext(e.Name()) == ".html",
		}
	}
	served["/"] = served["/index.html"]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := served[r.URL.Path]
		if !ok {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.contentType)
		// no-cache is "revalidate before use", not "do not store": with
		// the ETag, a reload costs a 304 and a new build is seen at once.
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", f.etag)
		h.Set("X-Content-Type-Options", "nosniff")
		if f.page {
			h.Set("Content-Security-Policy", securityPolicy)
			h.Set("Referrer-Policy", "same-origin")
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.content))
	})
}
