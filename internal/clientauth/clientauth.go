package clientauth

import (
	"context"
	"errors"
	"time"

	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/internal/tenant"
)

// Request is what a token request presents to authenticate its client.
type Request struct {
	// ClientID names the client: the body's client_id or the Basic user.
	ClientID string
	// Basic is set when the Authorization header carried Basic credentials;
	// BasicSecret is their password.
	Basic       bool
	BasicSecret string
	// HasPostSecret is set when the body had a client_secret parameter, even
	// an empty one; PostSecret is its value.
	HasPostSecret bool
	PostSecret    string
	// HasAssertion is set when the body had client_assertion or
	// client_assertion_type (private_key_jwt, RFC 7523).
	HasAssertion bool
}

// Method is one client authentication method.
type Method interface {
	// Name is the method's token_endpoint_auth_method value.
	Name() string
	// Presents reports whether r carries this method's credentials.
	Presents(r *Request) bool
	// Verify checks r's credentials against c. With c nil (an unknown
	// client, or one that may not use this method) it does the same work
	// and fails. An error means the check could not be made (ErrBusy).
	Verify(ctx context.Context, r *Request, c *tenant.Client, now time.Time) (bool, error)
}

// Errors of Authenticate.
var (
	// ErrFailed: the client is unknown, may not use the method presented,
	// presented no credentials, or presented wrong ones. They are one
	// error on purpose.
	ErrFailed = errors.New("clientauth: client authentication failed")
	// ErrMultiple: credentials were presented in more than one way.
	ErrMultiple = errors.New("clientauth: credentials presented in more than one way")
	// ErrNoClientID: no client was named.
	ErrNoClientID = errors.New("clientauth: no client_id")
	// ErrAssertionUnsupported: a client assertion was presented, which no
	// client can use yet.
	ErrAssertionUnsupported = errors.New("clientauth: client assertions are not enabled")
	// ErrBusy: the secret could not be checked now; retry later.
	ErrBusy = secret.ErrBusy
)

// Authenticator authenticates clients with its Methods.
type Authenticator struct {
	Methods []Method
}

// New returns an Authenticator with the secret methods, client_secret_basic
// and client_secret_post, verifying with v.
func New(v *secret.Verifier) *Authenticator {
	return &Authenticator{Methods: []Method{SecretBasic{v}, SecretPost{v}}}
}

// Allowed reports whether client c may authenticate with the method named
// m. Its registered token_endpoint_auth_method decides: a client with a
// secret may present it either way, Basic or in the body, as with Auth0; a
// public client (none) may use no method, since the client credentials
// grant needs a confidential client.
func Allowed(c *tenant.Client, m string) bool {
	switch c.TokenEndpointAuthMethod {
	case oauth.AuthNone:
		return false
	case oauth.AuthSecretPost, oauth.AuthSecretBasic:
		return (m == oauth.AuthSecretPost || m == oauth.AuthSecretBasic) && len(c.Secrets) > 0
	}
	return m == c.TokenEndpointAuthMethod
}

// Authenticate returns the client r authenticates as, and the method used.
// An unknown client, a public one, one that may not use the method
// presented, and a wrong secret all fail with ErrFailed after the same
// work (see secret.Verifier.Check); a request that presents no credentials
// fails without any.
func (a *Authenticator) Authenticate(ctx context.Context, snap *tenant.Snapshot, r *Request, now time.Time) (*tenant.Client, Method, error) {
	var m Method
	n := 0
	for _, x := range a.Methods {
		if x.Presents(r) {
			m, n = x, n+1
		}
	}
	if r.HasAssertion {
		n++
	}
	switch {
	case n > 1:
		return nil, nil, ErrMultiple
	case r.HasAssertion:
		return nil, nil, ErrAssertionUnsupported
	case r.ClientID == "":
		return nil, nil, ErrNoClientID
	}
	c, known := snap.Client(r.ClientID)
	if m == nil {
		return nil, nil, ErrFailed
	}
	if !known || !Allowed(c, m.Name()) {
		c = nil
	}
	ok, err := m.Verify(ctx, r, c, now)
	switch {
	case err != nil:
		return nil, nil, err
	case !ok || c == nil:
		return nil, nil, ErrFailed
	}
	return c, m, nil
}

// secretHashes appends the hashes of c's secrets that are still valid at now.
func secretHashes(buf []string, c *tenant.Client, now time.Time) []string {
	if c == nil {
		return buf
	}
	for _, s := range c.Secrets {
		if s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt) {
			buf = append(buf, s.Hash)
		}
	}
	return buf
}
