package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/storage"
)

// tokenRow is an issued token as stored: its hash, never the token.
type tokenRow struct {
	bun.BaseModel `bun:"table:gamekit_tokens,alias:t"`

	ID        int64 `bun:",pk,autoincrement"`
	TokenHash string
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time

	User *userRow `bun:"rel:belongs-to,join:user_id=id"`
}

// hashToken is how a token is stored and looked up. A fast hash is enough:
// the token is 256 random bits, not a password that could be guessed, and
// looking up a hash rather than the token means the database's comparison
// time cannot leak the token a byte at a time.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// IssueToken creates a bearer token for a user and returns it with the
// moment it expires (Options.TokenLifetime from now, to the second). The
// token is 32 random bytes in unpadded base64url (43 characters); only its
// SHA-256 is stored, so it cannot be shown again: the caller hands it to the
// client now. The user's expired tokens are deleted on the way, so the
// table does not grow with users who sign in often.
func (a *Accounts) IssueToken(ctx context.Context, userID int64) (token string, expiresAt time.Time, err error) {
	return a.IssueTokenFor(ctx, userID, a.lifetime)
}

// IssueTokenFor is IssueToken with a lifetime of its own, for sessions that
// should end sooner than API tokens (the admin's). The token works
// everywhere a token does: UserByToken, Revoke, the middleware.
func (a *Accounts) IssueTokenFor(ctx context.Context, userID int64, lifetime time.Duration) (token string, expiresAt time.Time, err error) {
	if lifetime <= 0 {
		return "", time.Time{}, fmt.Errorf("accounts: issue token: lifetime %s: want more than 0", lifetime)
	}
	token = base64.RawURLEncoding.EncodeToString(randomBytes(32))
	now := a.now().UTC()
	row := tokenRow{
		TokenHash: hashToken(token),
		UserID:    userID,
		CreatedAt: now.Truncate(time.Microsecond),
		ExpiresAt: now.Add(lifetime).Truncate(time.Second),
	}
	err = storage.RunInTx(ctx, a.db, func(ctx context.Context, tx bun.Tx) error {
		exists, err := tx.NewSelect().Model((*userRow)(nil)).Where("id = ?", userID).Exists(ctx)
		if err != nil {
			return err
		}
		if !exists {
			return ErrUserNotFound
		}
		if _, err := tx.NewDelete().Model((*tokenRow)(nil)).
			Where("user_id = ? AND expires_at <= ?", userID, now).Exec(ctx); err != nil {
			return err
		}
		row.ID = 0
		_, err = tx.NewInsert().Model(&row).Exec(ctx)
		return err
	})
	if err != nil {
		return "", time.Time{}, wrap(err, "issue token")
	}
	return token, row.ExpiresAt, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails, says crypto/rand
	return b
}

// UserByToken returns the user a token was issued to, as the user is now
// (a change of admin rights shows from the next request; see
// Options.CredentialCacheTTL for other processes'). A token never issued,
// or revoked, is ErrInvalidToken; an expired one is deleted and is
// ErrTokenExpired.
func (a *Accounts) UserByToken(ctx context.Context, token string) (User, error) {
	key := tokenKey(token)
	now := a.now()
	u, ok, epoch := a.credentials.get(key, now)
	if ok {
		return u, nil
	}
	hash := hashToken(token)
	var row tokenRow
	err := a.db.NewSelect().Model(&row).Relation("User").Where("t.token_hash = ?", hash).Scan(ctx)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return User{}, ErrInvalidToken
	case err != nil:
		return User{}, fmt.Errorf("accounts: find token: %w", err)
	}
	if !now.Before(row.ExpiresAt) {
		if _, err := a.db.NewDelete().Model((*tokenRow)(nil)).Where("token_hash = ?", hash).Exec(ctx); err != nil {
			return User{}, fmt.Errorf("accounts: delete expired token: %w", err)
		}
		return User{}, ErrTokenExpired
	}
	u = row.User.user()
	a.credentials.put(key, u, now, row.ExpiresAt, epoch)
	return u, nil
}

// Revoke deletes a token, so it is refused from now on: signing out. A
// token that does not exist (never issued, revoked already) is
// ErrInvalidToken.
func (a *Accounts) Revoke(ctx context.Context, token string) error {
	res, err := a.db.NewDelete().Model((*tokenRow)(nil)).Where("token_hash = ?", hashToken(token)).Exec(ctx)
	a.credentials.forget()
	if err := affected(res, err); err != nil {
		if errors.Is(err, ErrUserNotFound) {
			return ErrInvalidToken
		}
		return fmt.Errorf("accounts: revoke token: %w", err)
	}
	return nil
}
