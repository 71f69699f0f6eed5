package client_test

// The client package against a real credo: built from ./cmd/credo, started
// on a free loopback port with a bootstrap Management API admin, and driven
// only through the package's public API.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/credo-dev/credo/client"
	"github.com/credo-dev/credo/verify"
)

// credoServer is one running credo serve.
type credoServer struct {
	issuer      string
	adminID     string
	adminSecret string
}

type credoLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *credoLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *credoLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// buildCredo builds ./cmd/credo into a temp dir.
func buildCredo(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping the tests against a real credo (they build and start one)")
	}
	bin := filepath.Join(t.TempDir(), "credo")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../cmd/credo").CombinedOutput(); err != nil {
		t.Fatalf("go build ../cmd/credo: %v\n%s", err, out)
	}
	return bin
}

// startCredo runs credo on SQLite in a temp dir with no demo tenant;
// cleanup interrupts it and, if the test failed, logs its output.
func startCredo(t *testing.T, bin string) *credoServer {
	t.Helper()
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &credoServer{issuer: "http://" + addr + "/", adminID: "integration-admin", adminSecret: randomHex(t, 32)}

	cmd := exec.Command(bin, "serve", "--addr", addr, "--db", filepath.Join(dir, "credo.db"), "--no-demo")
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CREDO_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "CREDO_MASTER_KEY="+randomHex(t, 32),
		"CREDO_BOOTSTRAP_CLIENT_ID="+s.adminID, "CREDO_BOOTSTRAP_CLIENT_SECRET="+s.adminSecret)
	logs := &credoLog{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("credo output:\n%s", logs.String())
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(s.issuer + "readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-exited:
			t.Fatalf("credo exited before it was ready:\n%s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("credo not ready within 20 s:\n%s", logs.String())
		}
	}
}

// source is a token source that makes exactly one request per token, so a
// refusal is reported as it is.
func (s *credoServer) source(ctx context.Context, id, secret, audience string) oauth2.TokenSource {
	return client.TokenSource(ctx, client.ClientCredentials{Issuer: s.issuer, ClientID: id, ClientSecret: secret, Audience: audience, MaxAttempts: 1})
}

func (s *credoServer) admin(ctx context.Context) *client.Client {
	return client.New(s.issuer, s.source(ctx, s.adminID, s.adminSecret, s.issuer+"api/v2/"))
}

// tokenErr gets one fresh token and returns its error as a *TokenError (nil
// on success).
func (s *credoServer) tokenErr(t *testing.T, id, secret, audience string) *client.TokenError {
	t.Helper()
	_, err := s.source(t.Context(), id, secret, audience).Token()
	if err == nil {
		return nil
	}
	var te *client.TokenError
	if !errors.As(err, &te) {
		t.Fatalf("token for %s: %v (not a *client.TokenError)", id, err)
	}
	return te
}

// claims gets a fresh token for the client and verifies it against credo's
// JWKS with a new verifier; it also returns the header's kid.
func (s *credoServer) claims(t *testing.T, id, secret, audience string) (*verify.Claims, string, string) {
	t.Helper()
	tok, err := s.source(t.Context(), id, secret, audience).Token()
	if err != nil {
		t.Fatalf("token for %s: %v", id, err)
	}
	c, err := s.verify(t, tok.AccessToken, audience)
	if err != nil {
		t.Fatalf("verifying %s's token: %v", id, err)
	}
	return c, kidOf(t, tok.AccessToken), tok.AccessToken
}

func (s *credoServer) verify(t *testing.T, raw, audience string) (*verify.Claims, error) {
	t.Helper()
	v, err := verify.New(verify.Config{Issuer: s.issuer, Audience: []string{audience}, Algorithms: []string{"RS256"}})
	if err != nil {
		t.Fatal(err)
	}
	return v.Verify(t.Context(), raw)
}

func kidOf(t *testing.T, raw string) string {
	t.Helper()
	seg, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		KID string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.KID
}

// payloadClaim returns one claim of a token's (already verified) payload.
func payloadClaim(t *testing.T, raw, name string) any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m[name]
}

// apiErr asserts that err is an *APIError with the given status.
func apiErr(t *testing.T, what string, err error, status int) *client.APIError {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: error %v, want an *APIError %d", what, err, status)
	}
	if ae.StatusCode != status || ae.Err != http.StatusText(status) || ae.Message == "" {
		t.Errorf("%s: %+v, want statusCode %d, error %q and a message", what, *ae, status, http.StatusText(status))
	}
	return ae
}

