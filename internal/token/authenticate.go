package token

import (
	"context"
	"errors"

	"github.com/credo-dev/credo/internal/clientauth"
	"github.com/credo-dev/credo/internal/oauth"
)

// authenticate is the pipeline's client authentication step; the methods
// and their rules are internal/clientauth's.
func (e *Endpoint) authenticate(ctx context.Context, ex *Exchange) *oauth.Error {
	e.authOnce.Do(func() {
		if e.auth == nil {
			e.auth = clientauth.New(e.Secrets)
		}
	})
	cr := &ex.Request.Client
	c, m, err := e.auth.Authenticate(ctx, ex.Snapshot, cr, e.now())
	switch {
	case err == nil:
		ex.Client, ex.AuthMethod = c, m.Name()
		return nil
	case errors.Is(err, clientauth.ErrMultiple):
		if cr.Basic {
			return oauth.InvalidRequest("Client credentials were sent both in the Authorization header and in the body; use one method")
		}
		return oauth.InvalidRequest("Client credentials were sent both as client_secret and as client_assertion; use one method")
	case errors.Is(err, clientauth.ErrAssertionUnsupported):
		return oauth.InvalidRequest("client_assertion (private_key_jwt) is not enabled for any client; use client_secret_post or client_secret_basic")
	case errors.Is(err, clientauth.ErrNoClientID):
		return oauth.MissingParameter("client_id")
	case errors.Is(err, clientauth.ErrBusy):
		return oauth.TooManyRequests("Too many requests are verifying low-entropy client secrets at once; retry shortly").WithRetryAfter(1)
	}
	fail := oauth.InvalidClient()
	if ex.Snapshot.Settings.Auth0CompatErrors {
		fail = oauth.Auth0Unauthorized()
	}
	if cr.Basic {
		fail = fail.WithBasic()
	}
	return fail
}
