package clientauth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/clientauth"
	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store/sqlite"
)

const strong = "strong-secret-0123456789abcdefghijklmnop"

func snapshot(t *testing.T) *tenant.Snapshot {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mk, _ := keys.ParseMasterKey(strings.Repeat("ab", 32))
	svc := &tenant.Service{Store: st, Master: mk, Issuer: "https://a/"}
	for _, c := range []tenant.ClientFields{
		{ClientID: "post", ClientSecret: strong, Name: ptr("post")},
		{ClientID: "basic", ClientSecret: strong, Name: ptr("basic"), TokenEndpointAuthMethod: ptr("client_secret_basic")},
		{ClientID: "short", ClientSecret: "short-secret", Name: ptr("short")},
		{ClientID: "public", Name: ptr("public"), TokenEndpointAuthMethod: ptr("none")},
	} {
		if _, _, err := svc.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	h, err := tenant.NewHolder(ctx, st, mk, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h.Current()
}

func ptr[T any](v T) *T { return &v }

func TestAuthenticate(t *testing.T) {
	snap := snapshot(t)
	a := clientauth.New(secret.NewVerifier(time.Minute, nil))
	post := func(id, sec string) clientauth.Request {
		return clientauth.Request{ClientID: id, HasPostSecret: true, PostSecret: sec}
	}
	basic := func(id, sec string) clientauth.Request {
		return clientauth.Request{ClientID: id, Basic: true, BasicSecret: sec}
	}
	cases := []struct {
		name   string
		req    clientauth.Request
		err    error
		method string
	}{
		{"post", post("post", strong), nil, "client_secret_post"},
		{"basic", basic("post", strong), nil, "client_secret_basic"},
		{"a basic client may post its secret, as with Auth0", post("basic", strong), nil, "client_secret_post"},
		{"argon2id secret", post("short", "short-secret"), nil, "client_secret_post"},
		{"wrong secret", post("post", "nope"), clientauth.ErrFailed, ""},
		{"empty secret", post("post", ""), clientauth.ErrFailed, ""},
		{"no credentials", clientauth.Request{ClientID: "post"}, clientauth.ErrFailed, ""},
		{"unknown client", post("ghost", strong), clientauth.ErrFailed, ""},
		{"unknown client, no credentials", clientauth.Request{ClientID: "ghost"}, clientauth.ErrFailed, ""},
		{"public client, no credentials", clientauth.Request{ClientID: "public"}, clientauth.ErrFailed, ""},
		{"public client, a secret", post("public", strong), clientauth.ErrFailed, ""},
		{"basic and a body secret", clientauth.Request{ClientID: "post", Basic: true, BasicSecret: strong, HasPostSecret: true, PostSecret: strong}, clientauth.ErrMultiple, ""},
		{"basic and an empty body secret", clientauth.Request{ClientID: "post", Basic: true, BasicSecret: strong, HasPostSecret: true}, clientauth.ErrMultiple, ""},
		{"secret and assertion", clientauth.Request{ClientID: "post", HasPostSecret: true, PostSecret: strong, HasAssertion: true}, clientauth.ErrMultiple, ""},
		{"assertion", clientauth.Request{ClientID: "post", HasAssertion: true}, clientauth.ErrAssertionUnsupported, ""},
		{"no client id", clientauth.Request{HasPostSecret: true, PostSecret: strong}, clientauth.ErrNoClientID, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, m, err := a.Authenticate(t.Context(), snap, &tc.req, time.Now())
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if tc.err != nil {
				if c != nil || m != nil {
					t.Fatalf("failed authentication returned %v %v", c, m)
				}
				return
			}
			if c.ClientID != tc.req.ClientID || m.Name() != tc.method {
				t.Fatalf("authenticated %s with %s, want %s with %s", c.ClientID, m.Name(), tc.req.ClientID, tc.method)
			}
		})
	}
}

// countingMethod records whether Verify was given a client.
type countingMethod struct {
	clientauth.Method
	calls, withClient *int
}

func (m countingMethod) Verify(ctx context.Context, r *clientauth.Request, c *tenant.Client, now time.Time) (bool, error) {
	*m.calls++
	if c != nil {
		*m.withClient++
	}
	return m.Method.Verify(ctx, r, c, now)
}

// TestSameWorkForUnknownClients: a method is run, once, for an unknown or
// public client exactly as for a known one (with no client, so that it does
// the same work and fails).
func TestSameWorkForUnknownClients(t *testing.T) {
	snap := snapshot(t)
	v := secret.NewVerifier(time.Minute, nil)
	for _, id := range []string{"post", "ghost", "public"} {
		calls, withClient := 0, 0
		a := &clientauth.Authenticator{Methods: []clientauth.Method{countingMethod{clientauth.SecretPost{Secrets: v}, &calls, &withClient}}}
		_, _, err := a.Authenticate(t.Context(), snap, &clientauth.Request{ClientID: id, HasPostSecret: true, PostSecret: "wrong"}, time.Now())
		if !errors.Is(err, clientauth.ErrFailed) || calls != 1 {
			t.Fatalf("%s: err %v, %d verifications", id, err, calls)
		}
		if want := map[string]int{"post": 1}[id]; withClient != want {
			t.Fatalf("%s: verified against the client %d times, want %d", id, withClient, want)
		}
	}
}

func TestAllowed(t *testing.T) {
	secretClient := &tenant.Client{TokenEndpointAuthMethod: "client_secret_post", Secrets: []tenant.Secret{{Hash: "$sha256$x$y"}}}
	noSecret := &tenant.Client{TokenEndpointAuthMethod: "client_secret_post"}
	public := &tenant.Client{TokenEndpointAuthMethod: "none"}
	for _, tc := range []struct {
		c    *tenant.Client
		m    string
		want bool
	}{
		{secretClient, "client_secret_post", true},
		{secretClient, "client_secret_basic", true},
		{secretClient, "private_key_jwt", false},
		{noSecret, "client_secret_post", false},
		{public, "client_secret_post", false},
		{public, "none", false},
	} {
		if got := clientauth.Allowed(tc.c, tc.m); got != tc.want {
			t.Errorf("Allowed(%s, %s) = %v", tc.c.TokenEndpointAuthMethod, tc.m, got)
		}
	}
}
