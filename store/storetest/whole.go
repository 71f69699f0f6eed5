package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/credo-dev/credo/store"
)

func testPagination(t *testing.T, s store.Store) {
	ctx := t.Context()
	var all, spa []store.Client
	for i := range 55 {
		c := sampleClient(fmt.Sprintf("c%02d", i))
		if i%3 == 0 {
			c.AppType = "spa"
			spa = append(spa, c)
		}
		must(t, s.CreateClient(ctx, c))
		all = append(all, c)
	}
	tests := []struct {
		name  string
		f     store.ClientFilter
		want  []store.Client
		total int
	}{
		{"default limit is 50", store.ClientFilter{}, all[:50], 55},
		{"rest after the default page", store.ClientFilter{Page: store.Page{Offset: 50}}, all[50:], 55},
		{"middle page", store.ClientFilter{Page: store.Page{Offset: 10, Limit: 5}}, all[10:15], 55},
		{"past the end", store.ClientFilter{Page: store.Page{Offset: 60, Limit: 5}}, nil, 55},
		{"by app type", store.ClientFilter{AppType: "spa"}, spa, len(spa)},
		{"by app type, paged", store.ClientFilter{AppType: "spa", Page: store.Page{Offset: 2, Limit: 3}}, spa[2:5], len(spa)},
		{"unknown app type", store.ClientFilter{AppType: "native"}, nil, 0},
		{"checkpoint", store.ClientFilter{From: "c09", Page: store.Page{Limit: 5}}, all[10:15], 45},
		{"checkpoint ignores the offset", store.ClientFilter{From: "c49", Page: store.Page{Offset: 3}}, all[50:], 5},
		{"checkpoint after an id that is not there", store.ClientFilter{From: "c09x"}, all[10:55], 45},
		{"checkpoint past the end", store.ClientFilter{From: "c54"}, nil, 0},
		{"checkpoint by app type", store.ClientFilter{AppType: "spa", From: spa[1].ClientID}, spa[2:], len(spa) - 2},
	}
	for _, tc := range tests {
		got, total, err := s.ListClients(ctx, tc.f)
		must(t, err)
		equal(t, tc.name, got, tc.want)
		if total != tc.total {
			t.Errorf("%s: total = %d, want %d", tc.name, total, tc.total)
		}
	}
}

