package client_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/credo-dev/credo/client"
)

func newMgmt(t *testing.T) (*client.Client, *fakeMgmt) {
	t.Helper()
	f := newFakeMgmt(t)
	return client.New(f.URL+"/", oauth2.StaticTokenSource(&oauth2.Token{AccessToken: mgmtToken})), f
}

// wantWire checks the last request the fake server received.
func wantWire(t *testing.T, f *fakeMgmt, method, path, query, body string) {
	t.Helper()
	m, p, q, b := f.last()
	if m != method || p != path || q != query {
		t.Errorf("request %s %s?%s, want %s %s?%s", m, p, q, method, path, query)
	}
	if body != "-" && strings.TrimSpace(b) != body {
		t.Errorf("body\n got %s\nwant %s", b, body)
	}
}

func wantAPIError(t *testing.T, err error, status int, code string) *client.APIError {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *client.APIError", err)
	}
	if ae.StatusCode != status || ae.ErrorCode != code {
		t.Fatalf("APIError %+v, want status %d errorCode %q", ae, status, code)
	}
	return ae
}

func TestClients(t *testing.T) {
	c, f := newMgmt(t)
	ctx := t.Context()

	app, err := c.Clients.Create(ctx, &client.Application{
		Name:         "reporting",
		AppType:      "non_interactive",
		IsFirstParty: new(true),
		GrantTypes:   []string{"client_credentials"},
		ClientMetadata: map[string]string{
			"team": "billing",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "POST", "/api/v2/clients", "",
		`{"name":"reporting","app_type":"non_interactive","is_first_party":true,"grant_types":["client_credentials"],"client_metadata":{"team":"billing"}}`)
	if app.ClientID == "" || app.ClientSecret == "" || app.Name != "reporting" || !*app.IsFirstParty {
		t.Fatalf("created %+v", app)
	}

	created := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	if app.CreatedAt == nil || !app.CreatedAt.Equal(created) {
		t.Errorf("created_at %v", app.CreatedAt)
	}

	got, err := c.Clients.Get(ctx, app.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "GET", "/api/v2/clients/"+app.ClientID, "", "")
	if !reflect.DeepEqual(got, app) {
		t.Errorf("Get = %+v, want %+v", got, app)
	}

	// Re-creating from a fetched object (an import with its id and secret)
	// does not send the read-only timestamps.
	if _, err := c.Clients.Create(ctx, &client.Application{ClientID: "imported", ClientSecret: "x", Name: "copy", CreatedAt: got.CreatedAt, UpdatedAt: got.UpdatedAt}); err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "POST", "/api/v2/clients", "", `{"client_id":"imported","client_secret":"x","name":"copy"}`)

	upd, err := c.Clients.Update(ctx, app.ClientID, client.ApplicationUpdate{
		Description:  new("nightly reports"),
		IsFirstParty: new(false),
		GrantTypes:   []string{},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "PATCH", "/api/v2/clients/"+app.ClientID, "", `{"description":"nightly reports","is_first_party":false,"grant_types":[]}`)
	if upd.Description != "nightly reports" || *upd.IsFirstParty || len(upd.GrantTypes) != 0 || upd.Name != "reporting" {
		t.Errorf("updated %+v", upd)
	}
	if _, err := c.Clients.Update(ctx, app.ClientID, client.ApplicationUpdate{}); err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "PATCH", "/api/v2/clients/"+app.ClientID, "", `{}`)

	rot, err := c.Clients.RotateSecret(ctx, app.ClientID, 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "POST", "/api/v2/clients/"+app.ClientID+"/rotate-secret", "grace_period=90", "")
	if rot.ClientSecret == "" || rot.ClientSecret == app.ClientSecret {
		t.Errorf("rotated secret %q, old %q", rot.ClientSecret, app.ClientSecret)
	}
	if _, err := c.Clients.RotateSecret(ctx, app.ClientID, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "POST", "/api/v2/clients/"+app.ClientID+"/rotate-secret", "grace_period=2", "")
	if _, err := c.Clients.RotateSecret(ctx, app.ClientID, 0); err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "POST", "/api/v2/clients/"+app.ClientID+"/rotate-secret", "", "")
	if _, err := c.Clients.RotateSecret(ctx, app.ClientID, -time.Second); err == nil {
		t.Error("negative grace period accepted")
	}

	if err := c.Clients.Delete(ctx, app.ClientID); err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "DELETE", "/api/v2/clients/"+app.ClientID, "", "")
	_, err = c.Clients.Get(ctx, app.ClientID)
	ae := wantAPIError(t, err, 404, "inexistent_clients")
	if ae.Err != "Not Found" || ae.Message != "The clients does not exist" {
		t.Errorf("APIError %+v", ae)
	}
}

