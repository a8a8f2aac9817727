package gamekit

import "context"

// Identity is who is making a request, as established by the host's
// authentication. gamekit packages never see passwords or tokens: they read
// the Identity from the request context and apply their own rules to it.
type Identity struct {
	UserID   int64
	Username string
	Admin    bool
}

type identityKey struct{}

// WithIdentity returns a copy of ctx carrying id. A host's authentication
// middleware calls it once per request.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the identity on ctx and whether there is one; an
// anonymous request has none.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}
