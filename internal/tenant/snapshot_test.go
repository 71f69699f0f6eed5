package tenant_test

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/internal/testkit"
	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/sqlite"
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
	// A full build (writes through the service patch the snapshot one client
	// at a time, and patches do not share lists across clients).
	h, err := tenant.NewHolder(ctx, svc.Store, svc.Master, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	snap := h.Current()
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

// TestDeferredRebuildsOnce: writes inside Deferred do not update the
// snapshot each, a read inside sees them, and the end applies them in one
// update, a patch (APIs included).
func TestDeferredRebuildsOnce(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	h, logs := loggedHolder(t, svc)
	svc.Holder = h
	rebuilds := func() int {
		return strings.Count(logs.String(), "snapshot rebuilt") + strings.Count(logs.String(), "snapshot patched")
	}
	before := rebuilds()
	create := func(ctx context.Context, id string) {
		t.Helper()
		if _, _, err := svc.CreateClient(ctx, tenant.ClientFields{ClientID: id, Name: ptr(id)}); err != nil {
			t.Fatal(err)
		}
	}
	err := svc.Deferred(ctx, func() error {
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
			t.Errorf("%d snapshot updates inside Deferred, want 0", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := rebuilds() - before; got != 1 || !strings.Contains(logs.String(), "snapshot patched") {
		t.Fatalf("%d snapshot updates for Deferred, want 1 patch:\n%s", got, logs.String())
	}
	for _, id := range []string{"d1", "d2", "d3"} {
		if _, ok := h.Current().Client(id); !ok {
			t.Fatalf("%s missing after Deferred", id)
		}
	}
	// With an API write among them, the end patches once too.
	before = rebuilds()
	rebuiltBefore := strings.Count(logs.String(), "snapshot rebuilt")
	err = svc.Deferred(ctx, func() error {
		if _, err := svc.CreateResourceServer(ctx, tenant.ResourceServerFields{Name: ptr("d"), Identifier: ptr("urn:d")}); err != nil {
			return err
		}
		create(ctx, "d5")
		_, err := svc.CreateGrant(ctx, tenant.GrantFields{ClientID: "d5", Audience: "urn:d", Scope: &[]string{}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if rebuilds()-before != 1 || strings.Count(logs.String(), "snapshot rebuilt") != rebuiltBefore {
		t.Fatalf("want one patch for a deferred API write:\n%s", logs.String())
	}
	if _, ok := h.Current().Grant("d5", "urn:d"); !ok {
		t.Fatal("grant written inside Deferred missing")
	}
	// Outside Deferred every write is applied at once.
	create(ctx, "d4")
	if _, ok := h.Current().Client("d4"); !ok {
		t.Fatal("a write outside Deferred was not applied at once")
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

// loggedHolder is a Holder on svc's store whose debug log ("snapshot
// rebuilt", "snapshot patched") the test can read.
func loggedHolder(t *testing.T, svc *tenant.Service) (*tenant.Holder, *testkit.Buffer) {
	t.Helper()
	logs := &testkit.Buffer{}
	h, err := tenant.NewHolder(t.Context(), svc.Store, svc.Master, nil, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), nil)
	if err != nil {
		t.Fatal(err)
	}
	return h, logs
}

// snapshotsEqual compares what the token path can read from two snapshots.
func snapshotsEqual(t *testing.T, got, want *tenant.Snapshot) {
	t.Helper()
	gc, ga, gg := got.Counts()
	wc, wa, wg := want.Counts()
	if gc != wc || ga != wa || gg != wg {
		t.Fatalf("counts: patched %d clients %d APIs %d grants, rebuilt %d %d %d", gc, ga, gg, wc, wa, wg)
	}
	if !reflect.DeepEqual(got.Settings, want.Settings) || strings.Join(got.Algorithms(), " ") != strings.Join(want.Algorithms(), " ") ||
		string(got.Keys.JWKS()) != string(want.Keys.JWKS()) || (got.Extensions == nil) != (want.Extensions == nil) {
		t.Fatalf("settings, algorithms, keys or extensions differ: patched %+v %v, rebuilt %+v %v",
			got.Settings, got.Algorithms(), want.Settings, want.Algorithms())
	}
	want.EachAPI(func(w *tenant.API) {
		g, ok := got.API(w.Identifier)
		if !ok || g.ID != w.ID || g.Name != w.Name || g.SigningAlg != w.SigningAlg || g.TokenLifetime != w.TokenLifetime ||
			g.TokenDialect != w.TokenDialect || strings.Join(g.AllScope, " ") != strings.Join(w.AllScope, " ") ||
			(got.Signer(g, "JWT") == nil) != (want.Signer(w, "JWT") == nil) {
			t.Fatalf("API %s: patched %+v, rebuilt %+v", w.Identifier, g, w)
		}
	})
	want.EachClient(func(w *tenant.Client) {
		g, ok := got.Client(w.ClientID)
		if !ok {
			t.Fatalf("client %s missing from the patched snapshot", w.ClientID)
		}
		if g.Name != w.Name || g.TokenEndpointAuthMethod != w.TokenEndpointAuthMethod || g.TokenLifetime != w.TokenLifetime ||
			strings.Join(g.GrantTypes, " ") != strings.Join(w.GrantTypes, " ") || len(g.Secrets) != len(w.Secrets) ||
			len(g.Metadata) != len(w.Metadata) {
			t.Fatalf("client %s: patched %+v, rebuilt %+v", w.ClientID, g, w)
		}
		for i := range w.Secrets {
			if g.Secrets[i].Hash != w.Secrets[i].Hash || !g.Secrets[i].ExpiresAt.Equal(w.Secrets[i].ExpiresAt) {
				t.Fatalf("client %s secret %d differs", w.ClientID, i)
			}
		}
		want.EachAPI(func(a *tenant.API) {
			wg, wok := want.Grant(w.ClientID, a.Identifier)
			gg, gok := got.Grant(w.ClientID, a.Identifier)
			if wok != gok || (wok && (strings.Join(wg.Scopes, " ") != strings.Join(gg.Scopes, " ") || wg.ID != gg.ID ||
				wg.OrganizationUsage != gg.OrganizationUsage || wg.AllowAnyOrganization != gg.AllowAnyOrganization)) {
				t.Fatalf("grant %s → %s: patched %v %v, rebuilt %v %v", w.ClientID, a.Identifier, gg, gok, wg, wok)
			}
			if !wok {
				return
			}
			want.EachOrganization(func(wo *tenant.Organization) {
				if go_, _ := got.OrganizationByID(wo.ID); go_ != nil && got.OrganizationAllows(go_, gg) != want.OrganizationAllows(wo, wg) {
					t.Fatalf("organization %s and grant %s: patched allows %v, rebuilt %v", wo.ID, wg.ID, !want.OrganizationAllows(wo, wg), want.OrganizationAllows(wo, wg))
				}
			})
		})
		if g.DefaultOrganization != w.DefaultOrganization {
			t.Fatalf("client %s default organization: patched %q, rebuilt %q", w.ClientID, g.DefaultOrganization, w.DefaultOrganization)
		}
	})
	n := 0
	want.EachOrganization(func(w *tenant.Organization) {
		n++
		g, ok := got.OrganizationByID(w.ID)
		if !ok || g.Name != w.Name || g.DisplayName != w.DisplayName || fmt.Sprint(g.Metadata) != fmt.Sprint(w.Metadata) {
			t.Fatalf("organization %s: patched %+v %v, rebuilt %+v", w.ID, g, ok, w)
		}
		if byName, ok := got.Organization(w.Name); !ok || byName.ID != w.ID {
			t.Fatalf("organization %s by name %s: %+v %v", w.ID, w.Name, byName, ok)
		}
	})
	got.EachOrganization(func(*tenant.Organization) { n-- })
	if n != 0 {
		t.Fatalf("patched snapshot has %d organizations more than the rebuilt one", -n)
	}
}

// TestClientWritesPatchTheSnapshot: client and grant writes, this process's
// or another's, patch the snapshot instead of rebuilding it, and the patched
// snapshot matches a full rebuild of the same store. Any other write in
// between forces a full rebuild.
func TestClientWritesPatchTheSnapshot(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	h, logs := loggedHolder(t, svc)
	svc.Holder = h
	for _, id := range []string{"urn:a", "urn:b"} {
		if _, err := svc.CreateResourceServer(ctx, tenant.ResourceServerFields{Name: ptr(id), Identifier: ptr(id),
			Scopes: &[]store.Scope{{Value: "read"}, {Value: "write"}}}); err != nil {
			t.Fatal(err)
		}
	}
	count := func(what string) int { return strings.Count(logs.String(), what) }
	rebuilt, patched := count("snapshot rebuilt"), count("snapshot patched")
	step := func(name string, op func() error) {
		t.Helper()
		if err := op(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r, p := count("snapshot rebuilt")-rebuilt, count("snapshot patched")-patched; r != 0 || p != 1 {
			t.Fatalf("%s: %d rebuilds and %d patches, want 0 and 1", name, r, p)
		}
		rebuilt, patched = count("snapshot rebuilt"), count("snapshot patched")
		fresh, err := tenant.NewHolder(ctx, svc.Store, svc.Master, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		fresh.Close()
		if h.Current().Version != fresh.Current().Version {
			t.Fatalf("%s: patched version %d, store at %d", name, h.Current().Version, fresh.Current().Version)
		}
		snapshotsEqual(t, h.Current(), fresh.Current())
	}
	var grantID string
	for i, id := range []string{"p1", "p2", "p3"} {
		step("create "+id, func() error {
			_, _, err := svc.CreateClient(ctx, tenant.ClientFields{ClientID: id, Name: ptr(id), TokenLifetime: ptr(60 * (i + 1))})
			return err
		})
	}
	step("grant p1 → a", func() error {
		g, err := svc.CreateGrant(ctx, tenant.GrantFields{ClientID: "p1", Audience: "urn:a", Scope: &[]string{"read"}})
		grantID = g.ID
		return err
	})
	step("grant p1 → b (all scopes)", func() error {
		_, err := svc.CreateGrant(ctx, tenant.GrantFields{ClientID: "p1", Audience: "urn:b", AllowAllScopes: ptr(true)})
		return err
	})
	step("grant p3 → a", func() error {
		_, err := svc.CreateGrant(ctx, tenant.GrantFields{ClientID: "p3", Audience: "urn:a", Scope: &[]string{"write"}})
		return err
	})
	step("update grant", func() error {
		_, err := svc.UpdateGrant(ctx, grantID, tenant.GrantFields{Scope: &[]string{"read", "write"}})
		return err
	})
	step("update client", func() error {
		_, err := svc.UpdateClient(ctx, "p2", tenant.ClientFields{Name: ptr("renamed"), Metadata: &map[string]string{"k": "v"}})
		return err
	})
	step("rotate with grace", func() error {
		_, _, err := svc.RotateSecret(ctx, "p2", time.Hour)
		return err
	})
	step("delete the first client (the last takes its slot)", func() error { return svc.DeleteClient(ctx, "p1") })
	if _, ok := h.Current().Grant("p1", "urn:b"); ok {
		t.Fatal("a deleted client's grant is still served")
	}
	step("delete grant", func() error {
		gs, _, err := svc.Store.ListClientGrants(ctx, store.GrantFilter{ClientID: "p3"})
		if err != nil || len(gs) != 1 {
			t.Fatalf("grants of p3: %v %v", gs, err)
		}
		return svc.DeleteGrant(ctx, gs[0].ID)
	})
	if _, ok := h.Current().Grant("p3", "urn:a"); ok {
		t.Fatal("a deleted grant is still served")
	}

	// Another process's client write (a second store on the same file, as a
	// replica's would be) is in the change log too: the next refresh patches
	// both.
	other, err := sqlite.Open(ctx, dbPath(t, svc))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	now := time.Now()
	if err := other.CreateClient(ctx, store.Client{ClientID: "remote", Name: "remote", GrantTypes: []string{"client_credentials"}, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	step("a local write after a remote one", func() error {
		_, _, err := svc.CreateClient(ctx, tenant.ClientFields{ClientID: "local", Name: ptr("local")})
		return err
	})
	for _, id := range []string{"remote", "local"} {
		if _, ok := h.Current().Client(id); !ok {
			t.Fatalf("%s missing after the patch", id)
		}
	}

	// A second holder on the same store (another replica) catches up on
	// these writes by patching as well.
	h2, logs2 := loggedHolder(t, svc)
	h2.Close() // only Refresh brings it up to date, as Watch would
	if _, err := other.UpdateClient(ctx, "p2", func(c *store.Client) error { c.Name = "renamed again"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := h2.Refresh(ctx, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs2.String(), "snapshot patched") {
		t.Fatalf("the second holder rebuilt instead of patching:\n%s", logs2.String())
	}
	if err := h.Refresh(ctx, false); err != nil {
		t.Fatal(err)
	}
	rebuilt, patched = count("snapshot rebuilt"), count("snapshot patched")
	snapshotsEqual(t, h2.Current(), h.Current())
}

// TestEveryWritePatchesTheSnapshot: writes of every kind (APIs, signing
// keys, settings, actions, bindings, hooks, the tenant identity) patch the
// snapshot, and the result matches a full rebuild of the same store.
func TestEveryWritePatchesTheSnapshot(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	logs := &testkit.Buffer{}
	compile := func(d *store.Data, _ any) (any, error) { // what is bound and enabled, in order
		var names []string
		for _, hk := range d.Hooks {
			if hk.Enabled {
				names = append(names, "hook:"+hk.Name)
			}
		}
		for _, a := range d.Actions {
			names = append(names, "action:"+a.Name+":"+a.DeployedCode)
		}
		if len(names) == 0 {
			return nil, nil
		}
		return strings.Join(names, ","), nil
	}
	h, err := tenant.NewHolder(ctx, svc.Store, svc.Master, compile, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), nil)
	if err != nil {
		t.Fatal(err)
	}
	svc.Holder = h
	count := func(what string) int { return strings.Count(logs.String(), what) }
	rebuilt, patched := count("snapshot rebuilt"), count("snapshot patched")
	step := func(name string, op func() error) {
		t.Helper()
		if err := op(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r, p := count("snapshot rebuilt")-rebuilt, count("snapshot patched")-patched; r != 0 || p < 1 {
			t.Fatalf("%s: %d rebuilds and %d patches, want 0 and at least 1", name, r, p)
		}
		rebuilt, patched = count("snapshot rebuilt"), count("snapshot patched")
		fresh, err := tenant.NewHolder(ctx, svc.Store, svc.Master, compile, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		fresh.Close()
		snapshotsEqual(t, h.Current(), fresh.Current())
		if h.Current().Extensions != fresh.Current().Extensions {
			t.Fatalf("%s: extensions %v, rebuilt %v", name, h.Current().Extensions, fresh.Current().Extensions)
		}
	}
	var apiID string
	step("create API", func() error {
		rs, err := svc.CreateResourceServer(ctx, tenant.ResourceServerFields{Name: ptr("a"), Identifier: ptr("urn:a"),
			Scopes: &[]store.Scope{{Value: "read"}}})
		apiID = rs.ID
		return err
	})
	step("create client", func() error {
		_, _, err := svc.CreateClient(ctx, tenant.ClientFields{ClientID: "c", Name: ptr("c")})
		return err
	})
	step("all-scopes grant", func() error {
		_, err := svc.CreateGrant(ctx, tenant.GrantFields{ClientID: "c", Audience: "urn:a", AllowAllScopes: ptr(true)})
		return err
	})
	step("API gains a scope (the all-scopes grant follows)", func() error {
		_, err := svc.UpdateResourceServer(ctx, apiID, tenant.ResourceServerFields{Scopes: &[]store.Scope{{Value: "read"}, {Value: "write"}}})
		return err
	})
	if g, ok := h.Current().Grant("c", "urn:a"); !ok || strings.Join(g.Scopes, " ") != "read write" {
		t.Fatalf("all-scopes grant after the API changed: %v %v", g, ok)
	}
	step("API to HS256", func() error {
		_, err := svc.UpdateResourceServer(ctx, apiID, tenant.ResourceServerFields{SigningAlg: ptr("HS256")})
		return err
	})
	step("rotate keys", func() error { _, err := svc.RotateKeys(ctx); return err })
	step("settings", func() error {
		_, err := svc.UpdateSettings(ctx, func(st *store.Settings) error { st.HonorScopeSubset = true; return nil })
		return err
	})
	var actionID string
	step("create action", func() error {
		a, err := svc.CreateAction(ctx, tenant.ActionFields{Name: ptr("act"), Code: ptr("exports.onExecuteCredentialsExchange = async () => {}"),
			SupportedTriggers: &[]store.Trigger{{ID: tenant.TriggerCredentialsExchange, Version: "v2"}}})
		actionID = a.ID
		return err
	})
	step("deploy action", func() error { _, err := svc.DeployAction(ctx, actionID); return err })
	step("bind action", func() error {
		_, err := svc.SetBindings(ctx, tenant.TriggerCredentialsExchange, []string{actionID})
		return err
	})
	if h.Current().Extensions == nil {
		t.Fatal("bound action not compiled")
	}
	step("create hook", func() error {
		_, err := svc.CreateHook(ctx, tenant.HookFields{Name: ptr("hk"), Script: ptr("module.exports = function (c, s, a, ctx, cb) { cb(null, {}) }"),
			TriggerID: ptr(tenant.TriggerCredentialsExchange), Enabled: ptr(true)})
		return err
	})
	step("delete action (unbinds it)", func() error { return svc.DeleteAction(ctx, actionID) })
	step("tenant identity", func() error { return svc.EnsureIdentity(ctx) })
	var orgID, grantID string
	step("create organization", func() error {
		o, err := svc.CreateOrganization(ctx, tenant.OrganizationFields{Name: ptr("acme"), DisplayName: ptr("Acme"),
			Metadata: &map[string]string{"tier": "gold"}})
		orgID = o.ID
		return err
	})
	step("grant requires an organization", func() error {
		g, _ := h.Current().Grant("c", "urn:a")
		grantID = g.ID
		_, err := svc.UpdateGrant(ctx, grantID, tenant.GrantFields{OrganizationUsage: ptr("require")})
		return err
	})
	step("associate the grant", func() error { _, err := svc.AddOrganizationGrant(ctx, orgID, grantID); return err })
	if o, ok := h.Current().Organization("acme"); !ok || !h.Current().OrganizationAllows(o, mustGrant(t, h, "c", "urn:a")) {
		t.Fatal("associated grant not allowed for the organization")
	}
	step("client default organization", func() error {
		_, err := svc.UpdateClient(ctx, "c", tenant.ClientFields{DefaultOrganization: &store.DefaultOrganization{OrganizationID: orgID, Flows: []string{"client_credentials"}}})
		return err
	})
	step("rename organization", func() error {
		_, err := svc.UpdateOrganization(ctx, orgID, tenant.OrganizationFields{Name: ptr("acme-eu")})
		return err
	})
	if _, ok := h.Current().Organization("acme"); ok {
		t.Fatal("old organization name still resolves")
	}
	step("remove the association", func() error { return svc.RemoveOrganizationGrant(ctx, orgID, grantID) })
	if o, ok := h.Current().Organization("acme-eu"); !ok || h.Current().OrganizationAllows(o, mustGrant(t, h, "c", "urn:a")) {
		t.Fatal("removed association still allowed")
	}
	step("associate again", func() error { _, err := svc.AddOrganizationGrant(ctx, orgID, grantID); return err })
	step("allow any organization", func() error {
		_, err := svc.UpdateGrant(ctx, grantID, tenant.GrantFields{AllowAnyOrganization: ptr(true)})
		return err
	})
	step("delete organization (and its associations)", func() error { return svc.DeleteOrganization(ctx, orgID) })
	if _, ok := h.Current().OrganizationByID(orgID); ok {
		t.Fatal("deleted organization still served")
	}
	step("delete API (and its grants)", func() error { return svc.DeleteResourceServer(ctx, apiID) })
	if _, ok := h.Current().Grant("c", "urn:a"); ok {
		t.Fatal("a deleted API's grant is still served")
	}
}

func mustGrant(t *testing.T, h *tenant.Holder, client, aud string) *tenant.Grant {
	t.Helper()
	g, ok := h.Current().Grant(client, aud)
	if !ok {
		t.Fatalf("no grant %s → %s", client, aud)
	}
	return g
}
