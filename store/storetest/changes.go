package storetest

import (
	"testing"

	"github.com/credo-dev/credo/store"
)

// minChangeLog is how many of the newest writes a backend's change log must
// keep at least.
const minChangeLog = 1000

// testChanges: every write is in the change log under the version it
// produced, naming the one client whose record or grants it changed, or ""
// for anything else; failed writes leave nothing; the log keeps the newest
// writes and says when it no longer reaches back.
func testChanges(t *testing.T, s store.Store) {
	ctx := t.Context()
	v0, err := s.Version(ctx)
	must(t, err)
	noop := func(*store.Client) error { return nil }
	steps := []struct {
		name   string
		client string
		op     func() error
	}{
		{"create client", "k1", func() error { return s.CreateClient(ctx, sampleClient("k1")) }},
		{"create client k2", "k2", func() error { return s.CreateClient(ctx, sampleClient("k2")) }},
		{"create API", "", func() error { return s.CreateResourceServer(ctx, sampleResourceServer("ka")) }},
		{"create grant", "k1", func() error { return s.CreateClientGrant(ctx, sampleGrant("kg", "k1", audience("ka"))) }},
		{"update grant", "k1", func() error {
			_, err := s.UpdateClientGrant(ctx, "kg", func(g *store.ClientGrant) error { g.Scope = []string{"x"}; return nil })
			return err
		}},
		{"move grant to another client", "", func() error {
			_, err := s.UpdateClientGrant(ctx, "kg", func(g *store.ClientGrant) error { g.ClientID = "k2"; return nil })
			return err
		}},
		{"update client", "k1", func() error { _, err := s.UpdateClient(ctx, "k1", noop); return err }},
		{"update settings", "", func() error {
			_, err := s.UpdateSettings(ctx, func(*store.Settings) error { return nil })
			return err
		}},
		{"delete grant", "k2", func() error { return s.DeleteClientGrant(ctx, "kg") }},
		{"delete client", "k1", func() error { return s.DeleteClient(ctx, "k1") }},
		{"create grant k2", "k2", func() error { return s.CreateClientGrant(ctx, sampleGrant("kg2", "k2", audience("ka"))) }},
		{"delete API (and its grants)", "", func() error { return s.DeleteResourceServer(ctx, "ka") }},
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
		if c := changes[i]; c.Version != v0+int64(i)+1 || c.ClientID != st.client {
			t.Fatalf("change %d (%s) = %+v, want version %d client %q", i, st.name, c, v0+int64(i)+1, st.client)
		}
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
