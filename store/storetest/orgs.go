package storetest

import (
	"testing"

	"github.com/credo-dev/credo/store"
)

// testOrganizationNames: names are unique on create and update, found by
// GetOrganizationByName, and organizations list from a checkpoint.
func testOrganizationNames(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, id := range []string{"org_a", "org_b", "org_c"} {
		must(t, s.CreateOrganization(ctx, sampleOrganization(id)))
	}
	got, err := s.GetOrganizationByName(ctx, "org-org_b")
	must(t, err)
	equal(t, "by name", got, sampleOrganization("org_b"))
	_, err = s.GetOrganizationByName(ctx, "org_b")
	wantErr(t, "an id is not a name", err, store.ErrNotFound)
	_, err = s.GetOrganization(ctx, "org-org_b")
	wantErr(t, "a name is not an id", err, store.ErrNotFound)

	dup := sampleOrganization("org_d")
	dup.Name = "org-org_a"
	wantErr(t, "create with a taken name", s.CreateOrganization(ctx, dup), store.ErrConflict)
	_, err = s.GetOrganization(ctx, "org_d")
	wantErr(t, "refused create left nothing", err, store.ErrNotFound)
	_, err = s.UpdateOrganization(ctx, "org_c", func(o *store.Organization) error { o.Name = "org-org_a"; return nil })
	wantErr(t, "rename to a taken name", err, store.ErrConflict)
	got, err = s.GetOrganization(ctx, "org_c")
	must(t, err)
	equal(t, "after refused rename", got, sampleOrganization("org_c"))

	// A rename frees the old name and takes the new one.
	_, err = s.UpdateOrganization(ctx, "org_c", func(o *store.Organization) error { o.Name = "renamed"; return nil })
	must(t, err)
	_, err = s.GetOrganizationByName(ctx, "org-org_c")
	wantErr(t, "old name after rename", err, store.ErrNotFound)
	got, err = s.GetOrganizationByName(ctx, "renamed")
	must(t, err)
	if got.ID != "org_c" {
		t.Fatalf("renamed = %s", got.ID)
	}

	list, total, err := s.ListOrganizations(ctx, store.OrganizationFilter{From: "org_a", Page: store.Page{Limit: 1, Offset: 7}})
	must(t, err)
	if total != 2 || len(list) != 1 || list[0].ID != "org_b" {
		t.Fatalf("from org_a take 1: total %d, %+v", total, list)
	}
	list, total, err = s.ListOrganizations(ctx, store.OrganizationFilter{Page: store.Page{Offset: 1, Limit: 5}})
	must(t, err)
	if total != 3 || len(list) != 2 || list[0].ID != "org_b" || list[1].ID != "org_c" {
		t.Fatalf("offset 1: total %d, %+v", total, list)
	}
}

// orgFixture creates two clients, three APIs, grants and two organizations.
func orgFixture(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateClient(ctx, sampleClient("c1")))
	must(t, s.CreateClient(ctx, sampleClient("c2")))
	for _, id := range []string{"a", "b", "c"} {
		must(t, s.CreateResourceServer(ctx, sampleResourceServer(id)))
	}
	must(t, s.CreateClientGrant(ctx, sampleGrant("g1a", "c1", audience("a"))))
	must(t, s.CreateClientGrant(ctx, sampleGrant("g1b", "c1", audience("b"))))
	anyOrg := sampleGrant("g2a", "c2", audience("a"))
	anyOrg.AllowAnyOrganization = true
	must(t, s.CreateClientGrant(ctx, anyOrg))
	must(t, s.CreateClientGrant(ctx, sampleGrant("g2c", "c2", audience("c"))))
	must(t, s.CreateOrganization(ctx, sampleOrganization("org_x")))
	must(t, s.CreateOrganization(ctx, sampleOrganization("org_y")))
}

func grantIDs(list []store.ClientGrant) []string {
	out := []string{}
	for _, g := range list {
		out = append(out, g.ID)
	}
	return out
}

