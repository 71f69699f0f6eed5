package tenant_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
	"gopkg.in/yaml.v3"
)

// TestOrganizationValidation: each of Auth0's limits on an organization is
// enforced, naming the field, and nothing is written.
func TestOrganizationValidation(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	meta := func(n int) *map[string]string {
		m := map[string]string{}
		for i := range n {
			m[strings.Repeat("k", i+1)] = "v"
		}
		return &m
	}
	for _, tc := range []struct {
		name  string
		f     tenant.OrganizationFields
		field string
	}{
		{"no name", tenant.OrganizationFields{}, "name"},
		{"empty name", tenant.OrganizationFields{Name: ptr("")}, "name"},
		{"upper case", tenant.OrganizationFields{Name: ptr("Acme")}, "name"},
		{"space", tenant.OrganizationFields{Name: ptr("ac me")}, "name"},
		{"51 characters", tenant.OrganizationFields{Name: ptr(strings.Repeat("a", 51))}, "name"},
		{"long display name", tenant.OrganizationFields{Name: ptr("a"), DisplayName: ptr(strings.Repeat("é", 256))}, "display_name"},
		{"26 metadata keys", tenant.OrganizationFields{Name: ptr("a"), Metadata: meta(26)}, "metadata"},
		{"long metadata value", tenant.OrganizationFields{Name: ptr("a"), Metadata: &map[string]string{"k": strings.Repeat("v", 256)}}, "metadata"},
		{"http logo", tenant.OrganizationFields{Name: ptr("a"), Branding: &store.OrganizationBranding{LogoURL: "http://x.example/l.png"}}, "branding.logo_url"},
		{"bad color", tenant.OrganizationFields{Name: ptr("a"), Branding: &store.OrganizationBranding{Colors: store.OrganizationColors{Primary: "blue"}}}, "branding.colors.primary"},
		{"bad id", tenant.OrganizationFields{ID: "acme", Name: ptr("a")}, "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.CreateOrganization(ctx, tc.f)
			var ve *tenant.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("error = %v, want a validation error on %s", err, tc.field)
			}
		})
	}
	if _, total, _ := svc.Store.ListOrganizations(ctx, store.OrganizationFilter{}); total != 0 {
		t.Fatalf("%d organizations written", total)
	}
	o, err := svc.CreateOrganization(ctx, tenant.OrganizationFields{Name: ptr(strings.Repeat("a", 50)), DisplayName: ptr("A"), Metadata: meta(25),
		Branding: &store.OrganizationBranding{LogoURL: "https://a.example/l.png", Colors: store.OrganizationColors{Primary: "#fff", PageBackground: "#00AAff"}}})
	if err != nil || !strings.HasPrefix(o.ID, "org_") || len(o.ID) != 20 {
		t.Fatalf("at the limits: %+v %v", o, err)
	}
	if _, err := svc.CreateOrganization(ctx, tenant.OrganizationFields{Name: ptr(strings.Repeat("a", 50))}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("taken name: %v", err)
	}
}

