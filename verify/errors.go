package verify

import (
	"errors"
)

// ErrInvalidToken is the base of every error that means "this token must not be
// accepted": it is malformed, badly signed, or its claims do not validate.
// Each of the more specific errors below wraps it, so
// errors.Is(err, ErrInvalidToken) is the one check a caller needs to answer 401.
var ErrInvalidToken = errors.New("verify: invalid token")

// Errors returned by [Verifier.Verify]. Each satisfies
// errors.Is(err, ErrInvalidToken); the returned error wraps one of them and
// adds detail to its message.
var (
	// ErrMalformed: the token is not a compact JWS with a JSON claims set, or a
	// claim has the wrong type, or it is longer than 32 KiB.
	ErrMalformed = newTokenError("malformed token")
	// ErrAlgorithm: the header alg is not in Config.Algorithms, or does not
	// match the key's kty/alg.
	ErrAlgorithm = newTokenError("signing algorithm not allowed")
	// ErrUnknownKey: no key in the issuer's JWKS has the token's kid (also
	// after a refetch, when the cooldown allowed one), or the token has no kid.
	ErrUnknownKey = newTokenError("unknown signing key")
	// ErrSignature: the signature does not verify with the selected key.
	ErrSignature = newTokenError("invalid signature")
	// ErrInvalidIssuer: iss is missing or differs from Config.Issuer.
	ErrInvalidIssuer = newTokenError("invalid issuer")
	// ErrInvalidAudience: aud contains none of Config.Audience.
	ErrInvalidAudience = newTokenError("invalid audience")
	// ErrMissingExpiry: the token has no exp claim.
	ErrMissingExpiry = newTokenError("missing exp claim")
	// ErrExpired: exp is in the past by more than the leeway.
	ErrExpired = newTokenError("token is expired")
	// ErrNotYetValid: nbf is in the future by more than the leeway.
	ErrNotYetValid = newTokenError("token is not valid yet")
	// ErrIssuedInFuture: iat is in the future by more than the leeway.
	ErrIssuedInFuture = newTokenError("token issued in the future")
	// ErrInvalidType: Config.RequireTyp is set and the header typ differs.
	ErrInvalidType = newTokenError("invalid token type")
	// ErrInvalidOrganization: Config.RequireOrganization or
	// Config.Organizations is set and the token has no org_id, or one not in
	// Config.Organizations.
	ErrInvalidOrganization = newTokenError("organization not allowed")
)

// ErrKeysUnavailable means the issuer's JWKS has never been fetched
// successfully, so no asymmetric token can be checked yet. It does not wrap
// [ErrInvalidToken]: the fault is on the verifying side (the middleware answers
// 503), and the same token may verify once the JWKS endpoint answers.
var ErrKeysUnavailable = errors.New("verify: signing keys unavailable")

// ErrNotConfigured is returned by a [Verifier] that was not created by [New],
// such as the zero value. Such a verifier refuses every token.
var ErrNotConfigured = errors.New("verify: Verifier not created with verify.New")

// tokenError is the type of the specific invalid-token sentinels: each is
// distinct, and each is also ErrInvalidToken.
type tokenError struct{ desc string }

func newTokenError(desc string) *tokenError { return &tokenError{desc: desc} }

func (e *tokenError) Error() string { return "verify: " + e.desc }

// Is makes every tokenError match ErrInvalidToken.
func (e *tokenError) Is(target error) bool { return target == ErrInvalidToken }

// description returns the short, fixed text used for error_description: it
// never contains token contents, so it is safe to put in a header.
func description(err error) string {
	var te *tokenError
	if errors.As(err, &te) {
		return te.desc
	}
	return "invalid token"
}
