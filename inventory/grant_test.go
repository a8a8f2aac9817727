package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/inventory"
)

// gifts returns, per username, the names of the items its inventory holds
// whose name starts with "Gift".
func gifts(t *testing.T, s *inventory.SQLStore) map[string][]string {
	t.Helper()
	ctx := context.Background()
	invs, err := s.Inventories(ctx, inventory.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string][]string)
	for _, inv := range invs {
		got[inv.Username] = []string{}
		for _, id := range inv.Items {
			item, err := s.Item(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if item.Weight != 0 {
				t.Errorf("%s's gift %q weighs %v, want 0", inv.Username, item.Name, item.Weight)
			}
			got[inv.Username] = append(got[inv.Username], item.Name)
		}
	}
	return got
}

func TestGrant(t *testing.T) {
	runStore(t, func(t *testing.T, s *inventory.SQLStore, _ *bun.DB) {
		ctx := context.Background()
		for i, name := range []string{"alice", "bob", "carol", "dave", "erin"} {
			mustInventory(t, s, int64(i+1), name)
		}
		var told [][]int64
		grant := inventory.Grant{Key: "gifts:1", Name: "Gift for {username}", BatchSize: 2,
			Granted: func(_ context.Context, users []int64) error {
				told = append(told, slices.Clone(users))
				return nil
			}}
		n, err := s.GrantItems(ctx, grant)
		if err != nil || n != 5 {
			t.Fatalf("first grant: got %d %v, want 5", n, err)
		}
		if got, want := fmt.Sprint(told), "[[1 2] [3 4] [5]]"; got != want {
			t.Errorf("told per batch: got %v, want %v", got, want)
		}
		want := map[string][]string{"alice": {"Gift for alice"}, "bob": {"Gift for bob"}, "carol": {"Gift for carol"},
			"dave": {"Gift for dave"}, "erin": {"Gift for erin"}}
		if got := gifts(t, s); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after one grant: got %v, want %v", got, want)
		}

		// The same key again gives nothing and tells no one.
		told = nil
		if n, err := s.GrantItems(ctx, grant); err != nil || n != 0 || told != nil {
			t.Errorf("repeat: got %d %v told %v, want 0 and nobody told", n, err, told)
		}
		if got := gifts(t, s); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after a repeat: got %v, want %v", got, want)
		}

		// A new key gives everyone one more, through the built-in-types method.
		if n, err := s.Grant(ctx, "gifts:2", "Present {username}!", 0, nil); err != nil || n != 5 {
			t.Errorf("second key: got %d %v, want 5", n, err)
		}
		if got := gifts(t, s)["bob"]; fmt.Sprint(got) != "[Gift for bob Present bob!]" {
			t.Errorf("bob after two keys: got %v", got)
		}
		if n, _ := s.CountItems(ctx, inventory.ListOptions{}); n != 10 {
			t.Errorf("items: got %d, want 10", n)
		}
	})
}

// A grant stopped after some batches is completed by running it again, and
// nobody gets the grant twice.
func TestGrantResumes(t *testing.T) {
	runStore(t, func(t *testing.T, s *inventory.SQLStore, _ *bun.DB) {
		ctx := context.Background()
		for i := range 7 {
			mustInventory(t, s, int64(i+1), fmt.Sprintf("user%d", i+1))
		}
		crash := errors.New("power cut")
		grant := inventory.Grant{Key: "gifts:9", Name: "Gift for {username}", BatchSize: 3,
			Granted: func(context.Context, []int64) error { return crash }}
		n, err := s.GrantItems(ctx, grant)
		if !errors.Is(err, crash) || n != 3 {
			t.Fatalf("interrupted grant: got %d %v, want 3 and the crash", n, err)
		}
		grant.Granted = nil
		if n, err := s.GrantItems(ctx, grant); err != nil || n != 4 {
			t.Errorf("resumed grant: got %d %v, want the 4 not yet served", n, err)
		}
		for user, names := range gifts(t, s) {
			if len(names) != 1 || names[0] != "Gift for "+user {
				t.Errorf("%s: got %v, want exactly one gift", user, names)
			}
		}

		// A cancelled context stops a grant between batches; what committed stays.
		cctx, cancel := context.WithCancel(ctx)
		grant = inventory.Grant{Key: "gifts:10", Name: "g", BatchSize: 2,
			Granted: func(context.Context, []int64) error { cancel(); return nil }}
		if n, err := s.GrantItems(cctx, grant); err == nil || n != 2 {
			t.Errorf("cancelled grant: got %d %v, want 2 and an error", n, err)
		}
		grant.Granted = nil
		if n, err := s.GrantItems(ctx, grant); err != nil || n != 5 {
			t.Errorf("completed after cancel: got %d %v, want 5", n, err)
		}
	})
}

// A grant serves the inventories existing when it starts (or the range it
// is given); one created during the grant waits for the next.
func TestGrantRange(t *testing.T) {
	runStore(t, func(t *testing.T, s *inventory.SQLStore, _ *bun.DB) {
		ctx := context.Background()
		var invs []inventory.Inventory
		for i := range 4 {
			invs = append(invs, mustInventory(t, s, int64(i+1), fmt.Sprintf("user%d", i+1)))
		}
		grant := inventory.Grant{Key: "k", Name: "g", BatchSize: 1,
			FirstInventoryID: invs[1].ID, LastInventoryID: invs[2].ID}
		if n, err := s.GrantItems(ctx, grant); err != nil || n != 2 {
			t.Errorf("range: got %d %v, want 2", n, err)
		}
		created := false
		grant = inventory.Grant{Key: "k2", Name: "g", BatchSize: 2,
			Granted: func(ctx context.Context, _ []int64) error {
				if !created {
					created = true
					mustInventory(t, s, 99, "latecomer")
				}
				return nil
			}}
		if n, err := s.GrantItems(ctx, grant); err != nil || n != 4 {
			t.Errorf("grant with a latecomer: got %d %v, want the 4 who were there", n, err)
		}
		if got := gifts(t, s)["latecomer"]; len(got) != 0 {
			t.Errorf("latecomer got %v, want nothing from a grant that started before", got)
		}
	})
}

func TestGrantValidation(t *testing.T) {
	runStore(t, func(t *testing.T, s *inventory.SQLStore, _ *bun.DB) {
		for _, g := range []inventory.Grant{
			{Key: "", Name: "g"},
			{Key: "k", Name: ""},
			{Key: "k", Name: "g", Weight: -1},
			{Key: "k", Name: string(make([]byte, 200)) + "{username}"},
		} {
			if _, err := s.GrantItems(context.Background(), g); !errors.Is(err, gamekit.ErrInvalid) {
				t.Errorf("grant %+v: got %v, want invalid", g, err)
			}
		}
	})
}