// TestGrantOrganizationFields: organization_usage takes Auth0's values,
// third-party clients cannot allow any organization, associations name
// what is missing, and default_organization must name an organization.
func TestGrantOrganizationFields(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	if _, err := svc.CreateResourceServer(ctx, tenant.ResourceServerFields{Name: ptr("a"), Identifier: ptr("urn:a")}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []tenant.ClientFields{{ClientID: "first", Name: ptr("f")}, {ClientID: "third", Name: ptr("t"), IsFirstParty: ptr(false)}} {
		if _, _, err := svc.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	wantField := func(what string, err error, field string) {
		t.Helper()
		var ve *tenant.ValidationError
		if !errors.As(err, &ve) || ve.Field != field {
			t.Fatalf("%s: error = %v, want a validation error on %s", what, err, field)
		}
	}
	_, err := svc.CreateGrant(ctx, tenant.GrantFields{ClientID: "first", Audience: "urn:a", OrganizationUsage: ptr("required")})
	wantField("usage required (the docs' misprint)", err, "organization_usage")
	_, err = svc.CreateGrant(ctx, tenant.GrantFields{ClientID: "third", Audience: "urn:a", AllowAnyOrganization: ptr(true)})
	wantField("third party, any organization", err, "allow_any_organization")
	g, err := svc.CreateGrant(ctx, tenant.GrantFields{ClientID: "first", Audience: "urn:a"})
	if err != nil || g.OrganizationUsage != "deny" || g.AllowAnyOrganization {
		t.Fatalf("default grant: %+v %v", g, err)
	}
	third, err := svc.CreateGrant(ctx, tenant.GrantFields{ClientID: "third", Audience: "urn:a", OrganizationUsage: ptr("require")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.UpdateGrant(ctx, third.ID, tenant.GrantFields{AllowAnyOrganization: ptr(true)})
	wantField("third party, patched to any organization", err, "allow_any_organization")
	g, err = svc.UpdateGrant(ctx, g.ID, tenant.GrantFields{OrganizationUsage: ptr("allow"), AllowAnyOrganization: ptr(true)})
	if err != nil || g.OrganizationUsage != "allow" || !g.AllowAnyOrganization {
		t.Fatalf("patched: %+v %v", g, err)
	}

	o, err := svc.CreateOrganization(ctx, tenant.OrganizationFields{Name: ptr("acme")})
	if err != nil {
		t.Fatal(err)
	}
	var nf *tenant.NotFoundError
	if _, err := svc.AddOrganizationGrant(ctx, "org_none", g.ID); !errors.As(err, &nf) || nf.What != "organization" {
		t.Fatalf("missing organization: %v", err)
	}
	if _, err := svc.AddOrganizationGrant(ctx, o.ID, "cgr_none"); !errors.As(err, &nf) || nf.What != "client grant" {
		t.Fatalf("missing grant: %v", err)
	}
	if _, err := svc.AddOrganizationGrant(ctx, o.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddOrganizationGrant(ctx, o.ID, g.ID); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("twice: %v", err)
	}

	_, err = svc.UpdateClient(ctx, "first", tenant.ClientFields{DefaultOrganization: &store.DefaultOrganization{OrganizationID: "org_none", Flows: []string{"client_credentials"}}})
	wantField("unknown default organization", err, "default_organization.organization_id")
	_, err = svc.UpdateClient(ctx, "first", tenant.ClientFields{DefaultOrganization: &store.DefaultOrganization{OrganizationID: o.ID}})
	wantField("no flows", err, "default_organization.flows")
	c, err := svc.UpdateClient(ctx, "first", tenant.ClientFields{DefaultOrganization: &store.DefaultOrganization{OrganizationID: o.ID, Flows: []string{"client_credentials"}}})
	if err != nil || c.DefaultOrganization == nil || c.DefaultOrganization.OrganizationID != o.ID {
		t.Fatalf("set: %+v %v", c.DefaultOrganization, err)
	}
	c, err = svc.UpdateClient(ctx, "first", tenant.ClientFields{DefaultOrganization: &store.DefaultOrganization{}})
	if err != nil || c.DefaultOrganization != nil {
		t.Fatalf("cleared: %+v %v", c.DefaultOrganization, err)
	}
}

// TestSeedOrganizations: organizations: in the Deploy CLI's shape, with
// client_grants by client name, grants' organization settings and a
// client's default_organization by name; applying twice changes nothing,
// an export applies back unchanged, and the listed associations replace
// the organization's.
func TestSeedOrganizations(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	const doc = `
resourceServers:
  - {name: Invoices, identifier: "https://api.example.com/invoices", scopes: [{value: "read:inv"}]}
  - {name: Reports, identifier: "https://api.example.com/reports"}
organizations:
  - name: acme
    display_name: Acme Corp
    branding: {logo_url: "https://acme.example/logo.png", colors: {primary: "#0050ff", page_background: "#ffffff"}}
    metadata: {plan: gold}
    connections: []
    client_grants:
      - client_id: Acme backend
        audience: https://api.example.com/invoices
  - name: globex
clients:
  - name: Acme backend
    client_id: acme-backend
    client_secret: acme-secret-0123456789abcdefghijklmnopqrs
    default_organization: {organization_id: acme, flows: [client_credentials]}
clientGrants:
  - {client_id: Acme backend, audience: "https://api.example.com/invoices", scope: ["read:inv"], organization_usage: require}
  - {client_id: Acme backend, audience: "https://api.example.com/reports", scope: [], organization_usage: allow, allow_any_organization: true}
`
	apply := func(doc string) tenant.SeedResult {
		t.Helper()
		s, err := tenant.ParseSeed([]byte(doc), nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.ApplySeed(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := apply(doc); res.Created != 7 || res.Updated != 1 {
		t.Fatalf("first apply: %+v", res)
	}
	acme, err := svc.Store.GetOrganizationByName(ctx, "acme")
	if err != nil || acme.DisplayName != "Acme Corp" || acme.Metadata["plan"] != "gold" || acme.Branding == nil || acme.Branding.Colors.Primary != "#0050ff" {
		t.Fatalf("acme %+v %v", acme, err)
	}
	c, _ := svc.Store.GetClient(ctx, "acme-backend")
	if c.DefaultOrganization == nil || c.DefaultOrganization.OrganizationID != acme.ID {
		t.Fatalf("default organization %+v", c.DefaultOrganization)
	}
	grants, _, _ := svc.Store.ListOrganizationGrants(ctx, acme.ID, store.OrganizationGrantFilter{})
	if len(grants) != 1 || grants[0].Audience != "https://api.example.com/invoices" || grants[0].OrganizationUsage != "require" {
		t.Fatalf("associations %+v", grants)
	}
	if res := apply(doc); res.Created != 0 || res.Updated != 0 {
		t.Fatalf("second apply changed something: %+v", res)
	}
	exp, _, err := svc.ExportSeed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(exp)
	if err != nil {
		t.Fatal(err)
	}
	if res := apply(string(out)); res.Created != 0 || res.Updated != 0 {
		t.Fatalf("export applied back changed something: %+v\n%s", res, out)
	}
	// The listed associations are the organization's: an empty list removes them.
	if res := apply(strings.Replace(doc, "    client_grants:\n      - client_id: Acme backend\n        audience: https://api.example.com/invoices\n", "    client_grants: []\n", 1)); res.Updated != 1 {
		t.Fatalf("emptied associations: %+v", res)
	}
	if grants, _, _ := svc.Store.ListOrganizationGrants(ctx, acme.ID, store.OrganizationGrantFilter{}); len(grants) != 0 {
		t.Fatalf("associations left %+v", grants)
	}
	// A client with several grants needs audience.
	s, _ := tenant.ParseSeed([]byte("organizations:\n  - name: acme\n    client_grants: [{client_id: acme-backend}]\n"), nil)
	if _, err := svc.ApplySeed(ctx, s); err == nil || !strings.Contains(err.Error(), "add audience") {
		t.Fatalf("ambiguous grant: %v", err)
	}
	s, _ = tenant.ParseSeed([]byte("organizations:\n  - name: Acme\n"), nil)
	if _, err := svc.ApplySeed(ctx, s); err == nil || !strings.Contains(err.Error(), "organizations[0]") {
		t.Fatalf("invalid name: %v", err)
	}
}
