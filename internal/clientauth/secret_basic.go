package clientauth

import (
	"context"
	"time"

	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/internal/tenant"
)

// SecretBasic is client_secret_basic: the client id and secret in an
// Authorization: Basic header (RFC 6749 §2.3.1).
type SecretBasic struct{ Secrets *secret.Verifier }

// Name implements Method.
func (SecretBasic) Name() string { return oauth.AuthSecretBasic }

// Presents implements Method.
func (SecretBasic) Presents(r *Request) bool { return r.Basic }

// Verify implements Method.
func (m SecretBasic) Verify(ctx context.Context, r *Request, c *tenant.Client, now time.Time) (bool, error) {
	var buf [4]string
	return m.Secrets.Check(ctx, secretHashes(buf[:0], c, now), r.BasicSecret)
}