// testVersion checks that every successful write moves the version and that
// reads and failed writes do not.
func testVersion(t *testing.T, s store.Store) {
	ctx := t.Context()
	v, err := s.Version(ctx)
	must(t, err)
	step := func(name string, moves bool, op func() error) {
		t.Helper()
		err := op()
		if moves && err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, verr := s.Version(ctx)
		must(t, verr)
		switch {
		case moves && got != v+1:
			// internal/tenant patches its snapshot when the version moved by
			// exactly one since it was built: every write must move it by one.
			t.Fatalf("%s: version went from %d to %d; a write must move it by exactly one", name, v, got)
		case !moves && got != v:
			t.Fatalf("%s: version moved from %d to %d", name, v, got)
		}
		v = got
	}
	read := func(name string, op func() error) {
		t.Helper()
		step(name, false, func() error {
			t.Helper()
			must(t, op())
			return nil
		})
	}
	fail := func(name string, target error, op func() error) {
		t.Helper()
		step(name, false, func() error {
			t.Helper()
			wantErr(t, name, op(), target)
			return nil
		})
	}
	noop := func(*store.Client) error { return nil }
	w2 := func(_ any, err error) error { return err }
	w3 := func(_ any, _ int, err error) error { return err }

	step("create client", true, func() error { return s.CreateClient(ctx, sampleClient("c1")) })
	step("update client", true, func() error { return w2(s.UpdateClient(ctx, "c1", noop)) })
	step("create API", true, func() error { return s.CreateResourceServer(ctx, sampleResourceServer("a")) })
	step("update API", true, func() error {
		return w2(s.UpdateResourceServer(ctx, "a", func(*store.ResourceServer) error { return nil }))
	})
	step("create grant", true, func() error { return s.CreateClientGrant(ctx, sampleGrant("g1", "c1", audience("a"))) })
	step("update grant", true, func() error {
		return w2(s.UpdateClientGrant(ctx, "g1", func(*store.ClientGrant) error { return nil }))
	})
	step("update signing keys", true, func() error {
		return s.UpdateSigningKeys(ctx, func([]store.SigningKey) ([]store.SigningKey, error) {
			return []store.SigningKey{sampleKey("k1", "RSA", store.KeyCurrent)}, nil
		})
	})
	step("create action", true, func() error { return s.CreateAction(ctx, sampleAction("a1")) })
	step("update action", true, func() error {
		return w2(s.UpdateAction(ctx, "a1", func(*store.Action) error { return nil }))
	})
	step("set bindings", true, func() error { return s.SetBindings(ctx, triggerCE, []string{"a1"}) })
	step("create hook", true, func() error { return s.CreateHook(ctx, sampleHook("h1")) })
	step("update hook", true, func() error { return w2(s.UpdateHook(ctx, "h1", func(*store.Hook) error { return nil })) })
	step("update settings", true, func() error {
		return w2(s.UpdateSettings(ctx, func(st *store.Settings) error { st.HonorScopeSubset = true; return nil }))
	})

	read("get client", func() error { return w2(s.GetClient(ctx, "c1")) })
	read("list clients", func() error { return w3(s.ListClients(ctx, store.ClientFilter{})) })
	read("get API", func() error { return w2(s.GetResourceServer(ctx, audience("a"))) })
	read("list APIs", func() error { return w3(s.ListResourceServers(ctx, store.Page{})) })
	read("get grant", func() error { return w2(s.GetClientGrant(ctx, "g1")) })
	read("list grants", func() error { return w3(s.ListClientGrants(ctx, store.GrantFilter{})) })
	read("list keys", func() error { return w2(s.ListSigningKeys(ctx)) })
	read("get action", func() error { return w2(s.GetAction(ctx, "a1")) })
	read("list actions", func() error { return w3(s.ListActions(ctx, store.Page{})) })
	read("bindings", func() error { return w2(s.Bindings(ctx, triggerCE)) })
	read("get hook", func() error { return w2(s.GetHook(ctx, "h1")) })
	read("list hooks", func() error { return w3(s.ListHooks(ctx, store.Page{})) })
	read("settings", func() error { return w2(s.Settings(ctx)) })
	read("list logs", func() error { return w3(s.ListLogs(ctx, store.LogFilter{})) })
	read("ping", func() error { return s.Ping(ctx) })
	read("append logs", func() error { return s.AppendLogs(ctx, []store.LogEvent{sampleLog("l1", 1)}) })
	read("get log", func() error { return w2(s.GetLog(ctx, "l1")) })
	read("load", func() error {
		d, err := s.Load(ctx)
		if err == nil && d.Version != v {
			return fmt.Errorf("Load().Version = %d, Version() = %d", d.Version, v)
		}
		return err
	})

	fail("duplicate client", store.ErrConflict, func() error { return s.CreateClient(ctx, sampleClient("c1")) })
	fail("update missing client", store.ErrNotFound, func() error { return w2(s.UpdateClient(ctx, "nope", noop)) })
	fail("update client, fn fails", errBoom, func() error {
		return w2(s.UpdateClient(ctx, "c1", func(*store.Client) error { return errBoom }))
	})
	fail("delete missing client", store.ErrNotFound, func() error { return s.DeleteClient(ctx, "nope") })
	fail("duplicate grant", store.ErrConflict, func() error {
		return s.CreateClientGrant(ctx, sampleGrant("g2", "c1", audience("a")))
	})
	fail("delete missing grant", store.ErrNotFound, func() error { return s.DeleteClientGrant(ctx, "nope") })
	fail("bind unknown action", store.ErrNotFound, func() error { return s.SetBindings(ctx, triggerCE, []string{"nope"}) })
	fail("second current key", store.ErrConflict, func() error {
		return s.UpdateSigningKeys(ctx, func([]store.SigningKey) ([]store.SigningKey, error) {
			return []store.SigningKey{sampleKey("k2", "RSA", store.KeyCurrent)}, nil
		})
	})
	fail("update settings, fn fails", errBoom, func() error {
		return w2(s.UpdateSettings(ctx, func(*store.Settings) error { return errBoom }))
	})

	step("create client c2", true, func() error { return s.CreateClient(ctx, sampleClient("c2")) })
	step("create grant g3 for c2", true, func() error { return s.CreateClientGrant(ctx, sampleGrant("g3", "c2", audience("a"))) })
	step("delete a client that has a grant", true, func() error { return s.DeleteClient(ctx, "c2") })
	step("delete grant", true, func() error { return s.DeleteClientGrant(ctx, "g1") })
	step("delete hook", true, func() error { return s.DeleteHook(ctx, "h1") })
	step("delete action", true, func() error { return s.DeleteAction(ctx, "a1") })
	step("delete API", true, func() error { return s.DeleteResourceServer(ctx, "a") })
	step("delete client", true, func() error { return s.DeleteClient(ctx, "c1") })
}

