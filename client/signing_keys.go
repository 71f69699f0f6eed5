package client

import (
	"context"
	"net/http"
	"time"
)

// SigningKey is one of the tenant's token-signing keys
// (/api/v2/keys/signing). A tenant has a current and a next key, and a
// previous key until it is revoked; the JWKS publishes all three.
type SigningKey struct {
	KID          string     `json:"kid"`
	Cert         string     `json:"cert,omitempty"`  // PEM certificate
	PKCS7        string     `json:"pkcs7,omitempty"` // PKCS#7 form of Cert
	Current      bool       `json:"current,omitempty"`
	Next         bool       `json:"next,omitempty"`
	Previous     bool       `json:"previous,omitempty"`
	CurrentSince *time.Time `json:"current_since,omitempty"`
	CurrentUntil *time.Time `json:"current_until,omitempty"`
	Fingerprint  string     `json:"fingerprint,omitempty"`
	Thumbprint   string     `json:"thumbprint,omitempty"`
	Revoked      bool       `json:"revoked,omitempty"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	// KeyType ("RSA", "EC" or "OKP") and Algorithms (the JWS algorithms the
	// key signs) are credo extensions: credo keeps one key lifecycle per key
	// type.
	KeyType    string   `json:"kty,omitempty"`
	Algorithms []string `json:"algs,omitempty"`
	// State is "current", "next", "previous" or "revoked" within the key's
	// type (credo extension). Current, Next and Previous are Auth0's
	// booleans, set on RSA keys only: Auth0 tenants have one current key.
	State string `json:"state,omitempty"`
}

// SigningKeysService manages signing keys (/api/v2/keys/signing).
type SigningKeysService struct{ c *Client }

// List returns every signing key (GET /api/v2/keys/signing). Scope
// read:signing_keys.
func (s *SigningKeysService) List(ctx context.Context) ([]SigningKey, error) {
	var out []SigningKey
	if err := s.c.do(ctx, http.MethodGet, "keys/signing", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Get returns one signing key (GET /api/v2/keys/signing/{kid}).
func (s *SigningKeysService) Get(ctx context.Context, kid string) (*SigningKey, error) {
	var out SigningKey
	if err := s.c.do(ctx, http.MethodGet, path("keys", "signing", kid), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Rotate promotes the next key to current and creates a new next key (POST
// /api/v2/keys/signing/rotate). It returns the new current key's kid and
// certificate. Tokens signed with the old key keep verifying until it is
// revoked. Scopes create:signing_keys and update:signing_keys.
func (s *SigningKeysService) Rotate(ctx context.Context) (*SigningKey, error) {
	var out SigningKey
	if err := s.c.do(ctx, http.MethodPost, "keys/signing/rotate", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Revoke revokes the previous key (PUT /api/v2/keys/signing/{kid}/revoke):
// it leaves the JWKS, so tokens signed with it stop verifying. It returns the
// revoked key's kid and certificate. Scope update:signing_keys.
func (s *SigningKeysService) Revoke(ctx context.Context, kid string) (*SigningKey, error) {
	var out SigningKey
	if err := s.c.do(ctx, http.MethodPut, path("keys", "signing", kid, "revoke"), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
