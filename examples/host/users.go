package main

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/rest"
)

// demoUsers is the host's user table, by bearer token. Users belong to the
// host, not to gamekit: a real one keeps them in its own tables, with
// passwords or tokens of its own.
var demoUsers = map[string]gamekit.Identity{
	"admin-token": {UserID: 1, Username: "admin", Admin: true},
	"alice-token": {UserID: 2, Username: "alice"},
	"bob-token":   {UserID: 3, Username: "bob"},
}

// authenticate puts the caller named by a bearer token on the request's
// context, where every gamekit handler and the hub look for it. A request
// without a token is anonymous; an unknown token is refused.
func authenticate(users map[string]gamekit.Identity, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			id, known := users[token]
			if !known {
				rest.WriteError(w, r, gamekit.Errorf(gamekit.ErrUnauthenticated, "Invalid token."))
				return
			}
			r = r.WithContext(gamekit.WithIdentity(r.Context(), id))
		}
		next.ServeHTTP(w, r)
	})
}

// usernames is the users as chat asks about them (chat.Users), by id: the
// recipient of a DM, a member to add, must exist. A real host looks them
// up in its own table; this one goes through its few.
type usernames map[string]gamekit.Identity

func (u usernames) Username(_ context.Context, id int64) (string, error) {
	for _, user := range u {
		if user.UserID == id {
			return user.Username, nil
		}
	}
	return "", gamekit.ErrNotFound
}

// addUsers gives each user without one an inventory and a player, gamekit's
// records of a user, in tx; hub announces the new players once tx commits.
func addUsers(ctx context.Context, tx bun.Tx, hub gamekit.Publisher, users map[string]gamekit.Identity) error {
	invs, err1 := inventory.NewSQLStore(tx, nil)
	ps, err2 := players.NewSQLStore(tx, &players.StoreOptions{Publisher: hub})
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	for _, u := range users {
		_, err := invs.InventoryOfUser(ctx, u.UserID)
		if errors.Is(err, gamekit.ErrNotFound) {
			err = invs.CreateInventory(ctx, &inventory.Inventory{UserID: u.UserID, Username: u.Username})
			if err == nil {
				err = ps.CreatePlayer(ctx, &players.Player{UserID: u.UserID, Username: u.Username})
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