func testLoad(t *testing.T, s store.Store) {
	ctx := t.Context()
	d, err := s.Load(ctx)
	must(t, err)
	if len(d.Clients)+len(d.ResourceServers)+len(d.Grants)+len(d.Keys)+len(d.Actions)+len(d.Hooks)+len(d.Bindings) != 0 {
		t.Fatalf("new store loads %+v", d)
	}

	want := &store.Data{
		Clients:         []store.Client{sampleClient("c1"), sampleClient("c2")},
		ResourceServers: []store.ResourceServer{sampleResourceServer("a"), sampleResourceServer("b")},
		Grants: []store.ClientGrant{
			sampleGrant("g1", "c1", audience("a")),
			sampleGrant("g2", "c2", audience("a")),
			sampleGrant("g3", "c2", audience("b")),
		},
		Keys:     []store.SigningKey{sampleKey("k1", "RSA", store.KeyCurrent), sampleKey("k2", "RSA", store.KeyNext)},
		Actions:  []store.Action{sampleAction("x2"), sampleAction("x1")},
		Bindings: map[string][]string{triggerCE: {"x2", "x1"}},
		Hooks:    []store.Hook{sampleHook("h1"), sampleHook("h2")},
		Settings: store.Settings{Auth0CompatErrors: true},
	}
	for _, c := range want.Clients {
		must(t, s.CreateClient(ctx, c))
	}
	for _, rs := range want.ResourceServers {
		must(t, s.CreateResourceServer(ctx, rs))
	}
	for _, g := range want.Grants {
		must(t, s.CreateClientGrant(ctx, g))
	}
	must(t, s.UpdateSigningKeys(ctx, func([]store.SigningKey) ([]store.SigningKey, error) { return want.Keys, nil }))
	for _, id := range []string{"x1", "x2", "x3"} {
		must(t, s.CreateAction(ctx, sampleAction(id)))
	}
	must(t, s.SetBindings(ctx, triggerCE, []string{"x2", "x1"}))
	for _, h := range want.Hooks {
		must(t, s.CreateHook(ctx, h))
	}
	_, err = s.UpdateSettings(ctx, func(st *store.Settings) error { *st = want.Settings; return nil })
	must(t, err)
	must(t, s.AppendLogs(ctx, []store.LogEvent{sampleLog("l1", 1)}))

	want.Version, err = s.Version(ctx)
	must(t, err)
	d, err = s.Load(ctx)
	must(t, err)
	equal(t, "loaded data", d, want)
}

