package inventory_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage/storagetest"
)

type users map[int64]string

func (u users) Username(_ context.Context, id int64) (string, error) {
	name, ok := u[id]
	if !ok {
		return "", gamekit.ErrNotFound
	}
	return name, nil
}

type api struct {
	t     *testing.T
	store *inventory.SQLStore
	srv   *apitest.Server
	// The tutorial's content: Guitar and Piano; alice holds the guitar,
	// admin both, bob nothing.
	guitar, piano       inventory.Item
	aliceInv, bobInv    inventory.Inventory
	adminInv            inventory.Inventory
	aliceURL, adminURL  string
	guitarURL, pianoURL string
}

func runAPI(t *testing.T, opts *inventory.HandlerOptions, fn func(t *testing.T, a *api)) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		fn(t, newAPI(t, db, opts))
	}, inventory.Migrations())
}

func newAPI(t *testing.T, db *bun.DB, opts *inventory.HandlerOptions) *api {
	t.Helper()
	if opts == nil {
		opts = &inventory.HandlerOptions{}
	}
	if opts.Users == nil {
		opts.Users = users{1: "alice", 2: "bob", 3: "admin", 4: "carol"}
	}
	store := storagetest.Must(inventory.NewSQLStore(db, nil))
	h, err := inventory.NewHandler(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", h))
	srv := apitest.Serve(t, apitest.WithCallers(mux))
	a := &api{t: t, store: store, srv: srv}
	a.guitar = mustItem(t, store, "Guitar", 2)
	a.piano = mustItem(t, store, "Piano", 10)
	a.aliceInv = mustInventory(t, store, 1, "alice", a.guitar.ID)
	a.bobInv = mustInventory(t, store, 2, "bob")
	a.adminInv = mustInventory(t, store, 3, "admin", a.guitar.ID, a.piano.ID)
	a.aliceURL = fmt.Sprintf("/api/inventories/%d/", a.aliceInv.ID)
	a.adminURL = fmt.Sprintf("/api/inventories/%d/", a.adminInv.ID)
	a.guitarURL = fmt.Sprintf("/api/items/%d/", a.guitar.ID)
	a.pianoURL = fmt.Sprintf("/api/items/%d/", a.piano.ID)
	return a
}

// do sends a request as one of apitest.Callers ("" for anonymous).
func (a *api) do(caller, method, path, body string) (int, http.Header, string) {
	a.t.Helper()
	return a.srv.Do(apitest.As(caller), method, path, body)
}

// The tutorial's two curl calls give the tutorial's JSON.
func TestTutorialCalls(t *testing.T) {
	runAPI(t, nil, func(t *testing.T, a *api) {
		status, _, body := a.do("admin", "GET", "/api/items/", "")
		want := fmt.Sprintf(`[{"id":%d,"name":"Guitar","weight":2.0},{"id":%d,"name":"Piano","weight":10.0}]`, a.guitar.ID, a.piano.ID)
		if status != 200 || !apitest.JSONEqual(t, body, want) {
			t.Errorf("GET /api/items/: got %d %s, want 200 %s", status, body, want)
		}
		status, _, body = a.do("admin", "GET", "/api/inventories/?username=admin", "")
		want = fmt.Sprintf(`[{"id":%d,"user":3,"items":[%d,%d]}]`, a.adminInv.ID, a.guitar.ID, a.piano.ID)
		if status != 200 || !apitest.JSONEqual(t, body, want) {
			t.Errorf("GET /api/inventories/?username=admin: got %d %s, want 200 %s", status, body, want)
		}
	})
}

// Every route and status of the API, and who may do what.
func TestRoutes(t *testing.T) {
	runAPI(t, nil, func(t *testing.T, a *api) {
		alice := fmt.Sprintf(`{"id":%d,"user":1,"items":[%d]}`, a.aliceInv.ID, a.guitar.ID)
		bob := fmt.Sprintf(`{"id":%d,"user":2,"items":[]}`, a.bobInv.ID)
		admin := fmt.Sprintf(`{"id":%d,"user":3,"items":[%d,%d]}`, a.adminInv.ID, a.guitar.ID, a.piano.ID)
		guitar := fmt.Sprintf(`{"id":%d,"name":"Guitar","weight":2}`, a.guitar.ID)
		items := fmt.Sprintf(`[%s,{"id":%d,"name":"Piano","weight":10}]`, guitar, a.piano.ID)
		notFound := `{"detail":"Not found."}`
		unauthenticated := `{"detail":"Authentication credentials were not provided."}`
		forbidden := `{"detail":"You do not have permission to perform this action."}`
		for _, tc := range []struct {
			caller, method, path, body string
			status                     int
			want                       string // JSON, or "" not to check
		}{
			// Items: anyone reads.
			{"", "GET", "/api/items/", "", 200, items},
			{"", "GET", "/api/items", "", 200, items},
			{"alice", "GET", a.guitarURL, "", 200, guitar},
			{"", "GET", strings.TrimSuffix(a.guitarURL, "/"), "", 200, guitar},
			{"", "GET", "/api/items/999/", "", 404, notFound},
			{"", "GET", "/api/items/abc/", "", 404, notFound},
			{"", "GET", "/api/items/1/extra/", "", 404, notFound},
			{"", "GET", "/api/nothing/", "", 404, notFound},
			// Items: only admins write.
			{"", "POST", "/api/items/", `{"name":"Drum","weight":5}`, 401, unauthenticated},
			{"alice", "POST", "/api/items/", `{"name":"Drum","weight":5}`, 403, forbidden},
			{"alice", "PUT", a.guitarURL, `{"name":"Mine","weight":0}`, 403, forbidden},
			{"bob", "PATCH", a.guitarURL, `{"weight":0}`, 403, forbidden},
			{"alice", "DELETE", a.guitarURL, "", 403, forbidden},
			{"", "DELETE", a.guitarURL, "", 401, unauthenticated},
			{"admin", "POST", "/api/items", `{"name":"Drum","weight":5}`, 201, ""},
			{"admin", "PUT", a.pianoURL, `{"name":"Grand piano","weight":400}`, 200,
				fmt.Sprintf(`{"id":%d,"name":"Grand piano","weight":400}`, a.piano.ID)},
			{"admin", "PATCH", a.pianoURL, `{"weight":350.5}`, 200,
				fmt.Sprintf(`{"id":%d,"name":"Grand piano","weight":350.5}`, a.piano.ID)},
			{"admin", "PUT", a.pianoURL, `{"weight":1}`, 400, `{"name":["This field is required."]}`},
			{"admin", "PUT", "/api/items/999/", `{"name":"x","weight":1}`, 404, notFound},
			{"admin", "DELETE", "/api/items/999/", "", 404, notFound},
			{"admin", "POST", a.guitarURL, `{}`, 405, `{"detail":"Method \"POST\" not allowed."}`},
			{"admin", "DELETE", "/api/items/", "", 405, `{"detail":"Method \"DELETE\" not allowed."}`},
			// Inventories: signed-in callers read what is theirs.
			{"", "GET", "/api/inventories/", "", 401, unauthenticated},
			{"alice", "GET", "/api/inventories/", "", 200, "[" + alice + "]"},
			{"alice", "GET", "/api/inventories/?username=alice", "", 200, "[" + alice + "]"},
			{"alice", "GET", "/api/inventories/?username=bob", "", 200, "[]"},
			{"bob", "GET", "/api/inventories", "", 200, "[" + bob + "]"},
			{"admin", "GET", "/api/inventories/", "", 200, "[" + alice + "," + bob + "," + admin + "]"},
			{"admin", "GET", "/api/inventories/?username=bob", "", 200, "[" + bob + "]"},
			{"admin", "GET", "/api/inventories/?username=nobody", "", 200, "[]"},
			{"alice", "GET", a.aliceURL, "", 200, alice},
			{"bob", "GET", a.aliceURL, "", 404, notFound},
			{"", "GET", a.aliceURL, "", 401, unauthenticated},
			{"admin", "GET", strings.TrimSuffix(a.aliceURL, "/"), "", 200, alice},
			// Inventories: players never write, not even to their own.
			{"alice", "POST", "/api/inventories/", `{"user":4,"items":[]}`, 403, forbidden},
			{"alice", "PATCH", a.aliceURL, fmt.Sprintf(`{"items":[%d,%d]}`, a.guitar.ID, a.piano.ID), 403, forbidden},
			{"alice", "PUT", a.aliceURL, fmt.Sprintf(`{"user":1,"items":[%d]}`, a.piano.ID), 403, forbidden},
			{"alice", "DELETE", a.aliceURL, "", 403, forbidden},
			{"", "PATCH", a.aliceURL, `{"items":[]}`, 401, unauthenticated},
			{"admin", "POST", "/api/inventories/", `{"user":1}`, 400, `{"user":["inventory with this user already exists."]}`},
			{"admin", "POST", "/api/inventories/", `{"user":99}`, 400, `{"user":["Invalid pk \"99\" - object does not exist."]}`},
			{"admin", "POST", "/api/inventories/", `{"items":[]}`, 400, `{"user":["This field is required."]}`},
			{"admin", "POST", "/api/inventories/", `{"user":4,"items":[999]}`, 400, `{"items":["Invalid pk \"999\" - object does not exist."]}`},
			{"admin", "PUT", a.aliceURL, `{"user":1}`, 400, `{"items":["This field is required."]}`},
			{"admin", "PATCH", "/api/inventories/999/", `{"items":[]}`, 404, notFound},
			{"admin", "DELETE", "/api/inventories/999/", "", 404, notFound},
		} {
			status, _, body := a.do(tc.caller, tc.method, tc.path, tc.body)
			if status != tc.status || (tc.want != "" && !apitest.JSONEqual(t, body, tc.want)) {
				t.Errorf("%s %s %s as %q: got %d %s, want %d %s", tc.method, tc.path, tc.body, tc.caller, status, body, tc.status, tc.want)
			}
		}
	})
}

// An admin's writes to inventories take effect as read back.
func TestInventoryWrites(t *testing.T) {
	runAPI(t, nil, func(t *testing.T, a *api) {
		status, _, body := a.do("admin", "POST", "/api/inventories/", fmt.Sprintf(`{"user":4,"items":[%d]}`, a.piano.ID))
		var created inventory.Inventory
		if status != 201 || json.Unmarshal([]byte(body), &created) != nil || created.UserID != 4 {
			t.Fatalf("create carol's inventory: got %d %s", status, body)
		}
		inv, err := a.store.Inventory(context.Background(), created.ID)
		if err != nil || inv.Username != "carol" || fmt.Sprint(inv.Items) != fmt.Sprint([]int64{a.piano.ID}) {
			t.Errorf("stored: got %+v %v, want carol's with the piano", inv, err)
		}
		status, _, body = a.do("admin", "PATCH", a.aliceURL, fmt.Sprintf(`{"items":[%d,%d]}`, a.piano.ID, a.guitar.ID))
		want := fmt.Sprintf(`{"id":%d,"user":1,"items":[%d,%d]}`, a.aliceInv.ID, a.guitar.ID, a.piano.ID)
		if status != 200 || !apitest.JSONEqual(t, body, want) {
			t.Errorf("PATCH items: got %d %s, want %s", status, body, want)
		}
		// What a client read, sent back with a change, is accepted.
		status, _, body = a.do("admin", "PUT", a.aliceURL, fmt.Sprintf(`{"id":%d,"user":1,"items":[]}`, a.aliceInv.ID))
		if status != 200 || !apitest.JSONEqual(t, body, fmt.Sprintf(`{"id":%d,"user":1,"items":[]}`, a.aliceInv.ID)) {
			t.Errorf("PUT: got %d %s", status, body)
		}
		if status, _, _ := a.do("admin", "DELETE", a.aliceURL, ""); status != 204 {
			t.Errorf("DELETE: got %d, want 204", status)
		}
		if status, _, _ := a.do("alice", "GET", a.aliceURL, ""); status != 404 {
			t.Errorf("GET deleted: got %d, want 404", status)
		}
	})
}

// Bad bodies are refused with 400 or 413 and change nothing.
func TestBadBodies(t *testing.T) {
	runAPI(t, nil, func(t *testing.T, a *api) {
		huge := `{"name":"` + strings.Repeat("x", 2<<20) + `","weight":1}`
		for _, tc := range []struct {
			name, body string
			status     int
			want       string
		}{
			{"unknown field", `{"name":"x","weight":1,"colour":"red"}`, 400, `{"colour":["This field is not allowed."]}`},
			{"duplicate key", `{"name":"x","weight":1,"name":"y"}`, 400, `{"name":["This key appears more than once."]}`},
			{"trailing bytes", `{"name":"x","weight":1} {}`, 400, ""},
			{"trailing garbage", `{"name":"x","weight":1}xyz`, 400, ""},
			{"2 MiB body", huge, 413, ""},
			{"negative weight", `{"name":"x","weight":-1}`, 400, `{"weight":["Ensure this value is greater than or equal to 0."]}`},
			{"NaN weight", `{"name":"x","weight":NaN}`, 400, ""},
			{"Infinity weight", `{"name":"x","weight":Infinity}`, 400, ""},
			{"weight out of range", `{"name":"x","weight":1e999}`, 400, `{"weight":["A valid number is required."]}`},
			{"weight as string", `{"name":"x","weight":"2"}`, 400, `{"weight":["A valid number is required."]}`},
			{"256-char name", `{"name":"` + strings.Repeat("n", 256) + `","weight":1}`, 400, `{"name":["Ensure this field has no more than 255 characters."]}`},
			{"blank name", `{"name":"  ","weight":1}`, 400, `{"name":["This field may not be blank."]}`},
			{"not an object", `[1,2]`, 400, `{"detail":"JSON parse error - expected a JSON object"}`},
			{"empty", ``, 400, ""},
			{"null", `null`, 400, ""},
			{"deep nesting", `{"name":` + strings.Repeat("[", 10000) + `}`, 400, ""},
			{"a key in other case", `{"name":"lower","Name":"UPPER","weight":1}`, 400, `{"Name":["This field is not allowed."]}`},
			{"a key only in other case", `{"NAME":"UPPER","weight":1}`, 400, `{"NAME":["This field is not allowed."]}`},
			{"invalid UTF-8", "{\"name\":\"a\xffb\",\"weight\":1}", 400, `{"detail":"JSON parse error - the body is not valid UTF-8"}`},
			{"lone high surrogate", `{"name":"a\ud800b","weight":1}`, 400, ""},
			{"lone low surrogate", `{"name":"a\udc00","weight":1}`, 400, ""},
			{"NUL", `{"name":"a\u0000b","weight":1}`, 400, `{"detail":"JSON parse error - Null characters are not allowed."}`},
		} {
			for _, method := range []string{"PUT", "PATCH"} {
				status, _, body := a.do("admin", method, a.guitarURL, tc.body)
				if status != tc.status || (tc.want != "" && !apitest.JSONEqual(t, body, tc.want)) {
					t.Errorf("%s %s: got %d %.200s, want %d %s", method, tc.name, status, body, tc.status, tc.want)
				}
			}
			if status, _, _ := a.do("admin", "POST", "/api/items/", tc.body); status != tc.status {
				t.Errorf("POST %s: got %d, want %d", tc.name, status, tc.status)
			}
		}
		got, err := a.store.Item(context.Background(), a.guitar.ID)
		if err != nil || got != a.guitar {
			t.Errorf("guitar after refused writes: got %+v %v, want %+v", got, err, a.guitar)
		}
		if n, _ := a.store.CountItems(context.Background(), inventory.ListOptions{}); n != 2 {
			t.Errorf("items after refused creates: got %d, want 2", n)
		}
		status, _, body := a.do("admin", "PATCH", a.aliceURL, `{"items":[1,"two"]}`)
		if status != 400 {
			t.Errorf("items with a string: got %d %s, want 400", status, body)
		}
		req, _ := http.NewRequest("POST", a.srv.URL+"/api/items/", strings.NewReader(`name=x&weight=1`))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", apitest.As("admin"))
		res, err := a.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 415 {
			t.Errorf("form body: got %d, want 415", res.StatusCode)
		}
		for _, contentType := range []string{"", "text/plain", "application/json; charset=latin1"} {
			req, _ := http.NewRequest("POST", a.srv.URL+"/api/items/", strings.NewReader(`{"name":"x","weight":1}`))
			if contentType != "" {
				req.Header.Set("Content-Type", contentType)
			}
			req.Header.Set("Authorization", apitest.As("admin"))
			res, err := a.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 415 {
				t.Errorf("content type %q: got %d, want 415", contentType, res.StatusCode)
			}
		}
		if n, _ := a.store.CountItems(context.Background(), inventory.ListOptions{}); n != 2 {
			t.Errorf("items after refused creates: got %d, want 2", n)
		}
		// A well-formed pair of surrogates is a character, stored as such.
		status, _, body = a.do("admin", "POST", "/api/items/", `{"name":"G\ud83c\udfb8","weight":1}`)
		if status != 201 || !strings.Contains(body, "G🎸") {
			t.Errorf("surrogate pair: got %d %s, want 201 with the guitar emoji", status, body)
		}
	})
}

// Lists are capped: a plain list says where the rest is, and ?limit= and
// ?offset= give DRF's envelope.
func TestPagination(t *testing.T) {
	runAPI(t, &inventory.HandlerOptions{MaxRows: 2}, func(t *testing.T, a *api) {
		drum := mustItem(t, a.store, "Drum", 20)
		status, header, body := a.do("", "GET", "/api/items/", "")
		if status != 200 || len(decodeList(t, body)) != 2 {
			t.Errorf("capped list: got %d %s, want 2 rows", status, body)
		}
		wantLink := "<" + a.srv.URL + `/api/items/?limit=2&offset=2>; rel="next"`
		if got := header.Get("Link"); got != wantLink {
			t.Errorf("Link: got %v, want %v", got, wantLink)
		}
		status, _, body = a.do("", "GET", "/api/items/?limit=1&offset=1", "")
		want := fmt.Sprintf(`{"count":3,"next":"%[1]s/api/items/?limit=1&offset=2","previous":"%[1]s/api/items/?limit=1",
			"results":[{"id":%[2]d,"name":"Piano","weight":10}]}`, a.srv.URL, a.piano.ID)
		if status != 200 || !apitest.JSONEqual(t, body, want) {
			t.Errorf("envelope: got %d %s, want %s", status, body, want)
		}
		status, _, body = a.do("", "GET", "/api/items/?offset=2", "")
		want = fmt.Sprintf(`{"count":3,"next":null,"previous":"%s/api/items/?limit=2",
			"results":[{"id":%d,"name":"Drum","weight":20}]}`, a.srv.URL, drum.ID)
		if status != 200 || !apitest.JSONEqual(t, body, want) {
			t.Errorf("last page: got %d %s, want %s", status, body, want)
		}
		if status, _, body := a.do("", "GET", "/api/items/?limit=100", ""); status != 200 || !strings.Contains(body, `"next":"`) {
			t.Errorf("limit above the cap: got %d %s, want 2 rows and a next link", status, body)
		}
		for _, q := range []string{"limit=x", "limit=-1", "offset=-5", "ordering=colour"} {
			if status, _, body := a.do("", "GET", "/api/items/?"+q, ""); status != 400 {
				t.Errorf("?%s: got %d %s, want 400", q, status, body)
			}
		}
		status, _, body = a.do("admin", "GET", "/api/inventories/?limit=1", "")
		if status != 200 || !strings.Contains(body, `"count":3`) {
			t.Errorf("inventories envelope: got %d %s", status, body)
		}
		status, _, body = a.do("", "GET", "/api/items/?search=PIA&ordering=-weight", "")
		if status != 200 || !apitest.JSONEqual(t, body, fmt.Sprintf(`[{"id":%d,"name":"Piano","weight":10}]`, a.piano.ID)) {
			t.Errorf("search: got %d %s", status, body)
		}
	})
}

func decodeList(t *testing.T, body string) []any {
	t.Helper()
	var list []any
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("not a list: %s", body)
	}
	return list
}

