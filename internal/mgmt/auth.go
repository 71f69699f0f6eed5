package mgmt

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/verify"
)

// Algorithms the Management API accepts on its tokens: the system API signs
// with RS256; the others are what credo's tenant keys can sign with.
var tokenAlgorithms = []string{"RS256", "PS256", "ES256", "EdDSA"}

// authenticator verifies bearer tokens with the public verify package. The
// JWKS is served in process from the snapshot the verifier was built for;
// when the tenant's keys change a new verifier is built, so a rotated-in key
// verifies at once and a revoked key stops at once.
type authenticator struct {
	issuer, audience string
	holder           *tenant.Holder
	now              func() time.Time

	mu  sync.Mutex
	cur atomic.Pointer[keyedVerifier]
}

type keyedVerifier struct {
	jwks []byte
	v    *verify.Verifier
}

func newAuthenticator(issuer, audience string, h *tenant.Holder, now func() time.Time) *authenticator {
	return &authenticator{issuer: issuer, audience: audience, holder: h, now: now}
}

func (a *authenticator) verifier() (*verify.Verifier, error) {
	jwks := a.holder.Current().Keys.JWKS()
	if kv := a.cur.Load(); kv != nil && bytes.Equal(kv.jwks, jwks) {
		return kv.v, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if kv := a.cur.Load(); kv != nil && bytes.Equal(kv.jwks, jwks) {
		return kv.v, nil
	}
	url := a.issuer + ".well-known/jwks.json"
	v, err := verify.New(verify.Config{
		Issuer:          a.issuer,
		Audience:        []string{a.audience},
		Algorithms:      tokenAlgorithms,
		JWKSURL:         url,
		HTTPClient:      &http.Client{Transport: jwksTransport{url: url, body: jwks}},
		CacheTTL:        time.Hour, // replaced as soon as the keys change anyway
		RefreshCooldown: time.Second,
		Now:             a.now,
	})
	if err != nil {
		return nil, err
	}
	a.cur.Store(&keyedVerifier{jwks: jwks, v: v})
	return v, nil
}

// jwksTransport answers the JWKS URL with a fixed document: the verifier's
// key fetches never leave the process.
type jwksTransport struct {
	url  string
	body []byte
}

func (t jwksTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	status, body := http.StatusOK, t.body
	if r.URL.String() != t.url {
		status, body = http.StatusNotFound, nil
	}
	return &http.Response{
		StatusCode:    status,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}

// authenticate verifies the request's bearer token and returns its claims
// and the scopes that count: the token's scopes that the caller's grant to
// the Management API still holds. A token whose client or grant is gone is
// refused.
func (a *authenticator) authenticate(r *http.Request) (*verify.Claims, []string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil, errMissingAuth()
	}
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, nil, errMissingAuth()
	}
	v, err := a.verifier()
	if err != nil {
		return nil, nil, errInternal(err)
	}
	claims, err := v.Verify(r.Context(), tok)
	if err != nil {
		if errors.Is(err, verify.ErrInvalidToken) {
			return nil, nil, errInvalidToken()
		}
		return nil, nil, errInternal(err)
	}
	snap := a.holder.Current()
	if _, ok := snap.Client(claims.ClientID); !ok || snap.TokenRevoked(claims.ClientID, verify.TokenID(tok, claims.ID), claims.IssuedAt) {
		return nil, nil, errInvalidToken()
	}
	g, ok := snap.Grant(claims.ClientID, a.audience)
	if !ok {
		return nil, nil, errInvalidToken()
	}
	var scopes []string
	for _, s := range claims.Scopes {
		if g.Allows(s) {
			scopes = append(scopes, s)
		}
	}
	return claims, scopes, nil
}
