package tenant_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"unsafe"

	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/internal/testkit"
	"github.com/credo-dev/credo/store"
)

func ptr[T any](v T) *T { return &v }

// TestSnapshotKeepsWhatTheTokenPathReads pins the compact snapshot: each
// field the token path, Actions and the Management API read survives the
// compaction, and equal lists are shared rather than copied per client.
func TestSnapshotKeepsWhatTheTokenPathReads(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	if _, err := svc.CreateResourceServer(ctx, tenant.ResourceServerFields{Name: ptr("A"), Identifier: ptr("urn:a"),
		Scopes: &[]store.Scope{{Value: "read:a"}, {Value: "write:a"}}}); err != nil {
		t.Fatal(err)
	}
	mk := func(id string, f tenant.ClientFields) {
		t.Helper()
		f.ClientID = id
		if f.TokenEndpointAuthMethod == nil {
			f.ClientSecret = "secret-0123456789abcdefghijklmnopqrstuvwxyz"
		}
		if _, _, err := svc.CreateClient(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	mk("c1", tenant.ClientFields{Name: ptr("One"), Metadata: &map[string]string{"tier": "gold"}, TokenLifetime: ptr(60)})
	mk("c2", tenant.ClientFields{Name: ptr("Two"), Metadata: &map[string]string{}})
	mk("c3", tenant.ClientFields{Name: ptr("Three"), TokenEndpointAuthMethod: ptr("none")})
	grants := []tenant.GrantFields{
		{ClientID: "c1", Audience: "urn:a", Scope: &[]string{"read:a"}},
		{ClientID: "c2", Audience: "urn:a", Scope: &[]string{"read:a"}},
		{ClientID: "c3", Audience: "urn:a", AllowAllScopes: ptr(true)},
		{ClientID: "c1", Audience: "urn:a", Scope: &[]string{"write:a"}, SubjectType: "user"},
	}
	for _, g := range grants {
		if _, err := svc.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	snap := svc.Holder.Current()
	c1, ok1 := snap.Client("c1")
	c2, ok2 := snap.Client("c2")
	c3, ok3 := snap.Client("c3")
	if !ok1 || !ok2 || !ok3 {
		t.Fatal("clients missing from the snapshot")
	}
	if _, ok := snap.Client("c4"); ok {
		t.Fatal("unknown client found")
	}
	if c1.Name != "One" || c1.Metadata["tier"] != "gold" || c1.TokenLifetime != 60 || len(c1.Secrets) != 1 ||
		c1.Secrets[0].Hash == "" || !c1.Secrets[0].ExpiresAt.IsZero() || !c1.HasGrantType("client_credentials") {
		t.Fatalf("c1 = %+v", c1)
	}
	if c2.Metadata != nil {
		t.Fatalf("empty metadata kept as a map: %#v", c2.Metadata)
	}
	if c3.TokenEndpointAuthMethod != "none" || c1.TokenEndpointAuthMethod != "client_secret_post" {
		t.Fatalf("auth methods %q %q", c1.TokenEndpointAuthMethod, c3.TokenEndpointAuthMethod)
	}
	if unsafe.SliceData(c1.GrantTypes) != unsafe.SliceData(c2.GrantTypes) {
		t.Fatal("equal grant-type lists are not shared")
	}
	g1, _ := snap.Grant("c1", "urn:a")
	g2, _ := snap.Grant("c2", "urn:a")
	g3, ok := snap.Grant("c3", "urn:a")
	if !ok || strings.Join(g3.Scopes, " ") != "read:a write:a" {
		t.Fatalf("allow-all grant scopes %v", g3)
	}
	if strings.Join(g1.Scopes, " ") != "read:a" || unsafe.SliceData(g1.Scopes) != unsafe.SliceData(g2.Scopes) {
		t.Fatalf("grant scopes %v %v: equal lists must be shared", g1.Scopes, g2.Scopes)
	}
	if !g1.Allows("read:a") || g1.Allows("write:a") {
		t.Fatal("the user-subject grant leaked into the client grant")
	}
	if _, ok := snap.Grant("c2", "urn:b"); ok {
		t.Fatal("grant for an unknown audience found")
	}
	if c, a, g := snap.Counts(); c != 3 || a != 2 || g != 3 {
		t.Fatalf("counts %d clients, %d APIs, %d grants (the Management API is one of the APIs)", c, a, g)
	}
}

// TestDeferredRebuildsOnce: writes inside Deferred do not rebuild the
// snapshot each, a read inside sees them, and the end rebuilds once.
func TestDeferredRebuildsOnce(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	var logs testkit.Buffer
	h, err := tenant.NewHolder(ctx, svc.Store, svc.Master, nil, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), nil)
	if err != nil {
		t.Fatal(err)
	}
	svc.Holder = h
	rebuilds := func() int { return strings.Count(logs.String(), "snapshot rebuilt") }
	before := rebuilds()
	create := func(ctx context.Context, id string) {
		t.Helper()
		if _, _, err := svc.CreateClient(ctx, tenant.ClientFields{ClientID: id, Name: ptr(id)}); err != nil {
			t.Fatal(err)
		}
	}
	err = svc.Deferred(ctx, func() error {
		create(ctx, "d1")
		create(ctx, "d2")
		if _, ok := h.Current().Client("d1"); ok {
			t.Error("a write inside Deferred rebuilt the snapshot at once")
		}
		// Nested: the inner end must not rebuild either.
		if err := svc.Deferred(ctx, func() error { create(ctx, "d3"); return nil }); err != nil {
			return err
		}
		if got := rebuilds() - before; got != 0 {
			t.Errorf("%d rebuilds inside Deferred, want 0", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := rebuilds() - before; got != 1 {
		t.Fatalf("%d rebuilds for Deferred, want 1", got)
	}
	for _, id := range []string{"d1", "d2", "d3"} {
		if _, ok := h.Current().Client(id); !ok {
			t.Fatalf("%s missing after Deferred", id)
		}
	}
	// Outside Deferred every write rebuilds at once.
	create(ctx, "d4")
	if _, ok := h.Current().Client("d4"); !ok || rebuilds()-before != 2 {
		t.Fatal("a write outside Deferred did not rebuild the snapshot")
	}
}

// TestSeedInsideDeferredSeesEarlierWrites: a seed entry without client_id
// matches by name a client written earlier in the same deferred start-up.
func TestSeedInsideDeferredSeesEarlierWrites(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	err := svc.Deferred(ctx, func() error {
		if _, _, err := svc.CreateClient(ctx, tenant.ClientFields{ClientID: "early", Name: ptr("Early")}); err != nil {
			return err
		}
		seed, err := tenant.ParseSeed([]byte("clients:\n  - name: Early\n    description: seeded\n"), nil)
		if err != nil {
			return err
		}
		res, err := svc.ApplySeed(ctx, seed)
		if err != nil {
			return err
		}
		if res.Created != 0 || res.Updated != 1 {
			t.Errorf("seed created %d, updated %d; want the existing client updated", res.Created, res.Updated)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.Store.GetClient(ctx, "early")
	if err != nil || c.Description != "seeded" {
		t.Fatalf("client after seed: %+v %v", c, err)
	}
}
