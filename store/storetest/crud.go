package storetest

import (
	"context"
	"testing"

	"github.com/credo-dev/credo/store"
)

// kind adapts one id-addressed kind of value to the generic CRUD test.
type kind[T any] struct {
	sample func(id string) T
	id     func(*T) *string
	// setup creates what the samples refer to.
	setup  func(t *testing.T, s store.Store)
	change func(*T)
	create func(store.Store, context.Context, T) error
	get    func(store.Store, context.Context, string) (T, error)
	list   func(store.Store, context.Context, store.Page) ([]T, int, error)
	update func(store.Store, context.Context, string, func(*T) error) (T, error)
	delete func(store.Store, context.Context, string) error
}

var clientKind = kind[store.Client]{
	sample: sampleClient,
	id:     func(c *store.Client) *string { return &c.ClientID },
	change: func(c *store.Client) {
		c.Name = "renamed"
		c.GrantTypes = append(c.GrantTypes, "urn:ietf:params:oauth:grant-type:token-exchange")
		c.Metadata["extra"] = "yes"
		c.Secrets = c.Secrets[:1]
		c.UpdatedAt = ts(5)
	},
	create: store.Store.CreateClient,
	get:    store.Store.GetClient,
	list: func(s store.Store, ctx context.Context, p store.Page) ([]store.Client, int, error) {
		return s.ListClients(ctx, store.ClientFilter{Page: p})
	},
	update: store.Store.UpdateClient,
	delete: store.Store.DeleteClient,
}

var resourceServerKind = kind[store.ResourceServer]{
	sample: sampleResourceServer,
	id:     func(rs *store.ResourceServer) *string { return &rs.ID },
	change: func(rs *store.ResourceServer) {
		rs.Name = "renamed"
		rs.Scopes = append(rs.Scopes, store.Scope{Value: "admin", Description: "Everything"})
		rs.TokenLifetime = 60
		rs.UpdatedAt = ts(5)
	},
	create: store.Store.CreateResourceServer,
	get:    store.Store.GetResourceServer,
	list:   store.Store.ListResourceServers,
	update: store.Store.UpdateResourceServer,
	delete: store.Store.DeleteResourceServer,
}

// Client grants for the CRUD test belong to one client, each for its own API.
var clientGrantKind = kind[store.ClientGrant]{
	sample: func(id string) store.ClientGrant { return sampleGrant(id, "crud-client", audience(id)) },
	id:     func(g *store.ClientGrant) *string { return &g.ID },
	setup: func(t *testing.T, s store.Store) {
		must(t, s.CreateClient(t.Context(), sampleClient("crud-client")))
		for _, id := range []string{"a", "b", "c"} {
			must(t, s.CreateResourceServer(t.Context(), sampleResourceServer(id)))
		}
	},
	change: func(g *store.ClientGrant) {
		g.Scope = g.Scope[:1]
		g.AllowAllScopes = true
		g.OrganizationUsage = "require"
		g.AllowAnyOrganization = true
		g.UpdatedAt = ts(5)
	},
	create: store.Store.CreateClientGrant,
	get:    store.Store.GetClientGrant,
	list: func(s store.Store, ctx context.Context, p store.Page) ([]store.ClientGrant, int, error) {
		return s.ListClientGrants(ctx, store.GrantFilter{Page: p})
	},
	update: store.Store.UpdateClientGrant,
	delete: store.Store.DeleteClientGrant,
}

var organizationKind = kind[store.Organization]{
	sample: sampleOrganization,
	id:     func(o *store.Organization) *string { return &o.ID },
	change: func(o *store.Organization) {
		o.Name = o.Name + "-renamed"
		o.DisplayName = "Renamed"
		o.Metadata["extra"] = "yes"
		o.Branding = nil
		o.UpdatedAt = ts(5)
	},
	create: store.Store.CreateOrganization,
	get:    store.Store.GetOrganization,
	list: func(s store.Store, ctx context.Context, p store.Page) ([]store.Organization, int, error) {
		return s.ListOrganizations(ctx, store.OrganizationFilter{Page: p})
	},
	update: store.Store.UpdateOrganization,
	delete: store.Store.DeleteOrganization,
}

var actionKind = kind[store.Action]{
	sample: sampleAction,
	id:     func(a *store.Action) *string { return &a.ID },
	change: func(a *store.Action) {
		a.Code = "// new draft"
		a.Secrets = append(a.Secrets, store.ActionSecret{Name: "OTHER", Sealed: "sealed:other", UpdatedAt: ts(5)})
		a.DeployedVersion++
		a.UpdatedAt = ts(5)
	},
	create: store.Store.CreateAction,
	get:    store.Store.GetAction,
	list:   store.Store.ListActions,
	update: store.Store.UpdateAction,
	delete: store.Store.DeleteAction,
}

