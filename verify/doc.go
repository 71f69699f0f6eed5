// Package verify checks OAuth 2.0 JWT access tokens issued by credo (or by
// Auth0, or by any issuer that publishes a JWKS) in a Go API.
//
// It owns three things: a [Verifier] that validates a token's signature and
// claims (RFC 7519 §7.2, RFC 9068 §4), a JWKS cache that fetches and refreshes
// the issuer's public keys, and net/http middleware that turns a request's
// bearer token (RFC 6750) into [Claims] in the request context.
//
// Secure usage is the only easy usage:
//
//   - The zero value [Verifier] refuses every token; build one with [New].
//   - [Config.Algorithms] is a required allow-list. "none" is always refused.
//   - HMAC algorithms (HS256, HS384, HS512) verify only with
//     [Config.HMACSecret]; a public key from the JWKS is never used as an HMAC
//     secret, and symmetric ("oct") keys in a JWKS are ignored.
//   - The issuer is compared exactly, the audience must contain one of the
//     configured audiences, and exp is required.
//
// A typical API:
//
//	v, err := verify.New(verify.Config{
//		Issuer:     "https://auth.example.com/",
//		Audience:   []string{"https://timesheets.example.com"},
//		Algorithms: []string{"RS256"},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux.Handle("GET /timesheets", v.Middleware(verify.RequireScope("read:timesheets")(list)))
//
// Revocation (opt-in, a credo extension): with [Config.RevocationListURL]
// the verifier polls credo's signed revocation list in the background and
// refuses revoked tokens with [ErrRevoked], without a call per request.
//
// The package depends only on the standard library and go-jose; it imports
// nothing from the rest of credo, so any Go service can use it.
package verify
