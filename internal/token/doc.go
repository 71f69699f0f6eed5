// Package token is credo's token endpoint (POST /oauth/token): one fixed
// pipeline of named steps over an Exchange, listed in steps.go,
//
//	parse → authenticate → grant → organization → policy → extensions → mint
//
// where every step returns *oauth.Error or nil, the endpoint records which
// step refused an exchange, and no grant type can skip a step (a GrantType
// only runs the "grant" step). Client authentication is internal/clientauth's.
// The endpoint reads only the immutable tenant.Snapshot: no database round
// trip per request.
package token
