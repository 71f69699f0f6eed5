package storetest

import (
	"fmt"
	"testing"

	"github.com/credo-dev/credo/store"
)

func testResourceServerIdentifier(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := sampleResourceServer("a"), sampleResourceServer("b")
	must(t, s.CreateResourceServer(ctx, a))
	must(t, s.CreateResourceServer(ctx, b))

	got, err := s.GetResourceServer(ctx, a.Identifier)
	must(t, err)
	equal(t, "get by identifier", got, a)
	got, err = s.GetResourceServer(ctx, "b")
	must(t, err)
	equal(t, "get by id", got, b)
	_, err = s.GetResourceServer(ctx, "https://nowhere.example.com/")
	wantErr(t, "get unknown identifier", err, store.ErrNotFound)

	other := sampleResourceServer("c")
	other.Identifier = a.Identifier
	wantErr(t, "create with a taken identifier", s.CreateResourceServer(ctx, other), store.ErrConflict)
	_, err = s.GetResourceServer(ctx, "c")
	wantErr(t, "refused create", err, store.ErrNotFound)

	_, err = s.UpdateResourceServer(ctx, "b", func(rs *store.ResourceServer) error {
		rs.Identifier = a.Identifier
		return nil
	})
	wantErr(t, "update to a taken identifier", err, store.ErrConflict)
	got, err = s.GetResourceServer(ctx, "b")
	must(t, err)
	equal(t, "after refused identifier change", got, b)

	// A new identifier is found, the old one is not.
	renamed := b
	renamed.Identifier = "https://renamed.example.com/"
	_, err = s.UpdateResourceServer(ctx, "b", func(rs *store.ResourceServer) error {
		rs.Identifier = renamed.Identifier
		return nil
	})
	must(t, err)
	got, err = s.GetResourceServer(ctx, renamed.Identifier)
	must(t, err)
	equal(t, "get by new identifier", got, renamed)
	_, err = s.GetResourceServer(ctx, b.Identifier)
	wantErr(t, "get by old identifier", err, store.ErrNotFound)
}

func testClientGrantRules(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateClient(ctx, sampleClient("c1")))
	must(t, s.CreateResourceServer(ctx, sampleResourceServer("a")))
	must(t, s.CreateResourceServer(ctx, sampleResourceServer("b")))

	g := sampleGrant("g1", "c1", audience("a"))
	g.SubjectType = ""
	must(t, s.CreateClientGrant(ctx, g))
	got, err := s.GetClientGrant(ctx, "g1")
	must(t, err)
	g.SubjectType = "client"
	equal(t, "grant with default subject type", got, g)

	wantErr(t, "second grant for (client, audience, client)",
		s.CreateClientGrant(ctx, sampleGrant("g2", "c1", audience("a"))), store.ErrConflict)
	_, err = s.GetClientGrant(ctx, "g2")
	wantErr(t, "refused grant", err, store.ErrNotFound)

	user := sampleGrant("g3", "c1", audience("a"))
	user.SubjectType = "user"
	must(t, s.CreateClientGrant(ctx, user))
	must(t, s.CreateClientGrant(ctx, sampleGrant("g4", "c1", audience("b"))))

	wantErr(t, "grant for an unknown client",
		s.CreateClientGrant(ctx, sampleGrant("g5", "nobody", audience("a"))), store.ErrNotFound)
	wantErr(t, "grant for an unknown audience",
		s.CreateClientGrant(ctx, sampleGrant("g6", "c1", audience("nowhere"))), store.ErrNotFound)

	// Moving g4 onto g1's (client, audience, subject type) is a conflict.
	_, err = s.UpdateClientGrant(ctx, "g4", func(g *store.ClientGrant) error {
		g.Audience = audience("a")
		return nil
	})
	wantErr(t, "update into a taken (client, audience, subject type)", err, store.ErrConflict)
	_, err = s.UpdateClientGrant(ctx, "g4", func(g *store.ClientGrant) error {
		g.ClientID = "nobody"
		return nil
	})
	wantErr(t, "update to an unknown client", err, store.ErrNotFound)
	got, err = s.GetClientGrant(ctx, "g4")
	must(t, err)
	equal(t, "after refused updates", got, sampleGrant("g4", "c1", audience("b")))
}

