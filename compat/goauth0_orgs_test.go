package compat

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/auth0/go-auth0"
	"github.com/auth0/go-auth0/management"
	"golang.org/x/oauth2"
)

// TestGoAuth0Organizations drives the organization endpoints with Auth0's Go
// SDK (go-auth0 v1.45.0, management package): Organization.Create, Read,
// ReadByName, List (pages and checkpoints), Update, AssociateClientGrant,
// ClientGrants, RemoveClientGrant, Delete; grants with organization_usage;
// ClientGrant.Organizations; a client's default_organization. Tokens for the
// organization carry its org_id.
func TestGoAuth0Organizations(t *testing.T) {
	fx := newFixture(t)
	srv, tlsc := startCredoTLS(t, fx)
	httpc := tlsc.Client()
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, httpc)
	m, err := management.New(srv.Addr, management.WithClientCredentials(ctx, fx.Admin.ID, fx.Admin.Secret),
		management.WithClient(httpc), management.WithNoRetries())
	if err != nil {
		t.Fatal(err)
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	orgID := func(id, secret, aud, org string) (int, string) {
		t.Helper()
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {aud}}
		if org != "" {
			form.Set("organization", org)
		}
		resp, err := httpc.PostForm(srv.Issuer+"oauth/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			AccessToken string `json:"access_token"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		if body.AccessToken == "" {
			return resp.StatusCode, ""
		}
		payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(body.AccessToken, ".")[1])
		var claims struct {
			OrgID string `json:"org_id"`
		}
		json.Unmarshal(payload, &claims)
		return resp.StatusCode, claims.OrgID
	}

	api := &management.ResourceServer{Name: auth0.String("go-auth0 orgs API"), Identifier: auth0.String("https://go-auth0.test/orgs"),
		Scopes: &[]management.ResourceServerScope{{Value: auth0.String("read:data")}}}
	must("ResourceServer.Create", m.ResourceServer.Create(ctx, api))

	org := &management.Organization{Name: auth0.String("acme"), DisplayName: auth0.String("Acme Corp"),
		Branding: &management.OrganizationBranding{LogoURL: auth0.String("https://acme.example/logo.png"), Colors: &map[string]string{"primary": "#0050ff"}},
		Metadata: &map[string]string{"plan": "gold"}}
	must("Organization.Create", m.Organization.Create(ctx, org))
	if !strings.HasPrefix(org.GetID(), "org_") || org.GetDisplayName() != "Acme Corp" || (*org.GetBranding().Colors)["primary"] != "#0050ff" {
		t.Fatalf("created %+v", org)
	}
	read, err := m.Organization.Read(ctx, org.GetID())
	must("Organization.Read", err)
	byName, err := m.Organization.ReadByName(ctx, "acme")
	must("Organization.ReadByName", err)
	if read.GetName() != "acme" || byName.GetID() != org.GetID() {
		t.Fatalf("read %+v, by name %+v", read, byName)
	}
	for i := range 3 {
		must("Organization.Create", m.Organization.Create(ctx, &management.Organization{Name: auth0.String("globex-" + string(rune('a'+i)))}))
	}
	page, err := m.Organization.List(ctx, management.PerPage(2))
	must("Organization.List", err)
	if len(page.Organizations) != 2 || page.Total != 4 || !page.HasNext() {
		t.Fatalf("page: %d organizations, total %d, next %v", len(page.Organizations), page.Total, page.HasNext())
	}
	var seen []string
	for from := ""; ; {
		opts := []management.RequestOption{management.Take(3)}
		if from != "" {
			opts = append(opts, management.From(from))
		}
		l, err := m.Organization.List(ctx, opts...)
		must("Organization.List checkpoint", err)
		for _, o := range l.Organizations {
			seen = append(seen, o.GetID())
		}
		if from = l.Next; from == "" {
			break
		}
	}
	if len(seen) != 4 {
		t.Fatalf("checkpoints saw %v", seen)
	}
	// Update with what Read returned (id and all), as tooling does.
	read.DisplayName = auth0.String("Acme Europe")
	read.ID = nil
	must("Organization.Update", m.Organization.Update(ctx, org.GetID(), read))
	if got, _ := m.Organization.Read(ctx, org.GetID()); got.GetDisplayName() != "Acme Europe" || (*got.Metadata)["plan"] != "gold" {
		t.Fatalf("updated %+v", got)
	}

	c := &management.Client{Name: auth0.String("go-auth0 acme backend"), AppType: auth0.String("non_interactive"), GrantTypes: &[]string{"client_credentials"}}
	must("Client.Create", m.Client.Create(ctx, c))
	g := &management.ClientGrant{ClientID: c.ClientID, Audience: api.Identifier, Scope: &[]string{"read:data"},
		OrganizationUsage: auth0.String("require"), AllowAnyOrganization: auth0.Bool(false)}
	must("ClientGrant.Create", m.ClientGrant.Create(ctx, g))
	if g.GetOrganizationUsage() != "require" {
		t.Fatalf("grant %+v", g)
	}
	if code, _ := orgID(c.GetClientID(), c.GetClientSecret(), api.GetIdentifier(), "acme"); code != 403 {
		t.Fatalf("before the association: %d", code)
	}
	must("Organization.AssociateClientGrant", m.Organization.AssociateClientGrant(ctx, org.GetID(), g.GetID()))
	grants, err := m.Organization.ClientGrants(ctx, org.GetID())
	must("Organization.ClientGrants", err)
	if len(grants.ClientGrants) != 1 || grants.ClientGrants[0].GetID() != g.GetID() || grants.Total != 1 {
		t.Fatalf("associated grants %+v", grants)
	}
	orgs, err := m.ClientGrant.Organizations(ctx, g.GetID())
	must("ClientGrant.Organizations", err)
	if len(orgs.Organizations) != 1 || orgs.Organizations[0].GetID() != org.GetID() {
		t.Fatalf("organizations of the grant %+v", orgs)
	}
	if code, got := orgID(c.GetClientID(), c.GetClientSecret(), api.GetIdentifier(), "acme"); code != 200 || got != org.GetID() {
		t.Fatalf("token for acme: %d org_id %q", code, got)
	}
	must("Client.Update", m.Client.Update(ctx, c.GetClientID(), &management.Client{DefaultOrganization: &management.ClientDefaultOrganization{
		OrganizationID: org.ID, Flows: &[]string{"client_credentials"}}}))
	if code, got := orgID(c.GetClientID(), c.GetClientSecret(), api.GetIdentifier(), ""); code != 200 || got != org.GetID() {
		t.Fatalf("token by the default organization: %d org_id %q", code, got)
	}
	if read, err := m.Client.Read(ctx, c.GetClientID()); err != nil || read.GetDefaultOrganization().GetOrganizationID() != org.GetID() {
		t.Fatalf("client's default organization: %+v %v", read.GetDefaultOrganization(), err)
	}

	must("Organization.RemoveClientGrant", m.Organization.RemoveClientGrant(ctx, org.GetID(), g.GetID()))
	if code, _ := orgID(c.GetClientID(), c.GetClientSecret(), api.GetIdentifier(), "acme"); code != 403 {
		t.Fatalf("after the removal: %d", code)
	}
	must("Organization.Delete", m.Organization.Delete(ctx, org.GetID()))
	if _, err := m.Organization.Read(ctx, org.GetID()); err == nil {
		t.Fatal("deleted organization still read")
	} else if me, ok := err.(management.Error); !ok || me.Status() != 404 {
		t.Fatalf("read after delete: %v", err)
	}
}
