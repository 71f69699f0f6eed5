package verify

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejson "github.com/go-jose/go-jose/v4/json"
)

// ErrRevoked: the token is listed in the issuer's revocation list (by its id,
// or because its client's tokens issued before a time were revoked). Only a
// Verifier with Config.RevocationListURL returns it.
var ErrRevoked = newTokenError("token is revoked")

// ErrRevocationsUnavailable means the issuer's revocation list could not be
// fetched, or the last one fetched has expired, so a Verifier that checks
// revocation cannot tell whether a token is revoked. Like ErrKeysUnavailable
// it does not wrap ErrInvalidToken (the middleware answers 503).
var ErrRevocationsUnavailable = errors.New("verify: revocation list unavailable")

// Revocation list defaults.
const (
	DefaultRevocationInterval = 30 * time.Second
	maxRevocationListBytes    = 8 << 20
)

// TokenID is how a revocation list names a token: its jti when it has one,
// else "sha256:" and the unpadded base64url SHA-256 of the compact token
// (credo's Auth0-profile tokens carry no jti).
func TokenID(rawToken, jti string) string {
	if jti != "" {
		return jti
	}
	h := sha256.Sum256([]byte(rawToken))
	return "sha256:" + base64.RawURLEncoding.EncodeToString(h[:])
}

// revocations polls a signed revocation list (credo's
// /.well-known/revocations.jwt): a JWT from the issuer, signed with a key of
// its JWKS, whose claims are iss, iat, exp, revoked_tokens ({id: exp}) and
// clients_not_before ({client_id: unix seconds}).
type revocations struct {
	url      string
	interval time.Duration
	client   *http.Client
	keys     *jwksCache
	issuer   string
	now      func() time.Time

	list     atomic.Pointer[revocationList]
	mu       sync.Mutex // one fetch at a time
	fetching atomic.Bool
}

type revocationList struct {
	fetched time.Time
	expires time.Time
	tokens  map[string]int64
	clients map[string]int64
}

// check returns ErrRevoked when c (verified from raw) is revoked. The list is
// fetched on first use and refreshed in the background every interval; a
// list past its exp that cannot be refreshed is ErrRevocationsUnavailable.
func (r *revocations) check(ctx context.Context, raw string, c *Claims) error {
	now := r.now()
	l := r.list.Load()
	switch {
	case l == nil || !now.Before(l.expires):
		if err := r.refresh(ctx); err != nil {
			return fmt.Errorf("%w: %w", ErrRevocationsUnavailable, err)
		}
		l = r.list.Load()
	case now.Sub(l.fetched) >= r.interval && r.fetching.CompareAndSwap(false, true):
		go func() {
			defer r.fetching.Store(false)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r.refresh(ctx)
		}()
	}
	if _, ok := l.tokens[TokenID(raw, c.ID)]; ok {
		return fmt.Errorf("%w: by its id", ErrRevoked)
	}
	if nb, ok := l.clients[c.ClientID]; ok && !c.IssuedAt.IsZero() && c.IssuedAt.Unix() < nb {
		return fmt.Errorf("%w: the client's tokens issued before %s are revoked", ErrRevoked, time.Unix(nb, 0).UTC().Format(time.RFC3339))
	}
	return nil
}

// refresh fetches and verifies the list; concurrent callers share one fetch.
func (r *revocations) refresh(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l := r.list.Load(); l != nil && r.now().Sub(l.fetched) < time.Second {
		return nil // another caller just fetched it
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", r.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRevocationListBytes+1))
	if err != nil {
		return err
	}
	if len(body) > maxRevocationListBytes {
		return fmt.Errorf("GET %s: larger than %d bytes", r.url, maxRevocationListBytes)
	}
	jws, err := jose.ParseSignedCompact(strings.TrimSpace(string(body)), []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA})
	if err != nil {
		return fmt.Errorf("revocation list: %w", err)
	}
	h := jws.Signatures[0].Header
	k, err := r.keys.lookup(ctx, h.KeyID)
	if err != nil {
		return fmt.Errorf("revocation list key: %w", err)
	}
	if !k.fits(h.Algorithm) {
		return fmt.Errorf("revocation list: key %q does not fit %s", h.KeyID, h.Algorithm)
	}
	payload, err := jws.Verify(k.key)
	if err != nil {
		return fmt.Errorf("revocation list signature: %w", err)
	}
	var doc struct {
		Issuer  string           `json:"iss"`
		Expiry  int64            `json:"exp"`
		Tokens  map[string]int64 `json:"revoked_tokens"`
		Clients map[string]int64 `json:"clients_not_before"`
	}
	if err := josejson.Unmarshal(payload, &doc); err != nil {
		return fmt.Errorf("revocation list: %w", err)
	}
	now := r.now()
	if doc.Issuer != r.issuer {
		return fmt.Errorf("revocation list: iss %q, want %q", doc.Issuer, r.issuer)
	}
	exp := time.Unix(doc.Expiry, 0)
	if !now.Before(exp) {
		return fmt.Errorf("revocation list expired at %s", exp.UTC().Format(time.RFC3339))
	}
	r.list.Store(&revocationList{fetched: now, expires: exp, tokens: doc.Tokens, clients: doc.Clients})
	return nil
}

// newRevocations validates the revocation settings of cfg (nil when off).
func newRevocations(cfg Config, keys *jwksCache, now func() time.Time) (*revocations, error) {
	if cfg.RevocationListURL == "" {
		return nil, nil
	}
	u, err := url.Parse(cfg.RevocationListURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("verify: revocation list URL %q is not an absolute http(s) URL", cfg.RevocationListURL)
	}
	if keys == nil {
		return nil, errors.New("verify: Config.RevocationListURL needs an asymmetric algorithm (the list is signed with the issuer's JWKS keys)")
	}
	r := &revocations{url: cfg.RevocationListURL, interval: cfg.RevocationListInterval, client: keys.client, keys: keys, issuer: cfg.Issuer, now: now}
	switch {
	case r.interval == 0:
		r.interval = DefaultRevocationInterval
	case r.interval < 0:
		return nil, errors.New("verify: Config.RevocationListInterval must not be negative")
	}
	return r, nil
}
