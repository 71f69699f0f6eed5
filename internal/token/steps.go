package token

import (
	"context"

	"github.com/credo-dev/credo/internal/oauth"
)

// step is one named stage of the token pipeline. It returns nil to go on,
// or the error that ends the exchange; the endpoint records the name of the
// step that failed (tenant log, metrics, debug log).
type step struct {
	name string
	run  func(e *Endpoint, ctx context.Context, ex *Exchange) *oauth.Error
}

// pipeline is THE token pipeline, like the route table: every request runs
// these steps in order until one fails, and no grant type can skip one. A
// feature is a file and a line here: per-client quotas and rate limits add
// "limit" after parse, DPoP and certificate-bound tokens add "bind" before
// extensions, each with its own issue.
var pipeline = []step{
	{"parse", (*Endpoint).parse},               // parse.go: the request, its grant type, the caller's address
	{"authenticate", (*Endpoint).authenticate}, // authenticate.go: the client, by internal/clientauth
	{"grant", (*Endpoint).grant},               // grant.go: what the grant type requires; the audience
	{"organization", (*Endpoint).organization}, // grant.go: the organization parameter
	{"policy", (*Endpoint).policy},             // policy.go: the client grant, scopes, lifetime
	{"extensions", (*Endpoint).extensions},     // scripts.go: Actions and Hooks
	{"mint", (*Endpoint).mint},                 // mint.go: claims, signature (or a reused token)
}

// grantTypes are the grant types the endpoint serves, by grant_type value.
var grantTypes = map[string]GrantType{
	oauth.GrantClientCredentials: clientCredentials{},
}
