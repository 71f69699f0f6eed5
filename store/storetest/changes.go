package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/credo-dev/credo/store"
)

// minChangeLog is how many of the newest writes a backend's change log must
// keep at least.
const minChangeLog = 1000

// testChanges: every write is in the change log under the version it
// produced, with the kind and id of what it wrote and the client it belongs
// to; failed writes leave nothing; the log keeps the newest writes and says
// when it no longer reaches back. OnCommit runs after each of those writes
// and after no other.
func testChanges(t *testing.T, s store.Store) {
	ctx := t.Context()
	v0, err := s.Version(ctx)
	must(t, err)
	var commits []int64
	remove := s.OnCommit(func(ctx context.Context) {
		v, err := s.Version(ctx)
		if err != nil {
			t.Errorf("Version in OnCommit: %v", err)
		}
		commits = append(commits, v)
	})
	noop := func(*store.Client) error { return nil }
	type want = store.Change
	steps := []struct {
		name string
		want want
		op   func() error
	}{
		{"create client", want{Kind: store.ChangeClient, ID: "k1", ClientID: "k1"}, func() error { return s.CreateClient(ctx, sampleClient("k1")) }},
		{"create client k2", want{Kind: store.ChangeClient, ID: "k2", ClientID: "k2"}, func() error { return s.CreateClient(ctx, sampleClient("k2")) }},
		{"create API", want{Kind: store.ChangeResourceServer, ID: "ka"}, func() error { return s.CreateResourceServer(ctx, sampleResourceServer("ka")) }},
		{"update API", want{Kind: store.ChangeResourceServer, ID: "ka"}, func() error {
			_, err := s.UpdateResourceServer(ctx, "ka", func(rs *store.ResourceServer) error { rs.Name = "x"; return nil })
			return err
		}},
		{"create grant", want{Kind: store.ChangeClientGrant, ID: "kg", ClientID: "k1"}, func() error { return s.CreateClientGrant(ctx, sampleGrant("kg", "k1", audience("ka"))) }},
		{"update grant", want{Kind: store.ChangeClientGrant, ID: "kg", ClientID: "k1"}, func() error {
			_, err := s.UpdateClientGrant(ctx, "kg", func(g *store.ClientGrant) error { g.Scope = []string{"x"}; return nil })
			return err
		}},
		{"move grant to another client", want{Kind: store.ChangeClientGrant, ID: "kg"}, func() error {
			_, err := s.UpdateClientGrant(ctx, "kg", func(g *store.ClientGrant) error { g.ClientID = "k2"; return nil })
			return err
		}},
		{"update client", want{Kind: store.ChangeClient, ID: "k1", ClientID: "k1"}, func() error { _, err := s.UpdateClient(ctx, "k1", noop); return err }},
		{"update settings", want{Kind: store.ChangeSettings}, func() error {
			_, err := s.UpdateSettings(ctx, func(*store.Settings) error { return nil })
			return err
		}},
		{"set tenant", want{Kind: store.ChangeTenant}, func() error {
			_, err := s.UpdateTenant(ctx, func(tn *store.Tenant, _ bool) error { tn.Issuer = "https://a/"; return nil })
			return err
		}},
		{"rotate keys", want{Kind: store.ChangeSigningKeys}, func() error {
			return s.UpdateSigningKeys(ctx, func([]store.SigningKey) ([]store.SigningKey, error) {
				return []store.SigningKey{sampleKey("kk", "RSA", store.KeyNext)}, nil
			})
		}},
		{"create action", want{Kind: store.ChangeAction, ID: "kx"}, func() error { return s.CreateAction(ctx, sampleAction("kx")) }},
		{"bind", want{Kind: store.ChangeBindings, ID: triggerCE}, func() error { return s.SetBindings(ctx, triggerCE, []string{"kx"}) }},
		{"delete action", want{Kind: store.ChangeAction, ID: "kx"}, func() error { return s.DeleteAction(ctx, "kx") }},
		{"create hook", want{Kind: store.ChangeHook, ID: "kh"}, func() error { return s.CreateHook(ctx, sampleHook("kh")) }},
		{"delete grant", want{Kind: store.ChangeClientGrant, ID: "kg", ClientID: "k2"}, func() error { return s.DeleteClientGrant(ctx, "kg") }},
		{"delete client", want{Kind: store.ChangeClient, ID: "k1", ClientID: "k1"}, func() error { return s.DeleteClient(ctx, "k1") }},
		{"create grant k2", want{Kind: store.ChangeClientGrant, ID: "kg2", ClientID: "k2"}, func() error { return s.CreateClientGrant(ctx, sampleGrant("kg2", "k2", audience("ka"))) }},
		{"delete API (and its grants)", want{Kind: store.ChangeResourceServer, ID: "ka"}, func() error { return s.DeleteResourceServer(ctx, "ka") }},
	}
	for _, st := range steps {
		if err := st.op(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	cur, changes, err := s.ChangesSince(ctx, v0)
	must(t, err)
	if cur != v0+int64(len(steps)) || len(changes) != len(steps) {
		t.Fatalf("ChangesSince(%d) = version %d, %d changes; want %d, %d", v0, cur, len(changes), v0+int64(len(steps)), len(steps))
	}
	for i, st := range steps {
		w := st.want
		w.Version = v0 + int64(i) + 1
		if c := changes[i]; c != w {
			t.Fatalf("change %d (%s) = %+v, want %+v", i, st.name, c, w)
		}
		if commits[i] != w.Version {
			t.Fatalf("OnCommit %d (%s) saw version %d, want %d", i, st.name, commits[i], w.Version)
		}
	}
	if len(commits) != len(steps) {
		t.Fatalf("OnCommit ran %d times for %d writes", len(commits), len(steps))
	}

	// Log appends, reads, failed writes and a key update that writes
	// nothing do not call OnCommit.
	must(t, s.AppendLogs(ctx, []store.LogEvent{sampleLog("", 1)}))
	must(t, s.UpdateSigningKeys(ctx, func([]store.SigningKey) ([]store.SigningKey, error) { return nil, nil }))
	if _, err := s.GetClient(ctx, "k2"); err != nil {
		t.Fatal(err)
	}
	// Failed writes record nothing; nothing after the current version.
	if err := s.DeleteClient(ctx, "k1"); err == nil {
		t.Fatal("deleting a deleted client succeeded")
	}
	if _, err := s.UpdateClient(ctx, "k2", func(*store.Client) error { return errBoom }); err == nil {
		t.Fatal("an update whose fn fails succeeded")
	}
	if v, ch, err := s.ChangesSince(ctx, cur); err != nil || v != cur || len(ch) != 0 {
		t.Fatalf("after failed writes: version %d, changes %v, err %v", v, ch, err)
	}
	if len(commits) != len(steps) {
		t.Fatalf("OnCommit ran after writes that committed nothing: %v", commits[len(steps):])
	}
	// Several functions may be registered; a removed one is not called.
	others := 0
	removeOther := s.OnCommit(func(context.Context) { others++ })
	remove()
	must(t, s.CreateClient(ctx, sampleClient("k9")))
	removeOther()
	must(t, s.DeleteClient(ctx, "k9"))
	if others != 1 || len(commits) != len(steps) {
		t.Fatalf("after removing: the other function ran %d times (want 1), the first %d (want %d)", others, len(commits), len(steps))
	}

	// Past the log's size: asked from v0 it no longer reaches back (fewer
	// changes than versions), while the newest minChangeLog are all there.
	for i := 0; i < minChangeLog+50; i++ {
		if _, err := s.UpdateSettings(ctx, func(*store.Settings) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	cur, changes, err = s.ChangesSince(ctx, v0)
	must(t, err)
	if int64(len(changes)) >= cur-v0 {
		t.Fatalf("the log still reaches back %d writes; a reader could not tell it was cut", cur-v0)
	}
	since := cur - minChangeLog
	_, changes, err = s.ChangesSince(ctx, since)
	must(t, err)
	if len(changes) != minChangeLog || changes[0].Version != since+1 || changes[len(changes)-1].Version != cur {
		t.Fatalf("the newest %d writes: got %d changes", minChangeLog, len(changes))
	}
}

// testTenant: the identity is absent until set, written in one
// transaction, and read back as written.
func testTenant(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.Tenant(ctx)
	wantErr(t, "tenant of a new store", err, store.ErrNotFound)
	at := time.Date(2027, 1, 2, 3, 4, 5, 6000, time.UTC)
	first := store.Tenant{Issuer: "https://auth.example.com/", ManagementAudience: "https://auth.example.com/api/v2/", CreatedAt: at, UpdatedAt: at}
	got, err := s.UpdateTenant(ctx, func(tn *store.Tenant, exists bool) error {
		if exists || *tn != (store.Tenant{}) {
			t.Errorf("before the first write: exists %v, %+v", exists, *tn)
		}
		*tn = first
		return nil
	})
	must(t, err)
	equal(t, "written tenant", got, first)
	read, err := s.Tenant(ctx)
	must(t, err)
	equal(t, "read tenant", read, first)

	// A refused update changes nothing, version included.
	v, err := s.Version(ctx)
	must(t, err)
	_, err = s.UpdateTenant(ctx, func(tn *store.Tenant, exists bool) error {
		if !exists || *tn != first {
			t.Errorf("update sees exists %v, %+v", exists, *tn)
		}
		tn.Issuer = "https://other/"
		return errBoom
	})
	wantErr(t, "refused update", err, errBoom)
	if _, err := s.UpdateTenant(ctx, func(tn *store.Tenant, _ bool) error { tn.Issuer = ""; return nil }); err == nil {
		t.Fatal("an empty issuer was written")
	}
	read, err = s.Tenant(ctx)
	must(t, err)
	equal(t, "tenant after refused updates", read, first)
	if v2, _ := s.Version(ctx); v2 != v {
		t.Fatalf("version moved from %d to %d on refused updates", v, v2)
	}
	second := first
	second.Issuer, second.ManagementAudience = "https://new.example.com/", "https://new.example.com/api/v2/"
	_, err = s.UpdateTenant(ctx, func(tn *store.Tenant, exists bool) error {
		tn.Issuer, tn.ManagementAudience = second.Issuer, second.ManagementAudience
		return nil
	})
	must(t, err)
	read, err = s.Tenant(ctx)
	must(t, err)
	equal(t, "changed tenant", read, second)
}