func testClientGrantList(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, c := range []string{"c1", "c2"} {
		must(t, s.CreateClient(ctx, sampleClient(c)))
	}
	for _, a := range []string{"a", "b", "c"} {
		must(t, s.CreateResourceServer(ctx, sampleResourceServer(a)))
	}
	// g01..g06: c1 and c2 each granted a, b, c.
	var all []store.ClientGrant
	n := 0
	for _, c := range []string{"c1", "c2"} {
		for _, a := range []string{"a", "b", "c"} {
			n++
			g := sampleGrant(fmt.Sprintf("g%02d", n), c, audience(a))
			must(t, s.CreateClientGrant(ctx, g))
			all = append(all, g)
		}
	}
	tests := []struct {
		name  string
		f     store.GrantFilter
		want  []store.ClientGrant
		total int
	}{
		{"all", store.GrantFilter{}, all, 6},
		{"by client", store.GrantFilter{ClientID: "c2"}, all[3:], 3},
		{"by audience", store.GrantFilter{Audience: audience("b")}, []store.ClientGrant{all[1], all[4]}, 2},
		{"by client and audience", store.GrantFilter{ClientID: "c1", Audience: audience("c")}, all[2:3], 1},
		{"page", store.GrantFilter{Page: store.Page{Offset: 2, Limit: 3}}, all[2:5], 6},
		{"checkpoint", store.GrantFilter{From: "g02", Page: store.Page{Limit: 2}}, all[2:4], 4},
		{"checkpoint ignores offset", store.GrantFilter{From: "g04", Page: store.Page{Offset: 1}}, all[4:], 2},
		{"checkpoint with client", store.GrantFilter{ClientID: "c1", From: "g01"}, all[1:3], 2},
		{"checkpoint at the end", store.GrantFilter{From: "g06"}, nil, 0},
		{"no match", store.GrantFilter{ClientID: "nobody"}, nil, 0},
	}
	for _, tc := range tests {
		got, total, err := s.ListClientGrants(ctx, tc.f)
		must(t, err)
		equal(t, tc.name, got, tc.want)
		if total != tc.total {
			t.Errorf("%s: total = %d, want %d", tc.name, total, tc.total)
		}
	}

	// A user-subject grant beside c1's client grant to a.
	user := sampleGrant("g07", "c1", audience("a"))
	user.SubjectType = "user"
	must(t, s.CreateClientGrant(ctx, user))
	for _, tc := range []struct {
		name  string
		f     store.GrantFilter
		want  []store.ClientGrant
		total int
	}{
		{"by subject type user", store.GrantFilter{SubjectType: "user"}, []store.ClientGrant{user}, 1},
		{"by subject type client", store.GrantFilter{SubjectType: "client", Page: store.Page{Limit: 2}}, all[:2], 6},
		{"by subject type, client and audience", store.GrantFilter{SubjectType: "client", ClientID: "c1", Audience: audience("a")}, all[:1], 1},
		{"by subject type with checkpoint", store.GrantFilter{SubjectType: "user", From: "g01"}, []store.ClientGrant{user}, 1},
	} {
		got, total, err := s.ListClientGrants(ctx, tc.f)
		must(t, err)
		equal(t, tc.name, got, tc.want)
		if total != tc.total {
			t.Errorf("%s: total = %d, want %d", tc.name, total, tc.total)
		}
	}
}

func testGrantCascades(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, c := range []string{"c1", "c2"} {
		must(t, s.CreateClient(ctx, sampleClient(c)))
	}
	for _, a := range []string{"a", "b"} {
		must(t, s.CreateResourceServer(ctx, sampleResourceServer(a)))
	}
	must(t, s.CreateClientGrant(ctx, sampleGrant("g1", "c1", audience("a"))))
	must(t, s.CreateClientGrant(ctx, sampleGrant("g2", "c1", audience("b"))))
	must(t, s.CreateClientGrant(ctx, sampleGrant("g3", "c2", audience("a"))))
	must(t, s.CreateClientGrant(ctx, sampleGrant("g4", "c2", audience("b"))))

	ids := func() []string {
		t.Helper()
		gs, _, err := s.ListClientGrants(ctx, store.GrantFilter{})
		must(t, err)
		var out []string
		for _, g := range gs {
			out = append(out, g.ID)
		}
		return out
	}

	// Renaming an API's identifier moves its grants with it.
	renamed := "https://renamed.example.com/"
	_, err := s.UpdateResourceServer(ctx, "a", func(rs *store.ResourceServer) error {
		rs.Identifier = renamed
		return nil
	})
	must(t, err)
	g, err := s.GetClientGrant(ctx, "g1")
	must(t, err)
	if g.Audience != renamed {
		t.Fatalf("grant audience after renaming the API = %q, want %q", g.Audience, renamed)
	}
	gs, _, err := s.ListClientGrants(ctx, store.GrantFilter{Audience: renamed})
	must(t, err)
	if len(gs) != 2 {
		t.Fatalf("grants listed under the new identifier = %d, want 2", len(gs))
	}

	must(t, s.DeleteClient(ctx, "c1"))
	equal(t, "grants after deleting c1", ids(), []string{"g3", "g4"})
	_, err = s.GetClientGrant(ctx, "g1")
	wantErr(t, "grant of deleted client", err, store.ErrNotFound)

	must(t, s.DeleteResourceServer(ctx, "a"))
	equal(t, "grants after deleting API a", ids(), []string{"g4"})

	got, err := s.GetClientGrant(ctx, "g4")
	must(t, err)
	equal(t, "untouched grant", got, sampleGrant("g4", "c2", audience("b")))
}
