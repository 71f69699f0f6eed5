package clientauth

import (
	"context"
	"time"

	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/internal/tenant"
)

// SecretPost is client_secret_post: client_id and client_secret in the
// request body (RFC 6749 §2.3.1).
type SecretPost struct{ Secrets *secret.Verifier }

// Name implements Method.
func (SecretPost) Name() string { return oauth.AuthSecretPost }

// Presents implements Method: the body has a client_secret, even an empty
// one (which then fails), so that it cannot hide behind another method.
func (SecretPost) Presents(r *Request) bool { return r.HasPostSecret }

// Verify implements Method.
func (m SecretPost) Verify(ctx context.Context, r *Request, c *tenant.Client, now time.Time) (bool, error) {
	var buf [4]string
	return m.Secrets.Check(ctx, secretHashes(buf[:0], c, now), r.PostSecret)
}