// testOrganizationGrants: associations are added once, listed with their
// filters, removed, and each write is an organization change; grants filter
// by allow_any_organization.
func testOrganizationGrants(t *testing.T, s store.Store) {
	ctx := t.Context()
	orgFixture(t, s)
	for _, g := range []string{"g2c", "g1a", "g1b", "g2a"} {
		v0, err := s.Version(ctx)
		must(t, err)
		must(t, s.AddOrganizationGrant(ctx, "org_x", g))
		_, ch, err := s.ChangesSince(ctx, v0)
		must(t, err)
		if len(ch) != 1 || ch[0].Kind != store.ChangeOrganization || ch[0].ID != "org_x" {
			t.Fatalf("change of an association: %+v", ch)
		}
	}
	must(t, s.AddOrganizationGrant(ctx, "org_y", "g1a"))
	wantErr(t, "associate twice", s.AddOrganizationGrant(ctx, "org_x", "g1a"), store.ErrConflict)
	wantErr(t, "associate with a missing organization", s.AddOrganizationGrant(ctx, "org_none", "g1a"), store.ErrNotFound)
	wantErr(t, "associate a missing grant", s.AddOrganizationGrant(ctx, "org_x", "g_none"), store.ErrNotFound)

	list, total, err := s.ListOrganizationGrants(ctx, "org_x", store.OrganizationGrantFilter{})
	must(t, err)
	equal(t, "associated grants", grantIDs(list), []string{"g1a", "g1b", "g2a", "g2c"})
	if total != 4 {
		t.Fatalf("total = %d", total)
	}
	want := sampleGrant("g2a", "c2", audience("a"))
	want.AllowAnyOrganization = true
	equal(t, "a listed grant is the whole grant", list[2], want)
	for _, tc := range []struct {
		name string
		f    store.OrganizationGrantFilter
		want []string
		n    int
	}{
		{"audience", store.OrganizationGrantFilter{Audience: audience("a")}, []string{"g1a", "g2a"}, 2},
		{"client", store.OrganizationGrantFilter{ClientID: "c2"}, []string{"g2a", "g2c"}, 2},
		{"grant ids", store.OrganizationGrantFilter{GrantIDs: []string{"g2c", "g1b", "g_none"}}, []string{"g1b", "g2c"}, 2},
		{"all filters", store.OrganizationGrantFilter{Audience: audience("a"), ClientID: "c1", GrantIDs: []string{"g1a"}}, []string{"g1a"}, 1},
		{"page", store.OrganizationGrantFilter{Page: store.Page{Offset: 1, Limit: 2}}, []string{"g1b", "g2a"}, 4},
	} {
		list, total, err := s.ListOrganizationGrants(ctx, "org_x", tc.f)
		must(t, err)
		equal(t, tc.name, grantIDs(list), tc.want)
		if total != tc.n {
			t.Fatalf("%s: total = %d, want %d", tc.name, total, tc.n)
		}
	}
	_, _, err = s.ListOrganizationGrants(ctx, "org_none", store.OrganizationGrantFilter{})
	wantErr(t, "list of a missing organization", err, store.ErrNotFound)

	orgs, total, err := s.ListGrantOrganizations(ctx, "g1a", store.OrganizationFilter{})
	must(t, err)
	if total != 2 || len(orgs) != 2 || orgs[0].ID != "org_x" || orgs[1].ID != "org_y" {
		t.Fatalf("organizations of g1a: %d %+v", total, orgs)
	}
	equal(t, "a listed organization is the whole organization", orgs[1], sampleOrganization("org_y"))
	orgs, total, err = s.ListGrantOrganizations(ctx, "g1a", store.OrganizationFilter{From: "org_x", Page: store.Page{Limit: 5, Offset: 3}})
	must(t, err)
	if total != 1 || len(orgs) != 1 || orgs[0].ID != "org_y" {
		t.Fatalf("organizations of g1a from org_x: %d %+v", total, orgs)
	}
	if orgs, total, err := s.ListGrantOrganizations(ctx, "g2c", store.OrganizationFilter{Page: store.Page{Limit: 1}}); err != nil || total != 1 || len(orgs) != 1 {
		t.Fatalf("organizations of g2c: %d %+v %v", total, orgs, err)
	}
	_, _, err = s.ListGrantOrganizations(ctx, "g_none", store.OrganizationFilter{})
	wantErr(t, "organizations of a missing grant", err, store.ErrNotFound)

	must(t, s.RemoveOrganizationGrant(ctx, "org_x", "g1b"))
	wantErr(t, "remove twice", s.RemoveOrganizationGrant(ctx, "org_x", "g1b"), store.ErrNotFound)
	wantErr(t, "remove from a missing organization", s.RemoveOrganizationGrant(ctx, "org_none", "g1a"), store.ErrNotFound)
	list, _, err = s.ListOrganizationGrants(ctx, "org_x", store.OrganizationGrantFilter{})
	must(t, err)
	equal(t, "after remove", grantIDs(list), []string{"g1a", "g2a", "g2c"})

	yes, no := true, false
	list, total, err = s.ListClientGrants(ctx, store.GrantFilter{AllowAnyOrganization: &yes})
	must(t, err)
	equal(t, "allow_any_organization=true", grantIDs(list), []string{"g2a"})
	if total != 1 {
		t.Fatalf("total = %d", total)
	}
	list, _, err = s.ListClientGrants(ctx, store.GrantFilter{AllowAnyOrganization: &no, ClientID: "c2"})
	must(t, err)
	equal(t, "allow_any_organization=false of c2", grantIDs(list), []string{"g2c"})
	_, err = s.UpdateClientGrant(ctx, "g2a", func(g *store.ClientGrant) error { g.AllowAnyOrganization = false; return nil })
	must(t, err)
	list, _, err = s.ListClientGrants(ctx, store.GrantFilter{AllowAnyOrganization: &yes})
	must(t, err)
	equal(t, "after update", grantIDs(list), []string{})

	d, err := s.Load(ctx)
	must(t, err)
	equal(t, "Load's associations", d.OrganizationGrants, []store.OrganizationGrant{
		{OrganizationID: "org_x", GrantID: "g1a"}, {OrganizationID: "org_x", GrantID: "g2a"},
		{OrganizationID: "org_x", GrantID: "g2c"}, {OrganizationID: "org_y", GrantID: "g1a"},
	})
	equal(t, "Load's organizations", d.Organizations, []store.Organization{sampleOrganization("org_x"), sampleOrganization("org_y")})
}

