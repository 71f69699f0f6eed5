// Package token is credo's token endpoint (POST /oauth/token): one fixed
// pipeline over a request value,
//
//	parse → authenticate client → check grant type → resolve audience →
//	policy (client grant, scopes) → build claims → extensions (Actions/Hooks) →
//	sign → write
//
// where every step returns *oauth.Error or nil and no step can be skipped by
// a grant type. It reads only the immutable tenant.Snapshot: no database
// round trip per request.
package token
