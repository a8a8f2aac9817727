package accounts

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/gamekit/gamekit/storage/storagetest"
)

// Signing in as a user who does not exist costs one bcrypt comparison at
// the configured cost, exactly as a wrong password does, so the time an
// answer takes does not tell which usernames exist. (Counted, not timed:
// timings on a shared machine prove nothing.)
func TestUnknownUserCostsWhatAWrongPasswordCosts(t *testing.T) {
	db := storagetest.Open(t, storagetest.Memory, Migrations())
	a, err := New(db, &Options{BcryptCost: 6})
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost(a.dummyHash); err != nil || cost != 6 {
		t.Errorf("stand-in hash cost: got %d %v, want 6", cost, err)
	}
	ctx := context.Background()
	if _, err := a.CreateUser(ctx, "alice", "correct horse", false); err != nil {
		t.Fatal(err)
	}
	var costs []int
	a.compare = func(hash, password []byte) error {
		cost, _ := bcrypt.Cost(hash)
		costs = append(costs, cost)
		return bcrypt.CompareHashAndPassword(hash, password)
	}
	for _, username := range []string{"alice", "nobody"} {
		costs = nil
		if _, err := a.Authenticate(ctx, username, "wrong horse", ""); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("%s: got %v, want ErrBadCredentials", username, err)
		}
		if len(costs) != 1 || costs[0] != 6 {
			t.Errorf("%s: bcrypt comparisons at costs %v, want one at cost 6", username, costs)
		}
	}
}