// TestIntegration runs each part against its own credo, built once.
func TestIntegration(t *testing.T) {
	bin := buildCredo(t)
	for name, part := range map[string]func(*testing.T, string){
		"lifecycle":     integrationLifecycle,
		"pagination":    integrationPagination,
		"signing keys":  integrationSigningKeys,
		"errors":        integrationErrors,
		"options":       integrationOptions,
		"extensibility": integrationExtensibility,
		"organizations": integrationOrganizations,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			part(t, bin)
		})
	}
}

func integrationLifecycle(t *testing.T, bin string) {
	s := startCredo(t, bin)
	ctx := t.Context()
	mgmt := s.admin(ctx)
	const aud = "https://reports.integration.test/api"

	// An API with two scopes.
	rs, err := mgmt.ResourceServers.Create(ctx, &client.ResourceServer{
		Name: "Reports API", Identifier: aud, TokenLifetime: 3600,
		Scopes: []client.Scope{{Value: "read:reports", Description: "Read reports"}, {Value: "write:reports"}},
	})
	if err != nil {
		t.Fatalf("create resource server: %v", err)
	}
	if rs.ID == "" || rs.Identifier != aud || rs.Name != "Reports API" || rs.SigningAlg != "RS256" || rs.TokenLifetime != 3600 ||
		len(rs.Scopes) != 2 || rs.Scopes[0] != (client.Scope{Value: "read:reports", Description: "Read reports"}) || rs.IsSystem || rs.CreatedAt == nil {
		t.Errorf("created resource server %+v", rs)
	}
	for _, key := range []string{rs.ID, aud} {
		got, err := mgmt.ResourceServers.Get(ctx, key)
		if err != nil || got.ID != rs.ID || got.Identifier != aud {
			t.Errorf("get resource server by %q: %+v, %v", key, got, err)
		}
	}
	_, err = mgmt.ResourceServers.Create(ctx, &client.ResourceServer{Name: "Again", Identifier: aud})
	apiErr(t, "create a second API with the same identifier", err, http.StatusConflict)

	name := "Reports API v2"
	if up, err := mgmt.ResourceServers.Update(ctx, rs.ID, client.ResourceServerUpdate{Name: &name}); err != nil || up.Name != name || up.Identifier != aud {
		t.Errorf("update resource server name: %+v, %v", up, err)
	}

	// An M2M application: the secret comes back once.
	app, err := mgmt.Clients.Create(ctx, &client.Application{
		Name: "Nightly reports", AppType: "non_interactive", GrantTypes: []string{"client_credentials"},
		TokenEndpointAuthMethod: "client_secret_post", ClientMetadata: map[string]string{"team": "finance"},
	})
	if err != nil {
		t.Fatalf("create client: %v", err)
	}
	if app.ClientID == "" || len(app.ClientSecret) < 32 || app.Name != "Nightly reports" || app.AppType != "non_interactive" ||
		!slices.Equal(app.GrantTypes, []string{"client_credentials"}) || app.ClientMetadata["team"] != "finance" || app.CreatedAt == nil {
		t.Errorf("created client %+v", app)
	}
	secret0 := app.ClientSecret
	if got, err := mgmt.Clients.Get(ctx, app.ClientID); err != nil || got.ClientID != app.ClientID || got.Name != app.Name || got.ClientSecret != "" {
		t.Errorf("get client: %+v, %v (want no client_secret: credo keeps only its hash)", got, err)
	}
	newName, desc := "Nightly reports job", "Builds the finance reports"
	if got, err := mgmt.Clients.Update(ctx, app.ClientID, client.ApplicationUpdate{Name: &newName, Description: &desc}); err != nil ||
		got.Name != newName || got.Description != desc || got.AppType != "non_interactive" || got.ClientMetadata["team"] != "finance" {
		t.Errorf("update client name and description: %+v, %v", got, err)
	}

	// No grant yet: the token request is refused.
	if te := s.tokenErr(t, app.ClientID, secret0, aud); te == nil || te.StatusCode != 403 || te.Code != "access_denied" {
		t.Errorf("token without a grant: %v, want 403 access_denied", te)
	}

	grant, err := mgmt.ClientGrants.Create(ctx, &client.ClientGrant{ClientID: app.ClientID, Audience: aud, Scope: []string{"read:reports"}})
	if err != nil {
		t.Fatalf("create client grant: %v", err)
	}
	if grant.ID == "" || grant.ClientID != app.ClientID || grant.Audience != aud || !slices.Equal(grant.Scope, []string{"read:reports"}) {
		t.Errorf("created grant %+v", grant)
	}

	// The new client gets a token for the API through TokenSource.
	c, _, _ := s.claims(t, app.ClientID, secret0, aud)
	if c.Subject != app.ClientID+"@clients" || c.ClientID != app.ClientID || !slices.Equal(c.Scopes, []string{"read:reports"}) ||
		!slices.Equal(c.Audience, []string{aud}) || c.GrantType != "client-credentials" {
		t.Errorf("token claims %+v", c)
	}
	if life := c.ExpiresAt.Sub(c.IssuedAt); life != time.Hour {
		t.Errorf("token lifetime %s, want the API's 3600 s", life)
	}

	// Widen the grant; new tokens carry both scopes.
	up, err := mgmt.ClientGrants.Update(ctx, grant.ID, client.ClientGrantUpdate{Scope: []string{"read:reports", "write:reports"}})
	if err != nil || !slices.Equal(up.Scope, []string{"read:reports", "write:reports"}) {
		t.Fatalf("update grant scopes: %+v, %v", up, err)
	}
	if got, err := mgmt.ClientGrants.Get(ctx, grant.ID); err != nil || !slices.Equal(got.Scope, up.Scope) {
		t.Errorf("get grant after update: %+v, %v", got, err)
	}
	if c, _, _ := s.claims(t, app.ClientID, secret0, aud); !slices.Equal(c.Scopes, []string{"read:reports", "write:reports"}) {
		t.Errorf("scopes after the update: %v", c.Scopes)
	}

	// An empty scope list revokes every scope but keeps the grant.
	if up, err := mgmt.ClientGrants.Update(ctx, grant.ID, client.ClientGrantUpdate{Scope: []string{}}); err != nil || up.Scope == nil || len(up.Scope) != 0 {
		t.Errorf("update grant to no scopes: %+v, %v", up, err)
	}
	if c, _, _ := s.claims(t, app.ClientID, secret0, aud); len(c.Scopes) != 0 {
		t.Errorf("scopes after clearing the grant: %v", c.Scopes)
	}

	// Rotate with a grace period: the old and the new secret both work.
	rot, err := mgmt.Clients.RotateSecret(ctx, app.ClientID, time.Minute)
	if err != nil {
		t.Fatalf("rotate secret with grace: %v", err)
	}
	secret1 := rot.ClientSecret
	if secret1 == "" || secret1 == secret0 || rot.ClientID != app.ClientID {
		t.Fatalf("rotate with grace returned %+v", rot)
	}
	if rot.PreviousSecretExpiresAt == nil || time.Until(*rot.PreviousSecretExpiresAt) < 50*time.Second || time.Until(*rot.PreviousSecretExpiresAt) > 70*time.Second {
		t.Errorf("previous_secret_expires_at %v, want about a minute from now", rot.PreviousSecretExpiresAt)
	}
	for name, sec := range map[string]string{"old secret in its grace period": secret0, "new secret": secret1} {
		if te := s.tokenErr(t, app.ClientID, sec, aud); te != nil {
			t.Errorf("%s: %v", name, te)
		}
	}

	// Rotate without one: only the newest secret works.
	rot, err = mgmt.Clients.RotateSecret(ctx, app.ClientID, 0)
	if err != nil {
		t.Fatalf("rotate secret: %v", err)
	}
	secret2 := rot.ClientSecret
	if secret2 == "" || secret2 == secret1 || secret2 == secret0 {
		t.Fatalf("rotate returned %+v", rot)
	}
	if te := s.tokenErr(t, app.ClientID, secret2, aud); te != nil {
		t.Errorf("newest secret: %v", te)
	}
	for name, sec := range map[string]string{"replaced secret": secret1, "secret from two rotations ago": secret0} {
		if te := s.tokenErr(t, app.ClientID, sec, aud); te == nil || te.StatusCode != 401 || te.Code != "invalid_client" {
			t.Errorf("%s after a rotation without grace: %v, want 401 invalid_client", name, te)
		}
	}

	// Delete the grant: tokens are refused again.
	if err := mgmt.ClientGrants.Delete(ctx, grant.ID); err != nil {
		t.Fatalf("delete grant: %v", err)
	}
	_, err = mgmt.ClientGrants.Get(ctx, grant.ID)
	apiErr(t, "get deleted grant", err, http.StatusNotFound)
	if te := s.tokenErr(t, app.ClientID, secret2, aud); te == nil || te.StatusCode != 403 || te.Code != "access_denied" {
		t.Errorf("token after the grant was deleted: %v, want 403 access_denied", te)
	}

	// An existing application imported with its id and secret (a credo
	// extension, as a seed file does).
	imported, err := mgmt.Clients.Create(ctx, &client.Application{ClientID: "imported-reports-job", ClientSecret: secret0,
		Name: "Imported", AppType: "non_interactive", GrantTypes: []string{"client_credentials"}})
	if err != nil || imported.ClientID != "imported-reports-job" {
		t.Fatalf("import client: %+v, %v", imported, err)
	}
	if _, err := mgmt.ClientGrants.Create(ctx, &client.ClientGrant{ClientID: imported.ClientID, Audience: aud, Scope: []string{"read:reports"}}); err != nil {
		t.Fatal(err)
	}
	if c, _, _ := s.claims(t, imported.ClientID, secret0, aud); c.Subject != "imported-reports-job@clients" {
		t.Errorf("imported client's token sub %q", c.Subject)
	}
	_, err = mgmt.Clients.Create(ctx, &client.Application{ClientID: "imported-reports-job", Name: "Twice"})
	apiErr(t, "import the same client id twice", err, http.StatusConflict)

	// Delete the client and the API; deleting the API removes its grants.
	if err := mgmt.Clients.Delete(ctx, app.ClientID); err != nil {
		t.Fatalf("delete client: %v", err)
	}
	_, err = mgmt.Clients.Get(ctx, app.ClientID)
	apiErr(t, "get deleted client", err, http.StatusNotFound)
	if te := s.tokenErr(t, app.ClientID, secret2, aud); te == nil || te.StatusCode != 401 || te.Code != "invalid_client" {
		t.Errorf("token for a deleted client: %v, want 401 invalid_client", te)
	}
	apiErr(t, "delete the client again", mgmt.Clients.Delete(ctx, app.ClientID), http.StatusNotFound)
	if err := mgmt.ResourceServers.Delete(ctx, aud); err != nil {
		t.Fatalf("delete resource server by identifier: %v", err)
	}
	_, err = mgmt.ResourceServers.Get(ctx, rs.ID)
	apiErr(t, "get deleted resource server", err, http.StatusNotFound)
	if l, err := mgmt.ClientGrants.List(ctx, client.ClientGrantListOptions{ClientID: imported.ClientID}); err != nil || len(l.ClientGrants) != 0 {
		t.Errorf("grants of the imported client after its API was deleted: %+v, %v", l, err)
	}
}

