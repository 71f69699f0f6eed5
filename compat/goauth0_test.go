package compat

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/auth0/go-auth0"
	"github.com/auth0/go-auth0/management"
	"golang.org/x/oauth2"
)

// TestGoAuth0 drives credo's Management API with Auth0's Go SDK
// (github.com/auth0/go-auth0 v1.45.0, management package) over HTTPS, as an
// Auth0 customer's Go tooling does: only the domain changes.
func TestGoAuth0(t *testing.T) {
	fx := newFixture(t)
	srv, tlsc := startCredoTLS(t, fx)
	httpc := tlsc.Client()
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, httpc) // the SDK's token requests
	connect := func() *management.Management {
		m, err := management.New(srv.Addr,
			management.WithClientCredentials(ctx, fx.Admin.ID, fx.Admin.Secret),
			management.WithClient(httpc), management.WithNoRetries())
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := connect()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// token asks credo's token endpoint over HTTPS (audience "" sends none).
	token := func(id, secret, audience string) (int, map[string]any) {
		t.Helper()
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
		if audience != "" {
			form.Set("audience", audience)
		}
		resp, err := httpc.PostForm(srv.Issuer+"oauth/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		raw, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("token response %q", raw)
		}
		return resp.StatusCode, body
	}

	// Resource servers: an HS256 API created without signing_secret gets one,
	// returned as Auth0 returns it.
	api := &management.ResourceServer{
		Name: auth0.String("go-auth0 HS256 API"), Identifier: auth0.String("https://go-auth0.test/hs256"),
		SigningAlgorithm: auth0.String("HS256"), TokenLifetime: auth0.Int(1800),
		Scopes: &[]management.ResourceServerScope{{Value: auth0.String("read:things"), Description: auth0.String("Read things")}},
	}
	must("ResourceServer.Create", m.ResourceServer.Create(ctx, api))
	if len(api.GetSigningSecret()) < 32 || api.GetID() == "" {
		t.Fatalf("created API: id %q, signing_secret %q: want a generated secret", api.GetID(), api.GetSigningSecret())
	}
	read, err := m.ResourceServer.Read(ctx, api.GetID())
	must("ResourceServer.Read", err)
	if read.GetSigningSecret() != api.GetSigningSecret() || read.GetIdentifier() != api.GetIdentifier() || read.GetIsSystem() {
		t.Errorf("read API %+v", read)
	}
	// What Read returns, Update takes back.
	read.TokenLifetime = auth0.Int(900)
	must("ResourceServer.Update (read object)", m.ResourceServer.Update(ctx, api.GetID(), read))
	rsList, err := m.ResourceServer.List(ctx)
	must("ResourceServer.List", err)
	var system *management.ResourceServer
	for _, rs := range rsList.ResourceServers {
		if rs.GetIsSystem() {
			system = rs
		}
	}
	if system == nil || system.GetName() != "Auth0 Management API" || system.GetIdentifier() != srv.Issuer+"api/v2/" {
		t.Errorf("system API %+v, want is_system Auth0 Management API at %sapi/v2/", system, srv.Issuer)
	}

	// Clients.
	cl := &management.Client{
		Name: auth0.String("go-auth0 worker"), AppType: auth0.String("non_interactive"),
		GrantTypes: &[]string{"client_credentials"}, TokenEndpointAuthMethod: auth0.String("client_secret_post"),
		ClientMetadata: &map[string]interface{}{"team": "sdk"},
	}
	must("Client.Create", m.Client.Create(ctx, cl))
	secret := cl.GetClientSecret()
	if cl.GetClientID() == "" || len(secret) < 32 {
		t.Fatalf("created client %q with secret %q", cl.GetClientID(), secret)
	}
	third := &management.Client{Name: auth0.String("go-auth0 third party"), AppType: auth0.String("non_interactive"), IsFirstParty: auth0.Bool(false)}
	must("Client.Create third party", m.Client.Create(ctx, third))
	ids := func(l *management.ClientList) []string {
		var out []string
		for _, c := range l.Clients {
			out = append(out, c.GetClientID())
		}
		return out
	}
	list, err := m.Client.List(ctx, management.Parameter("is_global", "false"), management.Parameter("is_first_party", "true"), management.Parameter("app_type", "non_interactive"))
	must("Client.List is_global=false is_first_party=true", err)
	if got := ids(list); !contains(got, cl.GetClientID()) || contains(got, third.GetClientID()) || list.Total != len(got) {
		t.Errorf("first-party clients %v (total %d): want %s and not %s", got, list.Total, cl.GetClientID(), third.GetClientID())
	}
	list, err = m.Client.List(ctx, management.Parameter("is_first_party", "false"))
	must("Client.List is_first_party=false", err)
	if got := ids(list); len(got) != 1 || got[0] != third.GetClientID() {
		t.Errorf("third-party clients %v", got)
	}
	list, err = m.Client.List(ctx, management.Parameter("is_global", "true"))
	must("Client.List is_global=true", err)
	if len(list.Clients) != 1 || list.Clients[0].GetName() != "All Applications" || list.Clients[0].GetClientSecret() != "" {
		t.Errorf("global clients %v", ids(list))
	}
	list, err = m.Client.ListWithCheckpointPagination(ctx, management.Take(2))
	must("Client.ListWithCheckpointPagination", err)
	if len(list.Clients) != 2 || list.Next == "" {
		t.Errorf("checkpoint page %v next %q", ids(list), list.Next)
	}
	got, err := m.Client.Read(ctx, cl.GetClientID())
	must("Client.Read", err)
	got.Description = auth0.String("updated by go-auth0")
	must("Client.Update (read object)", m.Client.Update(ctx, cl.GetClientID(), got))
	if got, err := m.Client.Read(ctx, cl.GetClientID()); err != nil || got.GetDescription() != "updated by go-auth0" {
		t.Errorf("after Update: %v %v", got.GetDescription(), err)
	}

	// Client grants.
	grant := &management.ClientGrant{ClientID: cl.ClientID, Audience: api.Identifier, Scope: &[]string{"read:things"}}
	must("ClientGrant.Create", m.ClientGrant.Create(ctx, grant))
	grants, err := m.ClientGrant.List(ctx, management.Parameter("subject_type", "client"), management.Parameter("client_id", cl.GetClientID()))
	must("ClientGrant.List subject_type=client", err)
	if len(grants.ClientGrants) != 1 || grants.ClientGrants[0].GetID() != grant.GetID() || grants.ClientGrants[0].GetSubjectType() != "client" {
		t.Errorf("grants %+v", grants.ClientGrants)
	}
	grants, err = m.ClientGrant.List(ctx, management.Parameter("subject_type", "user"))
	must("ClientGrant.List subject_type=user", err)
	if len(grants.ClientGrants) != 0 {
		t.Errorf("user grants %+v", grants.ClientGrants)
	}
	grants, err = m.ClientGrant.List(ctx, management.Take(50), management.IncludeTotals(true))
	must("ClientGrant.List take=50&include_totals=true", err)
	if len(grants.ClientGrants) == 0 {
		t.Error("checkpoint list of grants is empty")
	}
	must("ClientGrant.Update", m.ClientGrant.Update(ctx, grant.GetID(), &management.ClientGrant{Scope: &[]string{"read:things"}}))

	// An HS256 token verifies with the returned signing_secret.
	st, tok := token(cl.GetClientID(), secret, api.GetIdentifier())
	if st != 200 {
		t.Fatalf("token for the HS256 API: %d %v", st, tok)
	}
	hdr, claims, err := srv.verifyToken(tok["access_token"].(string), api.GetIdentifier(), api.GetSigningSecret())
	if err != nil || hdr.Algorithm != "HS256" || claims["scope"] != "read:things" || tok["expires_in"] != 900.0 {
		t.Fatalf("HS256 token: alg %s claims %v expires_in %v: %v", hdr.Algorithm, claims, tok["expires_in"], err)
	}
	if _, _, err := srv.verifyToken(tok["access_token"].(string), api.GetIdentifier(), api.GetSigningSecret()+"x"); err == nil {
		t.Fatal("the HS256 token verifies with another secret")
	}

	// Tenant settings: every field Auth0 has is taken; default_audience is
	// honoured by the token endpoint.
	tenant, err := m.Tenant.Read(ctx)
	must("Tenant.Read", err)
	must("Tenant.Update (read object)", m.Tenant.Update(ctx, tenant))
	upd := &management.Tenant{
		FriendlyName: auth0.String("Acme (credo)"), DefaultAudience: api.Identifier,
		SupportEmail: auth0.String("ops@acme.test"), SessionLifetime: auth0.Float64(168),
		IdleSessionLifetime: auth0.Float64(72), EnabledLocales: &[]string{"en"},
		Flags: &management.TenantFlags{EnableClientConnections: auth0.Bool(false), RemoveAlgFromJWKS: auth0.Bool(false)},
		DefaultTokenQuota: &management.TenantDefaultTokenQuota{Clients: &management.TokenQuota{
			ClientCredentials: &management.TokenQuotaClientCredentials{PerHour: auth0.Int(100), Enforce: auth0.Bool(true)}}},
		AllowedLogoutURLs:        &[]string{"https://acme.test/"},
		SessionCookie:            &management.TenantSessionCookie{Mode: auth0.String("persistent")},
		SandboxVersion:           auth0.String("22"),
		ResourceParameterProfile: auth0.String("audience"),
	}
	must("Tenant.Update", m.Tenant.Update(ctx, upd))
	tenant, err = m.Tenant.Read(ctx)
	must("Tenant.Read after Update", err)
	if tenant.GetFriendlyName() != "Acme (credo)" || tenant.GetDefaultAudience() != api.GetIdentifier() || tenant.GetSessionLifetime() != 168 ||
		tenant.GetDefaultTokenQuota().GetClients().GetClientCredentials().GetPerHour() != 100 || tenant.GetFlags().GetEnableClientConnections() ||
		tenant.GetSessionCookie().GetMode() != "persistent" {
		t.Errorf("tenant after Update: %s", mustJSON(tenant))
	}
	st, tok = token(cl.GetClientID(), secret, "")
	if st != 200 {
		t.Fatalf("token without audience, default_audience %s: %d %v", api.GetIdentifier(), st, tok)
	}
	if _, _, err := srv.verifyToken(tok["access_token"].(string), api.GetIdentifier(), api.GetSigningSecret()); err != nil {
		t.Errorf("token for the default audience: %v", err)
	}
	must("Tenant.Update default_audience", m.Tenant.Update(ctx, &management.Tenant{DefaultAudience: auth0.String("")}))

	// Actions: create, deploy, bind; the token carries the claim.
	action := &management.Action{
		Name:              auth0.String("go-auth0 claim"),
		SupportedTriggers: []management.ActionTrigger{{ID: auth0.String(management.ActionTriggerCredentialsExchange), Version: auth0.String("v2")}},
		Code:              auth0.String(`exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim("https://go-auth0.test/by", event.client.name); };`),
		Runtime:           auth0.String("node22"),
	}
	must("Action.Create", m.Action.Create(ctx, action))
	if _, err := waitBuilt(ctx, m, action.GetID()); err != nil {
		t.Fatal(err)
	}
	_, err = m.Action.Deploy(ctx, action.GetID())
	must("Action.Deploy", err)
	must("Action.UpdateBindings", m.Action.UpdateBindings(ctx, management.ActionTriggerCredentialsExchange, []*management.ActionBinding{{
		Ref: &management.ActionBindingReference{Type: auth0.String("action_id"), Value: action.ID}, DisplayName: auth0.String("claim"),
	}}))
	bl, err := m.Action.Bindings(ctx, management.ActionTriggerCredentialsExchange)
	must("Action.Bindings", err)
	if len(bl.Bindings) != 1 || bl.Bindings[0].GetAction().GetID() != action.GetID() {
		t.Errorf("bindings %s", mustJSON(bl))
	}
	read2, err := m.Action.Read(ctx, action.GetID())
	must("Action.Read", err)
	must("Action.Update (read object)", m.Action.Update(ctx, action.GetID(), read2))
	st, tok = token(cl.GetClientID(), secret, api.GetIdentifier())
	if st != 200 {
		t.Fatalf("token with the action bound: %d %v", st, tok)
	}
	if _, claims, err := srv.verifyToken(tok["access_token"].(string), api.GetIdentifier(), api.GetSigningSecret()); err != nil || claims["https://go-auth0.test/by"] != "go-auth0 worker" {
		t.Errorf("action claim: %v %v", claims, err)
	}
	must("Action.UpdateBindings (none)", m.Action.UpdateBindings(ctx, management.ActionTriggerCredentialsExchange, []*management.ActionBinding{}))
	must("Action.Delete", m.Action.Delete(ctx, action.GetID()))

	// Signing keys: one current key, RSA, as on Auth0.
	keys, err := m.SigningKey.List(ctx)
	must("SigningKey.List", err)
	var current, next []*management.SigningKey
	for _, k := range keys {
		if k.GetCurrent() {
			current = append(current, k)
		}
		if k.GetNext() {
			next = append(next, k)
		}
	}
	if len(current) != 1 || len(next) != 1 {
		t.Fatalf("%d current and %d next keys, want one of each (Auth0's shape)", len(current), len(next))
	}
	if blk, _ := pem.Decode([]byte(current[0].GetCert())); blk == nil {
		t.Fatal("current key has no PEM cert")
	} else if cert, err := x509.ParseCertificate(blk.Bytes); err != nil {
		t.Fatal(err)
	} else if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
		t.Errorf("the current key is %T, want RSA", cert.PublicKey)
	}
	old := current[0].GetKID()
	rotated, err := m.SigningKey.Rotate(ctx)
	must("SigningKey.Rotate", err)
	if rotated.GetKID() != next[0].GetKID() {
		t.Errorf("rotate promoted %s, want the next key %s", rotated.GetKID(), next[0].GetKID())
	}
	prev, err := m.SigningKey.Read(ctx, old)
	must("SigningKey.Read", err)
	if !prev.GetPrevious() || prev.GetCurrent() {
		t.Errorf("the former current key: %s", mustJSON(prev))
	}
	m = connect() // a token signed by the new current key
	revoked, err := m.SigningKey.Revoke(ctx, old)
	must("SigningKey.Revoke", err)
	if revoked.GetKID() != old {
		t.Errorf("revoked %s, want %s", revoked.GetKID(), old)
	}

	// Deletes, and a 404 as go-auth0 reports it.
	must("ClientGrant.Delete", m.ClientGrant.Delete(ctx, grant.GetID()))
	must("Client.Delete", m.Client.Delete(ctx, cl.GetClientID()))
	must("Client.Delete third party", m.Client.Delete(ctx, third.GetClientID()))
	must("ResourceServer.Delete", m.ResourceServer.Delete(ctx, api.GetID()))
	_, err = m.Client.Read(ctx, cl.GetClientID())
	var merr management.Error
	if !errors.As(err, &merr) || merr.Status() != http.StatusNotFound {
		t.Errorf("Read of a deleted client: %v, want a 404 management.Error", err)
	}
}

// waitBuilt waits until an action's status is built (credo builds at once).
func waitBuilt(ctx context.Context, m *management.Management, id string) (*management.Action, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := m.Action.Read(ctx, id)
		if err != nil {
			return nil, err
		}
		if a.GetStatus() == management.ActionStatusBuilt {
			return a, nil
		}
		if time.Now().After(deadline) {
			return nil, errors.New("action " + id + " not built: " + a.GetStatus())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func contains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return strings.TrimSpace(string(b))
}
