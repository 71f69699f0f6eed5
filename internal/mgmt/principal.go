package mgmt

import (
	"context"

	"github.com/credo-dev/credo/internal/tenant"
)

// Principal is who makes a Management API request: the client of a verified
// bearer token, or an operator in the same process.
type Principal struct {
	// ClientID is the token's client; empty for a local operator.
	ClientID string
	// Name describes the caller in the tenant log (the client's name, or
	// what the local caller says it is, such as "credo CLI").
	Name string
	// Scopes are the scopes the caller holds.
	Scopes []string
	// Local is set for principals from WithPrincipal.
	Local bool
}

type principalKey struct{}

// WithPrincipal returns a context under which the Management API serves a
// request as p, without a bearer token. Only Go code in the same process can
// set it (the CLI working on a database with --db, the dashboard for a
// signed-in session): nothing a request carries over the network can. A
// local principal with every scope is what keeps an operator with database
// access from being locked out by a deleted admin grant or a broken Action.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	p.Local = true
	return context.WithValue(ctx, principalKey{}, p)
}

// LocalAdmin is a local principal with every Management API scope.
func LocalAdmin(name string) Principal {
	return Principal{Name: name, Scopes: append([]string(nil), tenant.ManagementScopes...), Local: true}
}

func principalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
