package token

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/internal/tenant"
)

// policy is the pipeline's policy step: the client grant for the audience,
// the scopes to issue and the token's lifetime.
func (e *Endpoint) policy(_ context.Context, ex *Exchange) *oauth.Error {
	snap := ex.Snapshot
	g := ex.Grant // found by the organization step
	if g == nil {
		var ok bool
		if g, ok = snap.Grant(ex.Client.ClientID, ex.API.Identifier); !ok {
			return oauth.NoClientGrant(ex.API.Identifier)
		}
		ex.Grant = g
	}
	var oerr *oauth.Error
	if ex.Requested, oerr = splitScope(ex.Request.Scope); oerr != nil {
		return oerr
	}
	if ex.Scopes, oerr = snap.Scopes(g, ex.Requested); oerr != nil {
		return oerr
	}
	ex.Issued = e.now()
	ex.Lifetime = int64(ex.API.TokenLifetime)
	if ex.Client.TokenLifetime > 0 {
		ex.Lifetime = int64(ex.Client.TokenLifetime)
	}
	if ex.Lifetime <= 0 {
		ex.Lifetime = tenant.DefaultTokenLifetime
	}
	return nil
}

// extensions is the pipeline's Actions and Hooks step; what they leave of
// the scopes is intersected with the grant.
func (e *Endpoint) extensions(ctx context.Context, ex *Exchange) *oauth.Error {
	if e.Extensions == nil || ex.Snapshot.Extensions == nil {
		return nil
	}
	if oerr := e.Extensions(ctx, ex); oerr != nil {
		return oerr
	}
	ex.Scopes = intersect(ex.Scopes, ex.Grant)
	return nil
}

func splitScope(s string) ([]string, *oauth.Error) {
	if s == "" {
		return nil, nil
	}
	out := strings.Fields(s)
	for _, v := range out {
		if !tenant.ValidScope(v) {
			return nil, oauth.InvalidScope("Malformed scope: " + strconv.Quote(v))
		}
	}
	return out, nil
}

// intersect keeps only scopes the grant allows, in order, without duplicates.
func intersect(scopes []string, g *tenant.Grant) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if g.Allows(s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
