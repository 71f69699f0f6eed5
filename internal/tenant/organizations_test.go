package tenant_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
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
