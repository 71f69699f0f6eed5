package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// realm is the RFC 6750 realm in every WWW-Authenticate challenge, the value
// Auth0's express-oauth2-jwt-bearer uses.
const realm = "api"

type claimsKey struct{}

// ClaimsFrom returns the claims that [Verifier.Middleware] stored in ctx.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}

// Middleware authenticates each request with the bearer token in its
// Authorization header (RFC 6750 §2.1; the scheme is case-insensitive) and
// calls next with the verified [Claims] in the request context (see
// [ClaimsFrom]). Tokens in the query string or form body are not read.
//
// Failures are answered here, with a JSON body and an RFC 6750 §3 challenge:
//
//   - no Authorization header, or one with another scheme: 401 with
//     `WWW-Authenticate: Bearer realm="api"` and no error code (§3.1), body
//     {"error_description": "…"};
//   - an empty bearer token or several Authorization headers: 400
//     invalid_request;
//   - a token that does not verify: 401 invalid_token, with a fixed
//     error_description such as "token is expired";
//   - keys unavailable (the JWKS was never fetched): 503; a verifier not made
//     by [New]: 500.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, status := bearerToken(r)
		switch status {
		case http.StatusUnauthorized:
			challenge(w, http.StatusUnauthorized, "", "missing bearer token", "")
			return
		case http.StatusBadRequest:
			challenge(w, http.StatusBadRequest, "invalid_request", "malformed Authorization header", "")
			return
		}
		claims, err := v.Verify(r.Context(), raw)
		switch {
		case err == nil:
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, claims)))
		case errors.Is(err, ErrInvalidToken):
			challenge(w, http.StatusUnauthorized, "invalid_token", description(err), "")
		case errors.Is(err, ErrKeysUnavailable):
			writeJSON(w, http.StatusServiceUnavailable, "temporarily_unavailable", "signing keys unavailable")
		case errors.Is(err, ErrRevocationsUnavailable):
			writeJSON(w, http.StatusServiceUnavailable, "temporarily_unavailable", "revocation list unavailable")
		default:
			writeJSON(w, http.StatusInternalServerError, "server_error", "token verification failed")
		}
	})
}

// bearerToken extracts the token, or returns 401 when the request carries no
// bearer credentials and 400 when the header is malformed.
func bearerToken(r *http.Request) (string, int) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return "", http.StatusUnauthorized
	}
	if len(values) > 1 {
		return "", http.StatusBadRequest
	}
	scheme, token, _ := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", http.StatusUnauthorized
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return "", http.StatusBadRequest
	}
	return token, 0
}

// RequireScope returns middleware that lets a request through only when the
// claims put in its context by [Verifier.Middleware] include every one of
// scopes (all are required, not any). Otherwise it answers 403
// insufficient_scope with a challenge naming the required scopes
// (RFC 6750 §3.1), or 401 when the request has no verified claims, which
// means RequireScope was mounted without Middleware in front of it.
//
// RequireScope panics if a scope is empty or contains characters that RFC
// 6750 §3 does not allow in a scope token (spaces, quotes, backslashes, or
// control characters): that is a programming error, found at startup.
func RequireScope(scopes ...string) func(http.Handler) http.Handler {
	for _, s := range scopes {
		if !validScopeToken(s) {
			panic(fmt.Sprintf("verify.RequireScope: invalid scope %q", s))
		}
	}
	required := append([]string(nil), scopes...)
	joined := strings.Join(required, " ")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := ClaimsFrom(r.Context())
			if !ok {
				challenge(w, http.StatusUnauthorized, "", "missing bearer token", "")
				return
			}
			for _, s := range required {
				if !c.HasScope(s) {
					challenge(w, http.StatusForbidden, "insufficient_scope", "insufficient scope", joined)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// validScopeToken: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) (RFC 6749 §3.3).
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b < 0x21 || b > 0x7e || b == '"' || b == '\\' {
			return false
		}
	}
	return true
}

// challenge writes an RFC 6750 §3 WWW-Authenticate header and a JSON body.
// code "" means the request had no credentials: the challenge then carries
// only the realm. desc and scope are fixed strings or validated scope tokens,
// so they never need escaping.
func challenge(w http.ResponseWriter, status int, code, desc, scope string) {
	var b strings.Builder
	b.WriteString(`Bearer realm="` + realm + `"`)
	if code != "" {
		b.WriteString(`, error="` + code + `", error_description="` + desc + `"`)
		if scope != "" {
			b.WriteString(`, scope="` + scope + `"`)
		}
	}
	w.Header().Set("WWW-Authenticate", b.String())
	writeJSON(w, status, code, desc)
}

type errorBody struct {
	Error       string `json:"error,omitempty"`
	Description string `json:"error_description"`
}

func writeJSON(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Error: code, Description: desc})
}