// testLoadConsistent runs Load while a writer adds clients and grants, one
// write at a time: each Load must see exactly the writes its version counts.
func testLoadConsistent(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateResourceServer(ctx, sampleResourceServer("a")))
	v0, err := s.Version(ctx)
	must(t, err)

	const n = 25
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			for i := range n {
				id := fmt.Sprintf("c%02d", i)
				if err := s.CreateClient(ctx, sampleClient(id)); err != nil {
					return err
				}
				if err := s.CreateClientGrant(ctx, sampleGrant("g"+id, id, audience("a"))); err != nil {
					return err
				}
			}
			return nil
		}()
	}()
	check := func(d *store.Data) {
		t.Helper()
		writes := int64(len(d.Clients) + len(d.Grants))
		if d.Version-v0 != writes || len(d.Grants) > len(d.Clients) || len(d.Clients) > len(d.Grants)+1 {
			t.Fatalf("inconsistent load: version %d (base %d) with %d clients and %d grants",
				d.Version, v0, len(d.Clients), len(d.Grants))
		}
	}
	loads := 0
	for finished := false; !finished; loads++ {
		select {
		case err := <-done:
			must(t, err)
			finished = true
		default:
		}
		d, err := s.Load(ctx)
		must(t, err)
		check(d)
		if finished && len(d.Clients) != n {
			t.Fatalf("final load has %d clients, want %d", len(d.Clients), n)
		}
	}
	t.Logf("%d consistent loads during %d writes", loads, 2*n)
}

// testNoAliasing checks that values passed in and returned are copies.
func testNoAliasing(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := sampleClient("c1")
	must(t, s.CreateClient(ctx, in))
	in.Metadata["team"] = "changed"
	in.GrantTypes[0] = "changed"
	in.Secrets[0].Hash = "changed"

	check := func(what string) {
		t.Helper()
		got, err := s.GetClient(ctx, "c1")
		must(t, err)
		equal(t, what, got, sampleClient("c1"))
	}
	check("after changing the created value")

	got, err := s.GetClient(ctx, "c1")
	must(t, err)
	got.Metadata["team"] = "changed"
	got.GrantTypes[0] = "changed"
	got.Secrets[0].Hash = "changed"
	check("after changing a returned value")

	upd, err := s.UpdateClient(ctx, "c1", func(*store.Client) error { return nil })
	must(t, err)
	upd.Metadata["team"] = "changed"
	upd.Secrets = append(upd.Secrets[:0], store.Secret{Hash: "changed"})
	check("after changing an update's result")

	_, err = s.UpdateClient(ctx, "c1", func(c *store.Client) error {
		c.Metadata["team"] = "changed"
		return errBoom
	})
	if err != errBoom {
		t.Fatalf("update: %v", err)
	}
	check("after a failed update that changed its argument")

	clients, _, err := s.ListClients(ctx, store.ClientFilter{})
	must(t, err)
	clients[0].Metadata["team"] = "changed"
	check("after changing a listed value")

	must(t, s.CreateResourceServer(ctx, sampleResourceServer("a")))
	must(t, s.CreateAction(ctx, sampleAction("x1")))
	must(t, s.SetBindings(ctx, triggerCE, []string{"x1"}))
	key := sampleKey("k1", "RSA", store.KeyCurrent)
	must(t, s.UpdateSigningKeys(ctx, func([]store.SigningKey) ([]store.SigningKey, error) {
		return []store.SigningKey{key}, nil
	}))
	key.SealedPrivateKey[0] = 'X'

	d, err := s.Load(ctx)
	must(t, err)
	d.Clients[0].Metadata["team"] = "changed"
	d.ResourceServers[0].Scopes[0].Value = "changed"
	d.Keys[0].SealedPrivateKey[0] = 'X'
	d.Actions[0].Secrets[0].Sealed = "changed"
	d.Bindings[triggerCE][0] = "changed"
	d.Bindings["other"] = []string{"x1"}
	d2, err := s.Load(ctx)
	must(t, err)
	equal(t, "second load", d2.Clients, []store.Client{sampleClient("c1")})
	equal(t, "second load", d2.ResourceServers, []store.ResourceServer{sampleResourceServer("a")})
	equal(t, "second load", d2.Keys, []store.SigningKey{sampleKey("k1", "RSA", store.KeyCurrent)})
	equal(t, "second load", d2.Actions, []store.Action{sampleAction("x1")})
	equal(t, "second load", d2.Bindings, map[string][]string{triggerCE: {"x1"}})

	must(t, s.UpdateSigningKeys(ctx, func(keys []store.SigningKey) ([]store.SigningKey, error) {
		keys[0].State = store.KeyRevoked
		keys[0].SealedPrivateKey[0] = 'X'
		return nil, nil
	}))
	keys, err := s.ListSigningKeys(ctx)
	must(t, err)
	equal(t, "keys after fn changed its argument and returned none", keys,
		[]store.SigningKey{sampleKey("k1", "RSA", store.KeyCurrent)})
	keys[0].CertDER[0] = 0
	keys, err = s.ListSigningKeys(ctx)
	must(t, err)
	equal(t, "keys after changing a listed key", keys, []store.SigningKey{sampleKey("k1", "RSA", store.KeyCurrent)})

	ids, err := s.Bindings(ctx, triggerCE)
	must(t, err)
	ids[0] = "changed"
	ids, err = s.Bindings(ctx, triggerCE)
	must(t, err)
	equal(t, "bindings after changing the returned slice", ids, []string{"x1"})

	must(t, s.AppendLogs(ctx, []store.LogEvent{sampleLog("l1", 1)}))
	e, err := s.GetLog(ctx, "l1")
	must(t, err)
	e.Details["n"] = "changed"
	e, err = s.GetLog(ctx, "l1")
	must(t, err)
	equal(t, "log after changing the returned details", e, sampleLog("l1", 1))
}

func testTimeRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := sampleClient("c1")
	c.CreatedAt = time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.FixedZone("west", -7*3600))
	c.UpdatedAt = time.Date(1999, 12, 31, 0, 0, 0, 1000, zone)
	c.Secrets[0].ExpiresAt = time.Time{}
	must(t, s.CreateClient(ctx, c))
	got, err := s.GetClient(ctx, "c1")
	must(t, err)
	for _, tc := range []struct {
		name      string
		got, want time.Time
	}{
		{"CreatedAt", got.CreatedAt, c.CreatedAt},
		{"UpdatedAt", got.UpdatedAt, c.UpdatedAt},
		{"Secrets[0].CreatedAt", got.Secrets[0].CreatedAt, c.Secrets[0].CreatedAt},
		{"Secrets[1].ExpiresAt", got.Secrets[1].ExpiresAt, c.Secrets[1].ExpiresAt},
	} {
		g, w := tc.got.UTC().Truncate(time.Microsecond), tc.want.UTC().Truncate(time.Microsecond)
		if !g.Equal(w) {
			t.Errorf("%s = %v, want %v", tc.name, g, w)
		}
	}
	if !got.Secrets[0].ExpiresAt.IsZero() {
		t.Errorf("zero ExpiresAt came back as %v", got.Secrets[0].ExpiresAt)
	}

	e := sampleLog("l1", 1)
	e.Date = time.Date(2030, 1, 2, 3, 4, 5, 678901234, zone)
	must(t, s.AppendLogs(ctx, []store.LogEvent{e}))
	gotLog, err := s.GetLog(ctx, "l1")
	must(t, err)
	if want := e.Date.Truncate(time.Microsecond); !gotLog.Date.Truncate(time.Microsecond).Equal(want) {
		t.Errorf("log date = %v, want %v", gotLog.Date, want)
	}
}