var hookKind = kind[store.Hook]{
	sample: sampleHook,
	id:     func(h *store.Hook) *string { return &h.ID },
	change: func(h *store.Hook) {
		h.Enabled = false
		h.Script = "// off"
		h.Secrets = nil
		h.UpdatedAt = ts(5)
	},
	create: store.Store.CreateHook,
	get:    store.Store.GetHook,
	list:   store.Store.ListHooks,
	update: store.Store.UpdateHook,
	delete: store.Store.DeleteHook,
}

// testCRUD covers create, get, list, update and delete of one kind, with
// the not-found, conflict and aborted-update cases.
func testCRUD[T any](t *testing.T, s store.Store, k kind[T]) {
	ctx := t.Context()
	if k.setup != nil {
		k.setup(t, s)
	}

	_, err := k.get(s, ctx, "a")
	wantErr(t, "get before create", err, store.ErrNotFound)

	for _, id := range []string{"b", "a", "c"} {
		must(t, k.create(s, ctx, k.sample(id)))
	}
	for _, id := range []string{"a", "b", "c"} {
		got, err := k.get(s, ctx, id)
		must(t, err)
		equal(t, "get "+id, got, k.sample(id))
	}

	dup := k.sample("a")
	k.change(&dup)
	wantErr(t, "create duplicate id", k.create(s, ctx, dup), store.ErrConflict)
	got, err := k.get(s, ctx, "a")
	must(t, err)
	equal(t, "after refused duplicate", got, k.sample("a"))

	all, total, err := k.list(s, ctx, store.Page{})
	must(t, err)
	equal(t, "list", all, []T{k.sample("a"), k.sample("b"), k.sample("c")})
	if total != 3 {
		t.Fatalf("list total = %d, want 3", total)
	}

	// Update applies fn and keeps the id, whatever fn does to it.
	want := k.sample("b")
	k.change(&want)
	updated, err := k.update(s, ctx, "b", func(v *T) error {
		equal(t, "value passed to update fn", *v, k.sample("b"))
		k.change(v)
		*k.id(v) = "moved"
		return nil
	})
	must(t, err)
	equal(t, "update result", updated, want)
	got, err = k.get(s, ctx, "b")
	must(t, err)
	equal(t, "get after update", got, want)
	_, err = k.get(s, ctx, "moved")
	wantErr(t, "get id set by update fn", err, store.ErrNotFound)

	// An update whose fn fails changes nothing and returns fn's error as is.
	_, err = k.update(s, ctx, "c", func(v *T) error {
		k.change(v)
		return errBoom
	})
	if err != errBoom {
		t.Fatalf("update with failing fn: error = %v, want %v as is", err, errBoom)
	}
	got, err = k.get(s, ctx, "c")
	must(t, err)
	equal(t, "after failed update", got, k.sample("c"))

	called := false
	_, err = k.update(s, ctx, "missing", func(*T) error { called = true; return nil })
	wantErr(t, "update missing", err, store.ErrNotFound)
	if called {
		t.Fatal("update of a missing id called fn")
	}

	must(t, k.delete(s, ctx, "a"))
	_, err = k.get(s, ctx, "a")
	wantErr(t, "get after delete", err, store.ErrNotFound)
	wantErr(t, "delete twice", k.delete(s, ctx, "a"), store.ErrNotFound)
	all, total, err = k.list(s, ctx, store.Page{})
	must(t, err)
	equal(t, "list after delete", all, []T{want, k.sample("c")})
	if total != 2 {
		t.Fatalf("list total after delete = %d, want 2", total)
	}
}

var logStreamKind = kind[store.LogStream]{
	sample: func(id string) store.LogStream {
		return store.LogStream{ID: id, Name: "stream " + id, Type: "http", Status: "active",
			HTTPEndpoint: "https://logs.example.com/" + id, HTTPContentType: "application/json", HTTPContentFormat: "JSONARRAY",
			HTTPAuthorization: "sealed-" + id, HTTPCustomHeaders: []store.StreamHeader{{Header: "X-Env", Value: "prod"}},
			Filters: []store.StreamFilter{{Type: "category", Name: "auth.token_exchange.fail"}}, Cursor: "2025" + id,
			LeaseOwner: "host-1", LeaseUntil: ts(1), CreatedAt: ts(0), UpdatedAt: ts(0)}
	},
	id: func(l *store.LogStream) *string { return &l.ID },
	change: func(l *store.LogStream) {
		l.Status, l.Cursor, l.LastError, l.FailingSince = "suspended", "2026x", "503 Service Unavailable", ts(2)
		l.HTTPCustomHeaders = nil
		l.UpdatedAt = ts(5)
	},
	create: store.Store.CreateLogStream,
	get:    store.Store.GetLogStream,
	list: func(s store.Store, ctx context.Context, p store.Page) ([]store.LogStream, int, error) {
		all, err := s.ListLogStreams(ctx)
		if err != nil {
			return nil, 0, err
		}
		total := len(all)
		lo := min(p.Offset, total)
		hi := total
		if p.Limit > 0 {
			hi = min(lo+p.Limit, total)
		}
		return all[lo:hi], total, nil
	},
	update: store.Store.UpdateLogStream,
	delete: store.Store.DeleteLogStream,
}
