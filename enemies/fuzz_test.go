package enemies_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// FuzzWrite sends arbitrary bodies to PATCH /monsters/{id}/ and to a
// transition as an admin: the answer is never a server error, a refused
// request changes nothing, and the stored monster is always one the rules
// allow.
func FuzzWrite(f *testing.F) {
	for _, seed := range []string{
		`{"health_points":2}`, `{"health_points":-1}`, `{"health_points":1e3}`, `{"user":1}`, `{"user":-5}`,
		`{}`, ``, `{"user":1,"user":2}`, `{"state":"attacking"}`, `{"user":null}`, `[]`, `{"user":99999999999999999999}`,
	} {
		for _, target := range []string{"", "attack", "wander", "evade", "look_for_aid", "fly"} {
			f.Add(seed, target)
		}
	}
	db := storagetest.Open(f, storagetest.Memory, enemies.Migrations())
	store := storagetest.Must(enemies.NewSQLStore(db, nil))
	h, err := enemies.NewHandler(store, nil)
	if err != nil {
		f.Fatal(err)
	}
	m := mustMonster(f, store)
	admin := gamekit.Identity{UserID: 1, Username: "admin", Admin: true}
	f.Fuzz(func(t *testing.T, body, transition string) {
		ctx := context.Background()
		before, err := store.Monster(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if transition != url.PathEscape(transition) || transition == "." || transition == ".." {
			return // another URL, not another transition
		}
		method, path := "PATCH", "/monsters/1/"
		if transition != "" {
			method, path = "POST", "/monsters/1/"+transition+"/"
		}
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req = req.WithContext(gamekit.WithIdentity(req.Context(), admin))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		after, err := store.Monster(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		// A monster attacks someone from attack until it wanders again, and
		// never stays evading when it should look for aid.
		valid := after.HealthPoints >= 0 && (after.State == enemies.Wandering) == (after.UserBeingAttacked == nil) &&
			!(after.State == enemies.Evading && after.HealthPoints <= enemies.AidThreshold)
		if !valid {
			t.Fatalf("%s %s %q: answered %d and stored %+v", method, path, body, rec.Code, after)
		}
		switch {
		case rec.Code == 200:
		case rec.Code == 400 || rec.Code == 404 || rec.Code == 409 || rec.Code == 413:
			if !same(after, before) {
				t.Fatalf("%s %s %q refused with %d but changed %+v to %+v", method, path, body, rec.Code, before, after)
			}
		default:
			t.Fatalf("%s %s %q: status %d %s", method, path, body, rec.Code, rec.Body)
		}
	})
}