func TestClientsList(t *testing.T) {
	c, f := newMgmt(t)
	ctx := t.Context()
	for _, name := range []string{"a", "b", "c"} {
		if _, err := c.Clients.Create(ctx, &client.Application{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	names := func(l *client.ApplicationList) string {
		var s []string
		for _, a := range l.Clients {
			s = append(s, a.Name)
		}
		return strings.Join(s, ",")
	}

	all, err := c.Clients.List(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "GET", "/api/v2/clients", "", "")
	if names(all) != "a,b,c" || all.Total != 0 {
		t.Errorf("plain list %q total %d", names(all), all.Total)
	}

	page, err := c.Clients.List(ctx, client.ListOptions{Page: 1, PerPage: 2, IncludeTotals: true})
	if err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "GET", "/api/v2/clients", "include_totals=true&page=1&per_page=2", "")
	want := client.Totals{Start: 2, Limit: 2, Length: 1, Total: 3}
	if names(page) != "c" || page.Totals != want {
		t.Errorf("page %q totals %+v, want c %+v", names(page), page.Totals, want)
	}
}

func TestResourceServers(t *testing.T) {
	c, f := newMgmt(t)
	ctx := t.Context()
	const ident = "https://timesheets.example.com/api/"
	const escaped = "https:%2F%2Ftimesheets.example.com%2Fapi%2F"

	rs, err := c.ResourceServers.Create(ctx, &client.ResourceServer{
		Name:          "Timesheets",
		Identifier:    ident,
		Scopes:        []client.Scope{{Value: "read:timesheets", Description: "Read"}},
		SigningAlg:    "RS256",
		TokenLifetime: 3600,
		TokenDialect:  "rfc9068_profile",
		SubjectTypeAuthorization: &client.SubjectTypeAuthorization{
			Client: &client.SubjectTypePolicy{Policy: "require_client_grant"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "POST", "/api/v2/resource-servers", "",
		`{"name":"Timesheets","identifier":"https://timesheets.example.com/api/","scopes":[{"value":"read:timesheets","description":"Read"}],"signing_alg":"RS256","token_lifetime":3600,"token_dialect":"rfc9068_profile","subject_type_authorization":{"client":{"policy":"require_client_grant"}}}`)
	if rs.ID == "" || rs.Identifier != ident {
		t.Fatalf("created %+v", rs)
	}
	if _, err := c.ResourceServers.Create(ctx, &client.ResourceServer{ID: rs.ID, Name: "Other", Identifier: "urn:other", IsSystem: true, CreatedAt: rs.CreatedAt}); err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "POST", "/api/v2/resource-servers", "", `{"name":"Other","identifier":"urn:other"}`)
	if err := c.ResourceServers.Delete(ctx, "urn:other"); err != nil {
		t.Fatal(err)
	}

	byIdent, err := c.ResourceServers.Get(ctx, ident)
	if err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "GET", "/api/v2/resource-servers/"+escaped, "", "")
	byID, err := c.ResourceServers.Get(ctx, rs.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(byIdent, rs) || !reflect.DeepEqual(byID, rs) {
		t.Errorf("Get by identifier %+v / id %+v, want %+v", byIdent, byID, rs)
	}

	upd, err := c.ResourceServers.Update(ctx, ident, client.ResourceServerUpdate{TokenLifetime: new(600), Scopes: []client.Scope{}})
	if err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "PATCH", "/api/v2/resource-servers/"+escaped, "", `{"scopes":[],"token_lifetime":600}`)
	if upd.TokenLifetime != 600 || len(upd.Scopes) != 0 || upd.Name != "Timesheets" {
		t.Errorf("updated %+v", upd)
	}

	list, err := c.ResourceServers.List(ctx, client.ListOptions{IncludeTotals: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.ResourceServers) != 1 || list.Total != 1 {
		t.Errorf("list %+v", list)
	}

	_, err = c.ResourceServers.Create(ctx, &client.ResourceServer{Name: "dup", Identifier: ident})
	wantAPIError(t, err, 409, "operation_not_supported")

	if err := c.ResourceServers.Delete(ctx, ident); err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "DELETE", "/api/v2/resource-servers/"+escaped, "", "")
	_, err = c.ResourceServers.Get(ctx, ident)
	wantAPIError(t, err, 404, "inexistent_resource-servers")

	// Dot segments in an id stay inside their segment.
	_, err = c.ResourceServers.Get(ctx, "..")
	wantWire(t, f, "GET", "/api/v2/resource-servers/%2E%2E", "", "")
	wantAPIError(t, err, 404, "inexistent_resource-servers")
}

func TestClientGrants(t *testing.T) {
	c, f := newMgmt(t)
	ctx := t.Context()

	g, err := c.ClientGrants.Create(ctx, &client.ClientGrant{ID: "cgr_mine", IsSystem: true, ClientID: "cid_a", Audience: "https://api.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "POST", "/api/v2/client-grants", "", `{"client_id":"cid_a","audience":"https://api.example.com","scope":[]}`)
	if g.ID == "" || g.Scope == nil {
		t.Fatalf("created %+v", g)
	}
	for _, spec := range []struct{ client, aud string }{{"cid_a", "https://other.example.com"}, {"cid_b", "https://api.example.com"}} {
		if _, err := c.ClientGrants.Create(ctx, &client.ClientGrant{ClientID: spec.client, Audience: spec.aud, Scope: []string{"read:x"}, SubjectType: "client"}); err != nil {
			t.Fatal(err)
		}
	}
	wantWire(t, f, "POST", "/api/v2/client-grants", "", `{"client_id":"cid_b","audience":"https://api.example.com","scope":["read:x"],"subject_type":"client"}`)

	list, err := c.ClientGrants.List(ctx, client.ClientGrantListOptions{ClientID: "cid_a", Audience: "https://api.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "GET", "/api/v2/client-grants", "audience=https%3A%2F%2Fapi.example.com&client_id=cid_a", "")
	if len(list.ClientGrants) != 1 || list.ClientGrants[0].ID != g.ID {
		t.Errorf("filtered list %+v", list)
	}

	// Checkpoint pagination: two pages of two and one.
	p1, err := c.ClientGrants.List(ctx, client.ClientGrantListOptions{Take: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(p1.ClientGrants) != 2 || p1.Next == "" {
		t.Fatalf("page 1 %+v", p1)
	}
	p2, err := c.ClientGrants.List(ctx, client.ClientGrantListOptions{Take: 2, From: p1.Next})
	if err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "GET", "/api/v2/client-grants", "from="+p1.Next+"&take=2", "")
	if len(p2.ClientGrants) != 1 || p2.Next != "" {
		t.Fatalf("page 2 %+v", p2)
	}

	upd, err := c.ClientGrants.Update(ctx, g.ID, client.ClientGrantUpdate{Scope: []string{"read:x", "write:x"}})
	if err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "PATCH", "/api/v2/client-grants/"+g.ID, "", `{"scope":["read:x","write:x"]}`)
	if !reflect.DeepEqual(upd.Scope, []string{"read:x", "write:x"}) {
		t.Errorf("updated scope %v", upd.Scope)
	}
	got, err := c.ClientGrants.Get(ctx, g.ID)
	if err != nil || !reflect.DeepEqual(got, upd) {
		t.Errorf("Get = %+v, %v; want %+v", got, err, upd)
	}

	if err := c.ClientGrants.Delete(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "DELETE", "/api/v2/client-grants/"+g.ID, "", "")
	_, err = c.ClientGrants.Get(ctx, g.ID)
	wantAPIError(t, err, 404, "inexistent_client-grants")
}

func TestSigningKeys(t *testing.T) {
	c, f := newMgmt(t)
	ctx := t.Context()

	keys, err := c.SigningKeys.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantWire(t, f, "GET", "/api/v2/keys/signing", "", "")
	if len(keys) != 3 {
		t.Fatalf("%d keys", len(keys))
	}
	prev := keys[0]
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	until := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if prev.KID != "k-prev" || !prev.Previous || prev.Current || prev.CurrentSince == nil || !prev.CurrentSince.Equal(since) ||
		prev.CurrentUntil == nil || !prev.CurrentUntil.Equal(until) || prev.Fingerprint != "AA:BB" || prev.Thumbprint != "aabb" {
		t.Errorf("previous key %+v", prev)
	}
	if !keys[1].Current || keys[1].PKCS7 == "" || keys[1].CurrentUntil != nil || !keys[2].Next {
		t.Errorf("current/next keys %+v %+v", keys[1], keys[2])
	}

	cur, err := c.SigningKeys.Get(ctx, "k-cur")
	if err != nil || cur.KID != "k-cur" || !cur.Current || cur.KeyType != "RSA" || !reflect.DeepEqual(cur.Algorithms, []string{"RS256", "PS256"}) {
		t.Fatalf("Get = %+v, %v", cur, err)
	}
	wantWire(t, f, "GET", "/api/v2/keys/signing/k-cur", "", "")

	rot, err := c.SigningKeys.Rotate(ctx)
	if err != nil || rot.KID != "k-next" || rot.Cert == "" {
		t.Fatalf("Rotate = %+v, %v", rot, err)
	}
	wantWire(t, f, "POST", "/api/v2/keys/signing/rotate", "", "")

	rev, err := c.SigningKeys.Revoke(ctx, "k-prev")
	if err != nil || rev.KID != "k-prev" {
		t.Fatalf("Revoke = %+v, %v", rev, err)
	}
	wantWire(t, f, "PUT", "/api/v2/keys/signing/k-prev/revoke", "", "")

	_, err = c.SigningKeys.Revoke(ctx, "nope")
	wantAPIError(t, err, 404, "inexistent_signing key")
}

func TestAPIErrors(t *testing.T) {
	f := newFakeMgmt(t)
	ctx := t.Context()

	// A token the server refuses: Auth0's 401 body.
	bad := client.New(f.URL, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "wrong"}))
	_, err := bad.Clients.List(ctx, client.ListOptions{})
	ae := wantAPIError(t, err, 401, "")
	if ae.Err != "Unauthorized" || ae.Message != "Invalid token." {
		t.Errorf("APIError %+v", ae)
	}
	if got, want := ae.Error(), "client: Management API: 401 Unauthorized: Invalid token."; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}

	// Auth0's insufficient-scope 403, and a non-JSON 502 from a proxy.
	for _, tt := range []struct {
		status int
		body   string
		want   client.APIError
	}{
		{403, `{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: update:clients","errorCode":"insufficient_scope"}`,
			client.APIError{StatusCode: 403, Err: "Forbidden", Message: "Insufficient scope, expected any of: update:clients", ErrorCode: "insufficient_scope"}},
		{502, "<html>Bad Gateway</html>", client.APIError{StatusCode: 502, Err: "Bad Gateway", Message: "<html>Bad Gateway</html>"}},
		{500, `{"unexpected":true}`, client.APIError{StatusCode: 500, Err: "Internal Server Error", Message: `{"unexpected":true}`}},
	} {
		c := client.New("http://credo.test/", oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}),
			client.WithHTTPClient(&http.Client{Transport: staticTransport(tt.status, tt.body)}))
		_, err := c.Clients.Get(ctx, "x")
		var ae *client.APIError
		if !errors.As(err, &ae) || *ae != tt.want {
			t.Errorf("status %d: err = %#v, want %#v", tt.status, err, tt.want)
		}
	}

	// A token-source failure stops the call before any request.
	f.mu.Lock()
	f.method = ""
	f.mu.Unlock()
	failing := client.New(f.URL, errTokenSource{})
	if _, err := failing.Clients.List(ctx, client.ListOptions{}); err == nil || !strings.Contains(err.Error(), "no token for you") {
		t.Errorf("err = %v, want the token source's error", err)
	}
	if m, _, _, _ := f.last(); m != "" {
		t.Errorf("a request was sent without a token: %s", m)
	}
}

func TestNewBaseURL(t *testing.T) {
	f := newFakeMgmt(t)
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: mgmtToken})
	for _, base := range []string{f.URL, f.URL + "/", f.URL + "/api/v2", f.URL + "/api/v2/"} {
		c := client.New(base, ts, client.WithUserAgent("timesheets-admin/1.0"))
		if _, err := c.SigningKeys.List(t.Context()); err != nil {
			t.Errorf("%s: %v", base, err)
		}
		wantWire(t, f, "GET", "/api/v2/keys/signing", "", "")
		f.mu.Lock()
		ua := f.userAgent
		f.mu.Unlock()
		if ua != "timesheets-admin/1.0" {
			t.Errorf("User-Agent %q", ua)
		}
	}
	for _, bad := range []string{"", "credo.example.com", "/api/v2", "ftp://x/"} {
		if _, err := client.New(bad, ts).SigningKeys.List(t.Context()); err == nil {
			t.Errorf("New(%q) worked", bad)
		}
	}
	if _, err := client.New(f.URL, nil).SigningKeys.List(t.Context()); err == nil {
		t.Error("New with a nil token source worked")
	}
}

