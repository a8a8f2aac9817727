package admin

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/examples/server/accounts"
)

//go:embed templates/*.html templates/style.css
var templateFiles embed.FS

// pages are the parsed templates, one per page, each with the layout.
type pages struct {
	byName    map[string]*template.Template
	style     template.CSS
	styleHash string // for the content security policy: 'sha256-...'
}

func parsePages() (pages, error) {
	css, err := fs.ReadFile(templateFiles, "templates/style.css")
	if err != nil {
		return pages{}, err
	}
	sum := sha256.Sum256(css)
	p := pages{byName: map[string]*template.Template{}, style: template.CSS(css),
		styleHash: "sha256-" + base64.StdEncoding.EncodeToString(sum[:])}
	base, err := template.New("layout.html").Funcs(template.FuncMap{
		"add": func(a, b int) int { return a + b },
	}).ParseFS(templateFiles, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return pages{}, err
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return pages{}, err
	}
	for _, name := range names {
		page := strings.TrimSuffix(path.Base(name), ".html")
		if page == "layout" || page == "parts" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFiles, name)
		if err != nil {
			return pages{}, err
		}
		p.byName[page] = t
	}
	return p, nil
}

// view is what the layout shows around a page.
type view struct {
	Title   string
	Prefix  string
	User    *accounts.User // nil on the sign-in page
	Section string         // the part of the admin, for the navigation
	Flash   string
	Style   template.CSS
	Page    any
	// Boards and Chat say whether the host gave those stores, so the
	// navigation links their pages.
	Boards, Chat bool
}

// render writes the page called name with the layout. A template error
// is a bug: it is logged and answered 500 with nothing half written.
func (a *Admin) render(w http.ResponseWriter, r *http.Request, s *session, status int, name, title string, page any) {
	v := view{Title: title, Prefix: a.prefix, Section: a.section(r), Flash: flashes[r.URL.Query().Get("done")],
		Style: a.pages.style, Page: page, Boards: a.boards != nil, Chat: a.chat != nil}
	if s != nil {
		v.User = &s.user
	}
	var buf bytes.Buffer
	t := a.pages.byName[name]
	if t == nil {
		a.logger.ErrorContext(r.Context(), "admin: no such template", "name", name)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		a.logger.ErrorContext(r.Context(), "admin: render", "page", name, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// section is the first path element after the prefix: "items" for
// /admin/items/7/.
func (a *Admin) section(r *http.Request) string {
	rest := strings.TrimPrefix(r.URL.Path, a.prefix+"/")
	section, _, _ := strings.Cut(rest, "/")
	return section
}

// flashes are the messages a page shows after a change redirected to it
// (?done=...). They are fixed texts, so a link cannot make the admin say
// anything else.
var flashes = map[string]string{
	"added":         "Added.",
	"saved":         "Saved.",
	"deleted":       "Deleted.",
	"password":      "Password changed; the user's tokens were revoked.",
	"fired":         "Transition fired.",
	"items-added":   "Items added to the inventory.",
	"items-removed": "Items removed from the inventory.",
	"reset":         "Board reset: a new period has begun.",
	"muted":         "Muted.",
	"unmuted":       "Unmuted.",
}

// redirect answers a change with 303 See Other to the page that shows its
// result, with a flash message.
func redirect(w http.ResponseWriter, r *http.Request, to, done string) {
	if done != "" {
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		to += sep + "done=" + done
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

type errorView struct {
	Status  int
	Message string
}

// renderError shows a page that says what went wrong.
func (a *Admin) renderError(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	if msg == "" {
		msg = "Something went wrong on the server; it has been logged."
	}
	a.render(w, r, s, status, "error", http.StatusText(status), errorView{Status: status, Message: msg})
}

// fail answers an error a page did not handle itself, by its kind.
func (a *Admin) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	switch {
	case errors.Is(err, gamekit.ErrNotFound):
		a.renderError(w, r, s, http.StatusNotFound, "There is no such object; it may have been deleted.")
	case errors.Is(err, gamekit.ErrConflict):
		a.renderError(w, r, s, http.StatusConflict, err.Error())
	case errors.Is(err, gamekit.ErrInvalid):
		a.renderError(w, r, s, http.StatusBadRequest, err.Error())
	default:
		a.logger.ErrorContext(r.Context(), "admin: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		a.renderError(w, r, s, http.StatusInternalServerError, "")
	}
}