// testOrganizationCascades: deleting an organization removes its
// associations; deleting a grant (itself, or with its client or API)
// removes it from every organization.
func testOrganizationCascades(t *testing.T, s store.Store) {
	ctx := t.Context()
	orgFixture(t, s)
	for _, org := range []string{"org_x", "org_y"} {
		for _, g := range []string{"g1a", "g1b", "g2a", "g2c"} {
			must(t, s.AddOrganizationGrant(ctx, org, g))
		}
	}
	assoc := func(what string, want []store.OrganizationGrant) {
		t.Helper()
		d, err := s.Load(ctx)
		must(t, err)
		if want == nil {
			want = []store.OrganizationGrant{}
		}
		got := d.OrganizationGrants
		if got == nil {
			got = []store.OrganizationGrant{}
		}
		equal(t, what, got, want)
	}
	must(t, s.DeleteClientGrant(ctx, "g1b"))
	assoc("grant deleted", []store.OrganizationGrant{
		{OrganizationID: "org_x", GrantID: "g1a"}, {OrganizationID: "org_x", GrantID: "g2a"}, {OrganizationID: "org_x", GrantID: "g2c"},
		{OrganizationID: "org_y", GrantID: "g1a"}, {OrganizationID: "org_y", GrantID: "g2a"}, {OrganizationID: "org_y", GrantID: "g2c"},
	})
	must(t, s.DeleteClient(ctx, "c1"))
	must(t, s.DeleteResourceServer(ctx, "c"))
	assoc("client and API deleted", []store.OrganizationGrant{
		{OrganizationID: "org_x", GrantID: "g2a"}, {OrganizationID: "org_y", GrantID: "g2a"},
	})
	must(t, s.DeleteOrganization(ctx, "org_x"))
	assoc("organization deleted", []store.OrganizationGrant{{OrganizationID: "org_y", GrantID: "g2a"}})
	_, err := s.GetClientGrant(ctx, "g2a")
	must(t, err) // the grant stays
	// A new organization with the deleted one's id starts with no grants.
	must(t, s.CreateOrganization(ctx, sampleOrganization("org_x")))
	list, _, err := s.ListOrganizationGrants(ctx, "org_x", store.OrganizationGrantFilter{})
	must(t, err)
	equal(t, "recreated organization", grantIDs(list), []string{})
}