type errTokenSource struct{}

func (errTokenSource) Token() (*oauth2.Token, error) { return nil, errors.New("no token for you") }

func staticTransport(status int, body string) http.RoundTripper {
	return roundTrip(func(r *http.Request) (*http.Response, error) {
		return &http.Response{
			StatusCode: status,
			Header:     http.Header{},
			Body:       ioNopCloser(body),
			Request:    r,
		}, nil
	})
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func ioNopCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

func TestAll(t *testing.T) {
	c, _ := newMgmt(t)
	ctx := t.Context()
	for i := range 230 {
		if _, err := c.Clients.Create(ctx, &client.Application{Name: fmt.Sprintf("c%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	apps, err := c.Clients.All(ctx)
	if err != nil || len(apps) != 230 || apps[229].Name != "c229" {
		t.Fatalf("Clients.All: %d, %v", len(apps), err)
	}
	rs, err := c.ResourceServers.Create(ctx, &client.ResourceServer{Identifier: "urn:a"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 205 {
		if _, err := c.ClientGrants.Create(ctx, &client.ClientGrant{ClientID: apps[i].ClientID, Audience: rs.Identifier}); err != nil {
			t.Fatal(err)
		}
	}
	gs, err := c.ClientGrants.All(ctx, client.ClientGrantListOptions{Audience: "urn:a"})
	if err != nil || len(gs) != 205 {
		t.Fatalf("ClientGrants.All: %d, %v", len(gs), err)
	}
	one, err := c.ClientGrants.All(ctx, client.ClientGrantListOptions{ClientID: apps[7].ClientID})
	if err != nil || len(one) != 1 {
		t.Fatalf("ClientGrants.All by client: %d, %v", len(one), err)
	}
	all, err := c.ResourceServers.All(ctx)
	if err != nil || len(all) != 1 {
		t.Fatalf("ResourceServers.All: %d, %v", len(all), err)
	}
}