// testContextCanceled checks that a cancelled context stops reads and
// writes, and that a context cancelled while an update runs aborts it.
func testContextCanceled(t *testing.T, s store.Store) {
	must(t, s.CreateClient(t.Context(), sampleClient("c1")))
	v, err := s.Version(t.Context())
	must(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ops := map[string]func() error{
		"Version":    func() error { _, err := s.Version(ctx); return err },
		"Load":       func() error { _, err := s.Load(ctx); return err },
		"GetClient":  func() error { _, err := s.GetClient(ctx, "c1"); return err },
		"ListLogs":   func() error { _, _, err := s.ListLogs(ctx, store.LogFilter{}); return err },
		"AppendLogs": func() error { return s.AppendLogs(ctx, []store.LogEvent{sampleLog("l1", 1)}) },
		"ListClients": func() error {
			_, _, err := s.ListClients(ctx, store.ClientFilter{})
			return err
		},
		"CreateClient": func() error { return s.CreateClient(ctx, sampleClient("c2")) },
		"UpdateClient": func() error {
			_, err := s.UpdateClient(ctx, "c1", func(c *store.Client) error { c.Name = "changed"; return nil })
			return err
		},
		"DeleteClient": func() error { return s.DeleteClient(ctx, "c1") },
		"UpdateSigningKeys": func() error {
			return s.UpdateSigningKeys(ctx, func([]store.SigningKey) ([]store.SigningKey, error) {
				return []store.SigningKey{sampleKey("k1", "RSA", store.KeyCurrent)}, nil
			})
		},
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: error = %v, want context.Canceled", name, err)
		}
	}

	// Cancelled while fn runs: the write must not commit.
	ctx, cancel = context.WithCancel(t.Context())
	_, err = s.UpdateClient(ctx, "c1", func(c *store.Client) error {
		c.Name = "changed"
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("UpdateClient cancelled inside fn: error = %v, want context.Canceled", err)
	}

	ctx = t.Context()
	got, err := s.GetClient(ctx, "c1")
	must(t, err)
	equal(t, "client after cancelled writes", got, sampleClient("c1"))
	_, err = s.GetClient(ctx, "c2")
	wantErr(t, "client created with a cancelled context", err, store.ErrNotFound)
	if _, total, err := s.ListLogs(ctx, store.LogFilter{}); err != nil || total != 0 {
		t.Errorf("logs after cancelled append: total %d, %v", total, err)
	}
	if keys, err := s.ListSigningKeys(ctx); err != nil || len(keys) != 0 {
		t.Errorf("keys after cancelled update: %d, %v", len(keys), err)
	}
	if v2, err := s.Version(ctx); err != nil || v2 != v {
		t.Errorf("version after cancelled writes = %d, %v; want %d", v2, err, v)
	}
	// The store still works.
	_, err = s.UpdateClient(ctx, "c1", func(c *store.Client) error { c.Name = "later"; return nil })
	must(t, err)
}

// testConcurrentUpdates runs UpdateClient on one row from many goroutines:
// no update may be lost.
func testConcurrentUpdates(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := sampleClient("c1")
	c.TokenLifetime = 0
	c.Metadata = nil
	must(t, s.CreateClient(ctx, c))
	v0, err := s.Version(ctx)
	must(t, err)

	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				_, err := s.UpdateClient(ctx, "c1", func(c *store.Client) error {
					c.TokenLifetime++
					if c.Metadata == nil {
						c.Metadata = map[string]string{}
					}
					c.Metadata[fmt.Sprintf("w%d-%d", w, i)] = "x"
					return nil
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := s.GetClient(ctx, "c1")
	must(t, err)
	if got.TokenLifetime != workers*each || len(got.Metadata) != workers*each {
		t.Fatalf("after %d updates: counter %d, %d metadata keys", workers*each, got.TokenLifetime, len(got.Metadata))
	}
	if v, err := s.Version(ctx); err != nil || v != v0+workers*each {
		t.Fatalf("version after %d updates = %d, %v; want %d", workers*each, v, err, v0+workers*each)
	}
}
