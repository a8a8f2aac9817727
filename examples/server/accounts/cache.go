package accounts

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"
)

// DefaultCredentialCacheTTL is how long a verified token or password is
// trusted without asking the database again. It bounds how late another
// server process sees a revocation, a password change or a demotion; this
// process sees them at once.
const DefaultCredentialCacheTTL = 5 * time.Second

// maxCachedCredentials bounds the cache; past it, it starts over.
const maxCachedCredentials = 100_000

// credentialCache remembers briefly which user a verified credential (a
// token's hash, or a keyed hash of a username and password) belongs to, so
// that a signed-in request costs a map lookup instead of a query with a
// join, or a bcrypt comparison, on every request.
//
// Any change to users or tokens made through this Accounts (a revocation,
// a sign-out, a new password, admin rights, a deletion) starts a new epoch,
// which empties the cache; an entry is stored only if no epoch began while
// it was being verified, so a check that raced a change never caches the
// state from before it. Other processes' changes are seen when entries
// expire, within the TTL.
type credentialCache struct {
	ttl time.Duration // <= 0: off
	key []byte        // the process's secret for password keys

	mu      sync.RWMutex
	epoch   uint64
	entries map[[32]byte]cachedCredential
}

type cachedCredential struct {
	user  User
	until time.Time
}

func newCredentialCache(ttl time.Duration) *credentialCache {
	key := make([]byte, 32)
	rand.Read(key) // never fails, says crypto/rand
	return &credentialCache{ttl: ttl, key: key, entries: map[[32]byte]cachedCredential{}}
}

// tokenKey is the cache key of a token; it is hashed from a buffer on the
// stack, since it is made on every signed-in request.
func tokenKey(token string) [32]byte {
	var buf [64]byte // room for the prefix and a token (43 bytes)
	return sha256.Sum256(append(append(buf[:0], "token\x00"...), token...))
}

// passwordKey is the cache key of a username and password sent from a
// client: keyed by a secret of this process, so the cache holds nothing
// that could be used to test guesses offline faster than bcrypt, and by
// the client, so a password verified from one client passes no throttle
// that another client is under.
func (c *credentialCache) passwordKey(client, username, password string) [32]byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(client))
	m.Write([]byte{0})
	m.Write([]byte(username))
	m.Write([]byte{0})
	m.Write([]byte(password))
	var k [32]byte
	m.Sum(k[:0])
	return k
}

// get returns the user of a cached credential still valid at now, and the
// epoch to pass to put after verifying one that was not cached.
func (c *credentialCache) get(key [32]byte, now time.Time) (User, bool, uint64) {
	if c.ttl <= 0 {
		return User{}, false, 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.until) {
		return User{}, false, c.epoch
	}
	return e.user, true, c.epoch
}

// put caches a credential verified at now, valid until the earlier of
// now + TTL and expires (the zero time for none), unless a new epoch began
// since get returned epoch.
func (c *credentialCache) put(key [32]byte, u User, now, expires time.Time, epoch uint64) {
	if c.ttl <= 0 {
		return
	}
	until := now.Add(c.ttl)
	if !expires.IsZero() && expires.Before(until) {
		until = expires
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	if len(c.entries) >= maxCachedCredentials {
		clear(c.entries)
	}
	c.entries[key] = cachedCredential{user: u, until: until}
}

// forget starts a new epoch: every credential is checked again.
func (c *credentialCache) forget() {
	c.mu.Lock()
	c.epoch++
	clear(c.entries)
	c.mu.Unlock()
}