func integrationPagination(t *testing.T, bin string) {
	s := startCredo(t, bin)
	ctx := t.Context()
	mgmt := s.admin(ctx)
	const aud = "https://paging.integration.test/"
	if _, err := mgmt.ResourceServers.Create(ctx, &client.ResourceServer{Name: "Paging API", Identifier: aud, Scopes: []client.Scope{{Value: "read:x"}}}); err != nil {
		t.Fatal(err)
	}
	var created []string
	for i := range 5 {
		app, err := mgmt.Clients.Create(ctx, &client.Application{Name: "paging " + string(rune('a'+i)), AppType: "non_interactive", GrantTypes: []string{"client_credentials"}})
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, app.ClientID)
		if _, err := mgmt.ClientGrants.Create(ctx, &client.ClientGrant{ClientID: app.ClientID, Audience: aud, Scope: []string{"read:x"}}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("clients", func(t *testing.T) {
		// Without include_totals the server answers a bare array.
		all, err := mgmt.Clients.List(ctx, client.ListOptions{PerPage: 100})
		if err != nil {
			t.Fatal(err)
		}
		if all.Total != 0 || len(all.Clients) != 6 { // the five and the bootstrap admin
			t.Fatalf("bare list: totals %+v, %d clients, want no totals and 6", all.Totals, len(all.Clients))
		}
		var ids []string
		for page := 0; ; page++ {
			l, err := mgmt.Clients.List(ctx, client.ListOptions{Page: page, PerPage: 2, IncludeTotals: true})
			if err != nil {
				t.Fatal(err)
			}
			if l.Total != 6 || l.Start != page*2 || l.Limit != 2 || l.Length != len(l.Clients) {
				t.Errorf("page %d totals %+v with %d clients, want total 6, start %d, limit 2", page, l.Totals, len(l.Clients), page*2)
			}
			for _, c := range l.Clients {
				ids = append(ids, c.ClientID)
			}
			if len(l.Clients) < 2 || page > 5 {
				break
			}
		}
		var want []string
		for _, c := range all.Clients {
			want = append(want, c.ClientID)
		}
		if !slices.Equal(ids, want) {
			t.Errorf("paged ids %v\nwant the bare list's order %v", ids, want)
		}
		for _, id := range created {
			if !slices.Contains(ids, id) {
				t.Errorf("created client %s not listed", id)
			}
		}
	})

	t.Run("client grants", func(t *testing.T) {
		l, err := mgmt.ClientGrants.List(ctx, client.ClientGrantListOptions{Audience: aud, ListOptions: client.ListOptions{PerPage: 2, IncludeTotals: true}})
		if err != nil {
			t.Fatal(err)
		}
		if l.Total != 5 || len(l.ClientGrants) != 2 {
			t.Errorf("grants for %s: totals %+v, %d grants; want total 5, 2 on the page", aud, l.Totals, len(l.ClientGrants))
		}
		one, err := mgmt.ClientGrants.List(ctx, client.ClientGrantListOptions{ClientID: created[2]})
		if err != nil || len(one.ClientGrants) != 1 || one.ClientGrants[0].ClientID != created[2] || one.ClientGrants[0].Audience != aud {
			t.Errorf("grants of client %s: %+v, %v", created[2], one, err)
		}

		// Checkpoint pagination follows next until it is empty.
		var clients []string
		from := ""
		for range 10 {
			l, err := mgmt.ClientGrants.List(ctx, client.ClientGrantListOptions{Audience: aud, Take: 2, From: from})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range l.ClientGrants {
				clients = append(clients, g.ClientID)
			}
			if l.Next == "" {
				break
			}
			from = l.Next
		}
		slices.Sort(clients)
		want := slices.Clone(created)
		slices.Sort(want)
		if !slices.Equal(clients, want) {
			t.Errorf("checkpoint pages gave grants of %v, want %v", clients, want)
		}
	})

	t.Run("resource servers", func(t *testing.T) {
		l, err := mgmt.ResourceServers.List(ctx, client.ListOptions{PerPage: 50, IncludeTotals: true})
		if err != nil {
			t.Fatal(err)
		}
		var system, ours bool
		for _, rs := range l.ResourceServers {
			system = system || (rs.IsSystem && rs.Identifier == s.issuer+"api/v2/")
			ours = ours || rs.Identifier == aud
		}
		if l.Total != 2 || !system || !ours {
			t.Errorf("resource servers %+v: want total 2 with the Management API (is_system) and %s", l, aud)
		}
	})
}

func integrationSigningKeys(t *testing.T, bin string) {
	s := startCredo(t, bin)
	ctx := t.Context()
	mgmt := s.admin(ctx)
	const aud = "https://keys.integration.test/"
	if _, err := mgmt.ResourceServers.Create(ctx, &client.ResourceServer{Name: "Keys API", Identifier: aud, SigningAlg: "RS256"}); err != nil {
		t.Fatal(err)
	}
	app, err := mgmt.Clients.Create(ctx, &client.Application{Name: "keys", AppType: "non_interactive", GrantTypes: []string{"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mgmt.ClientGrants.Create(ctx, &client.ClientGrant{ClientID: app.ClientID, Audience: aud}); err != nil {
		t.Fatal(err)
	}

	rsaKeys := func() (cur, next, prev *client.SigningKey, all []client.SigningKey) {
		t.Helper()
		list, err := mgmt.SigningKeys.List(ctx)
		if err != nil {
			t.Fatalf("list signing keys: %v", err)
		}
		for i, k := range list {
			if k.KeyType != "RSA" {
				continue
			}
			switch {
			case k.Current:
				cur = &list[i]
			case k.Next:
				next = &list[i]
			case k.Previous:
				prev = &list[i]
			}
		}
		if cur == nil || next == nil {
			t.Fatalf("signing keys %+v: want a current and a next RSA key", list)
		}
		return cur, next, prev, list
	}

	cur, next, _, _ := rsaKeys()
	if !strings.HasPrefix(cur.Cert, "-----BEGIN CERTIFICATE-----") || cur.CurrentSince == nil || cur.Fingerprint == "" || cur.Thumbprint == "" ||
		!slices.Contains(cur.Algorithms, "RS256") {
		t.Errorf("current key %+v", cur)
	}
	if got, err := mgmt.SigningKeys.Get(ctx, cur.KID); err != nil || got.KID != cur.KID || !got.Current {
		t.Errorf("get current key: %+v, %v", got, err)
	}
	_, kid0, oldToken := s.claims(t, app.ClientID, app.ClientSecret, aud)
	if kid0 != cur.KID {
		t.Errorf("token kid %s, current RSA key %s", kid0, cur.KID)
	}

	rotated, err := mgmt.SigningKeys.Rotate(ctx)
	if err != nil {
		t.Fatalf("rotate signing keys: %v", err)
	}
	if rotated.KID != next.KID || !strings.HasPrefix(rotated.Cert, "-----BEGIN CERTIFICATE-----") {
		t.Errorf("rotate returned kid %s, want the former next key %s", rotated.KID, next.KID)
	}
	cur2, next2, prev2, _ := rsaKeys()
	if cur2.KID != next.KID || prev2 == nil || prev2.KID != cur.KID || next2.KID == next.KID || next2.KID == cur.KID {
		t.Errorf("after rotation: current %s, next %s, previous %v; want current %s, previous %s and a new next", cur2.KID, next2.KID, prev2, next.KID, cur.KID)
	}
	if _, kid, _ := s.claims(t, app.ClientID, app.ClientSecret, aud); kid != next.KID {
		t.Errorf("token after rotation signed by %s, want %s", kid, next.KID)
	}
	if _, err := s.verify(t, oldToken, aud); err != nil {
		t.Errorf("token signed before the rotation no longer verifies: %v", err)
	}

	revoked, err := mgmt.SigningKeys.Revoke(ctx, cur.KID)
	if err != nil || revoked.KID != cur.KID {
		t.Fatalf("revoke previous key: %+v, %v", revoked, err)
	}
	// The admin's cached Management API token was signed by the key just
	// revoked, so it no longer works (as on Auth0); a new token source does.
	_, err = mgmt.SigningKeys.List(ctx)
	if ae := apiErr(t, "Management API call with a token signed by the revoked key", err, http.StatusUnauthorized); ae.ErrorCode != "invalid_token" {
		t.Errorf("errorCode %q, want invalid_token", ae.ErrorCode)
	}
	mgmt = s.admin(ctx)
	if got, err := mgmt.SigningKeys.Get(ctx, cur.KID); err != nil || !got.Revoked || got.RevokedAt == nil {
		t.Errorf("revoked key: %+v, %v", got, err)
	}
	if _, err := s.verify(t, oldToken, aud); !errors.Is(err, verify.ErrUnknownKey) {
		t.Errorf("token signed by the revoked key: %v, want %v", err, verify.ErrUnknownKey)
	}
	_, err = mgmt.SigningKeys.Revoke(ctx, cur2.KID)
	apiErr(t, "revoke the current key", err, http.StatusBadRequest)
	_, err = mgmt.SigningKeys.Get(ctx, "no-such-kid")
	apiErr(t, "get an unknown kid", err, http.StatusNotFound)
}

func integrationErrors(t *testing.T, bin string) {
	s := startCredo(t, bin)
	ctx := t.Context()
	mgmt := s.admin(ctx)

	// A Management API client that may only read clients.
	ro, err := mgmt.Clients.Create(ctx, &client.Application{Name: "read-only admin", AppType: "non_interactive", GrantTypes: []string{"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mgmt.ClientGrants.Create(ctx, &client.ClientGrant{ClientID: ro.ClientID, Audience: s.issuer + "api/v2/", Scope: []string{"read:clients"}}); err != nil {
		t.Fatal(err)
	}
	limited := client.New(s.issuer, s.source(ctx, ro.ClientID, ro.ClientSecret, s.issuer+"api/v2/"))
	if l, err := limited.Clients.List(ctx, client.ListOptions{}); err != nil || len(l.Clients) != 2 {
		t.Errorf("list clients with read:clients: %+v, %v", l, err)
	}
	_, err = limited.Clients.Create(ctx, &client.Application{Name: "nope"})
	ae := apiErr(t, "create a client with read:clients only", err, http.StatusForbidden)
	if ae.ErrorCode != "insufficient_scope" || ae.Message != "Insufficient scope, expected any of: create:clients" {
		// Auth0's wire form (e.g. auth0/auth0-cli#538), not the reference's
		// "Insufficient scope; expected any of: ….".
		t.Errorf("insufficient scope error %+v, want Auth0's errorCode and message", *ae)
	}

	// A token for another audience is not a Management API token.
	wrongAud := client.New(s.issuer, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "not-a-jwt"}))
	_, err = wrongAud.Clients.List(ctx, client.ListOptions{})
	apiErr(t, "list clients with a malformed token", err, http.StatusUnauthorized)

	// A token from a wrong secret never reaches the API.
	bad := client.New(s.issuer, s.source(ctx, s.adminID, "wrong-"+s.adminSecret, s.issuer+"api/v2/"))
	_, err = bad.Clients.List(ctx, client.ListOptions{})
	var te *client.TokenError
	if !errors.As(err, &te) || te.StatusCode != 401 || te.Code != "invalid_client" {
		t.Errorf("list with a wrong admin secret: %v, want a TokenError 401 invalid_client", err)
	}

	_, err = mgmt.ClientGrants.Create(ctx, &client.ClientGrant{ClientID: ro.ClientID, Audience: "https://no-such-api.test/"})
	apiErr(t, "grant for an unknown audience", err, http.StatusNotFound)
}

// integrationOptions: allow_all_scopes covers scopes added later, and an API
// with token_dialect rfc9068_profile gets RFC 9068 tokens.
func integrationOptions(t *testing.T, bin string) {
	s := startCredo(t, bin)
	ctx := t.Context()
	mgmt := s.admin(ctx)
	const aud = "https://rfc9068.integration.test/"
	rs, err := mgmt.ResourceServers.Create(ctx, &client.ResourceServer{Name: "RFC 9068 API", Identifier: aud, TokenDialect: "rfc9068_profile",
		Scopes: []client.Scope{{Value: "read:a"}, {Value: "write:a"}}})
	if err != nil || rs.TokenDialect != "rfc9068_profile" {
		t.Fatalf("create resource server: %+v, %v", rs, err)
	}
	app, err := mgmt.Clients.Create(ctx, &client.Application{Name: "all scopes", AppType: "non_interactive", GrantTypes: []string{"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	all := true
	g, err := mgmt.ClientGrants.Create(ctx, &client.ClientGrant{ClientID: app.ClientID, Audience: aud, AllowAllScopes: &all})
	if err != nil || g.AllowAllScopes == nil || !*g.AllowAllScopes || g.SubjectType != "client" {
		t.Fatalf("create grant with allow_all_scopes: %+v, %v", g, err)
	}

	tok, err := s.source(ctx, app.ClientID, app.ClientSecret, aud).Token()
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(verify.Config{Issuer: s.issuer, Audience: []string{aud}, Algorithms: []string{"RS256"}, RequireTyp: "at+jwt"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(ctx, tok.AccessToken)
	if err != nil {
		t.Fatalf("RFC 9068 token: %v", err)
	}
	if payloadClaim(t, tok.AccessToken, "client_id") != app.ClientID || c.ID == "" || !slices.Equal(c.Scopes, []string{"read:a", "write:a"}) {
		t.Errorf("RFC 9068 token claims %+v: want client_id, jti and every scope of the API", c)
	}

	if _, err := mgmt.ResourceServers.Update(ctx, aud, client.ResourceServerUpdate{Scopes: []client.Scope{{Value: "read:a"}, {Value: "write:a"}, {Value: "admin:a"}}}); err != nil {
		t.Fatal(err)
	}
	if c, _, _ := s.claims(t, app.ClientID, app.ClientSecret, aud); !slices.Contains(c.Scopes, "admin:a") {
		t.Errorf("scopes after adding admin:a to the API: %v (allow_all_scopes covers new scopes)", c.Scopes)
	}
}

// integrationOrganizations: an organization, a grant that requires one,
// the association, and a token for the organization (by name, and by the
// client's default) that carries its org_id.
func integrationOrganizations(t *testing.T, bin string) {
	s := startCredo(t, bin)
	ctx := t.Context()
	mgmt := s.admin(ctx)
	const aud = "https://orgs.integration.test/api"
	if _, err := mgmt.ResourceServers.Create(ctx, &client.ResourceServer{Name: "Orgs API", Identifier: aud, Scopes: []client.Scope{{Value: "read:data"}}}); err != nil {
		t.Fatal(err)
	}
	org, err := mgmt.Organizations.Create(ctx, &client.Organization{Name: "acme", DisplayName: "Acme Corp", Metadata: map[string]string{"plan": "gold"},
		Branding: &client.OrganizationBranding{LogoURL: "https://acme.example/logo.png", Colors: &client.OrganizationColors{Primary: "#0050ff"}}})
	if err != nil || !strings.HasPrefix(org.ID, "org_") || org.DisplayName != "Acme Corp" || org.Branding == nil || org.Branding.Colors.Primary != "#0050ff" {
		t.Fatalf("create organization: %+v %v", org, err)
	}
	if got, err := mgmt.Organizations.GetByName(ctx, "acme"); err != nil || got.ID != org.ID {
		t.Fatalf("by name: %+v %v", got, err)
	}
	_, err = mgmt.Organizations.Create(ctx, &client.Organization{Name: "acme"})
	apiErr(t, "a second organization named acme", err, http.StatusConflict)
	plan := "platinum"
	if up, err := mgmt.Organizations.Update(ctx, org.ID, client.OrganizationUpdate{Metadata: map[string]*string{"plan": &plan, "gone": nil}}); err != nil || up.Metadata["plan"] != plan {
		t.Fatalf("update: %+v %v", up, err)
	}
	app, err := mgmt.Clients.Create(ctx, &client.Application{Name: "Acme backend", GrantTypes: []string{"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := mgmt.ClientGrants.Create(ctx, &client.ClientGrant{ClientID: app.ClientID, Audience: aud, Scope: []string{"read:data"}, OrganizationUsage: "require"})
	if err != nil || g.OrganizationUsage != "require" {
		t.Fatalf("grant: %+v %v", g, err)
	}
	if te := s.tokenErr(t, app.ClientID, app.ClientSecret, aud); te == nil || te.StatusCode != 400 {
		t.Errorf("no organization for a grant that requires one: %v", te)
	}
	if _, err := mgmt.Organizations.AddGrant(ctx, org.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	if l, err := mgmt.Organizations.ListGrants(ctx, org.ID, client.OrganizationGrantListOptions{GrantIDs: []string{g.ID}}); err != nil || len(l.ClientGrants) != 1 {
		t.Fatalf("list grants: %+v %v", l, err)
	}
	if l, err := mgmt.ClientGrants.Organizations(ctx, g.ID, client.OrganizationListOptions{Take: 10}); err != nil || len(l.Organizations) != 1 || l.Organizations[0].ID != org.ID {
		t.Fatalf("organizations of the grant: %+v %v", l, err)
	}
	ts := client.TokenSource(ctx, client.ClientCredentials{Issuer: s.issuer, ClientID: app.ClientID, ClientSecret: app.ClientSecret, Audience: aud, Organization: "acme", MaxAttempts: 1})
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if payloadClaim(t, tok.AccessToken, "org_id") != org.ID {
		t.Fatalf("org_id %v", payloadClaim(t, tok.AccessToken, "org_id"))
	}
	if _, err := mgmt.Clients.Update(ctx, app.ClientID, client.ApplicationUpdate{DefaultOrganization: &client.DefaultOrganization{OrganizationID: org.ID, Flows: []string{"client_credentials"}}}); err != nil {
		t.Fatal(err)
	}
	if c, _, _ := s.claims(t, app.ClientID, app.ClientSecret, aud); c.OrgID != org.ID {
		t.Fatalf("default organization: org_id %q", c.OrgID)
	}
	if err := mgmt.Organizations.RemoveGrant(ctx, org.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	if err := mgmt.Organizations.Delete(ctx, org.ID); err != nil {
		t.Fatal(err)
	}
	_, err = mgmt.Organizations.Get(ctx, org.ID)
	apiErr(t, "deleted organization", err, http.StatusNotFound)
}