// "Accept: application/json; indent=4" indents as DRF does.
func TestIndent(t *testing.T) {
	runAPI(t, nil, func(t *testing.T, a *api) {
		req, _ := http.NewRequest("GET", a.srv.URL+a.guitarURL, nil)
		req.Header.Set("Accept", "application/json; indent=4")
		res, err := a.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		var want bytes.Buffer
		json.Indent(&want, []byte(fmt.Sprintf(`{"id":%d,"name":"Guitar","weight":2}`, a.guitar.ID)), "", "    ")
		if got := strings.TrimSpace(string(body)); got != want.String() {
			t.Errorf("got %s, want %s", got, want.String())
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type: got %v, want application/json", ct)
		}
	})
}

// Without a user directory, inventories are not created over HTTP.
func TestNoUserDirectory(t *testing.T) {
	db := storagetest.Open(t, storagetest.Memory, inventory.Migrations())
	h, err := inventory.NewHandler(storagetest.Must(inventory.NewSQLStore(db, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/inventories/", strings.NewReader(`{"user":1}`))
	req.Header.Set("Content-Type", "application/json")
	req = req.WithContext(gamekit.WithIdentity(req.Context(), apitest.Callers["admin"]))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 403 {
		t.Errorf("got %d %s, want 403", rec.Code, rec.Body)
	}
	if _, err := inventory.NewHandler(storagetest.Must(inventory.NewSQLStore(db, nil)), &inventory.HandlerOptions{MaxRows: -1}); err == nil {
		t.Error("negative MaxRows accepted")
	}
}

// The item list is served from a cache, yet every change shows at once,
// whichever process (here: another store on the same database) made it.
func TestItemListFollowsChanges(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		a := newAPI(t, db, nil)
		other := storagetest.Must(inventory.NewSQLStore(db, nil))
		ctx := context.Background()
		list := func() string {
			t.Helper()
			status, _, body := a.do("", "GET", "/api/items/", "")
			if status != 200 {
				t.Fatalf("GET /api/items/: %d %s", status, body)
			}
			var items []inventory.Item
			json.Unmarshal([]byte(body), &items)
			return names(items)
		}
		if got := list(); got != "Guitar,Piano" {
			t.Fatalf("first list: got %v", got)
		}
		if got := list(); got != "Guitar,Piano" {
			t.Errorf("cached list: got %v", got)
		}
		drum := mustItem(t, other, "Drum", 5)
		if got := list(); got != "Guitar,Drum,Piano" {
			t.Errorf("after create: got %v", got)
		}
		name := "Snare"
		if _, err := other.UpdateItem(ctx, drum.ID, inventory.ItemChange{Name: &name}); err != nil {
			t.Fatal(err)
		}
		if got := list(); got != "Guitar,Snare,Piano" {
			t.Errorf("after update: got %v", got)
		}
		if err := other.DeleteItem(ctx, a.guitar.ID); err != nil {
			t.Fatal(err)
		}
		if got := list(); got != "Snare,Piano" {
			t.Errorf("after delete: got %v", got)
		}
		if _, err := other.Grant(ctx, "k", "Gift for {username}", 0, nil); err != nil {
			t.Fatal(err)
		}
		if got := list(); got != "Gift for alice,Gift for bob,Gift for admin,Snare,Piano" {
			t.Errorf("after a grant: got %v", got)
		}
		// A failed change moves nothing on, and the list stays right.
		if err := other.DeleteItem(ctx, 999); err == nil {
			t.Fatal("deleted a missing item")
		}
		if got := list(); got != "Gift for alice,Gift for bob,Gift for admin,Snare,Piano" {
			t.Errorf("after a failed delete: got %v", got)
		}
	}, inventory.Migrations())
}
