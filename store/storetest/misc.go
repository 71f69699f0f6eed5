package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/credo-dev/credo/store"
)

const (
	triggerCE = "credentials-exchange"
	triggerPL = "post-login"
)

func testBindings(t *testing.T, s store.Store) {
	ctx := t.Context()
	bindings := func(trigger string) []string {
		t.Helper()
		ids, err := s.Bindings(ctx, trigger)
		must(t, err)
		return ids
	}
	if ids := bindings(triggerCE); len(ids) != 0 {
		t.Fatalf("bindings of a new store = %v", ids)
	}
	for _, id := range []string{"a1", "a2", "a3"} {
		must(t, s.CreateAction(ctx, sampleAction(id)))
	}
	must(t, s.SetBindings(ctx, triggerCE, []string{"a3", "a1"}))
	must(t, s.SetBindings(ctx, triggerPL, []string{"a1"}))
	equal(t, "bindings", bindings(triggerCE), []string{"a3", "a1"})

	wantErr(t, "binding an unknown action",
		s.SetBindings(ctx, triggerCE, []string{"a2", "nope"}), store.ErrNotFound)
	wantErr(t, "binding an action twice",
		s.SetBindings(ctx, triggerCE, []string{"a2", "a2"}), store.ErrConflict)
	equal(t, "bindings after refused changes", bindings(triggerCE), []string{"a3", "a1"})

	// Load holds only bound actions, each once, in binding order.
	d, err := s.Load(ctx)
	must(t, err)
	equal(t, "loaded actions", d.Actions, []store.Action{sampleAction("a3"), sampleAction("a1")})
	equal(t, "loaded bindings", d.Bindings, map[string][]string{triggerCE: {"a3", "a1"}, triggerPL: {"a1"}})

	// Deleting an action unbinds it everywhere.
	must(t, s.DeleteAction(ctx, "a1"))
	equal(t, "bindings after delete", bindings(triggerCE), []string{"a3"})
	if ids := bindings(triggerPL); len(ids) != 0 {
		t.Fatalf("%s still bound to %v after delete", triggerPL, ids)
	}
	d, err = s.Load(ctx)
	must(t, err)
	equal(t, "loaded actions after delete", d.Actions, []store.Action{sampleAction("a3")})
	if len(d.Bindings[triggerPL]) != 0 || !equalStrings(d.Bindings[triggerCE], []string{"a3"}) {
		t.Fatalf("loaded bindings after delete = %v", d.Bindings)
	}

	// Rebinding replaces the order; an empty list clears the trigger.
	must(t, s.SetBindings(ctx, triggerCE, []string{"a2", "a3"}))
	equal(t, "rebound", bindings(triggerCE), []string{"a2", "a3"})
	must(t, s.SetBindings(ctx, triggerCE, nil))
	if ids := bindings(triggerCE); len(ids) != 0 {
		t.Fatalf("bindings after clearing = %v", ids)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testSettings(t *testing.T, s store.Store) {
	ctx := t.Context()
	st, err := s.Settings(ctx)
	must(t, err)
	equal(t, "default settings", st, store.Settings{})

	want := store.Settings{HonorScopeSubset: true, Auth0CompatErrors: true}
	got, err := s.UpdateSettings(ctx, func(st *store.Settings) error {
		*st = want
		return nil
	})
	must(t, err)
	equal(t, "update result", got, want)

	v, err := s.Version(ctx)
	must(t, err)
	_, err = s.UpdateSettings(ctx, func(st *store.Settings) error {
		st.HonorScopeSubset = false
		return errBoom
	})
	if err != errBoom {
		t.Fatalf("update with failing fn: error = %v, want %v as is", err, errBoom)
	}
	st, err = s.Settings(ctx)
	must(t, err)
	equal(t, "settings after failed update", st, want)
	if v2, err := s.Version(ctx); err != nil || v2 != v {
		t.Fatalf("version after failed update = %d, %v; want %d", v2, err, v)
	}
}

// testSettingsConcurrent runs two UpdateSettings at once, each setting its
// own field and slow enough that both read before either writes unless the
// second read waits for the first write: neither change may be lost.
func testSettingsConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	var wg sync.WaitGroup
	for _, set := range []func(*store.Settings){
		func(st *store.Settings) { st.HonorScopeSubset = true },
		func(st *store.Settings) { st.Auth0CompatErrors = true },
	} {
		wg.Go(func() {
			_, err := s.UpdateSettings(ctx, func(st *store.Settings) error {
				time.Sleep(100 * time.Millisecond)
				set(st)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	st, err := s.Settings(ctx)
	must(t, err)
	equal(t, "settings after two concurrent updates", st, store.Settings{HonorScopeSubset: true, Auth0CompatErrors: true})
}

func testLogs(t *testing.T, s store.Store) {
	ctx := t.Context()
	list := func(f store.LogFilter) ([]store.LogEvent, int) {
		t.Helper()
		evs, total, err := s.ListLogs(ctx, f)
		must(t, err)
		return evs, total
	}
	if evs, total := list(store.LogFilter{}); len(evs) != 0 || total != 0 {
		t.Fatalf("new store lists %d logs, total %d", len(evs), total)
	}
	v0, err := s.Version(ctx)
	must(t, err)

	// Three events without ids, then two with.
	must(t, s.AppendLogs(ctx, []store.LogEvent{sampleLog("", 1), sampleLog("", 2), sampleLog("", 3)}))
	must(t, s.AppendLogs(ctx, []store.LogEvent{sampleLog("log-x", 4), sampleLog("log-y", 5)}))
	if v, err := s.Version(ctx); err != nil || v != v0 {
		t.Fatalf("version after AppendLogs = %d, %v; want %d (logs do not bump it)", v, err, v0)
	}

	all, total := list(store.LogFilter{})
	if len(all) != 5 || total != 5 {
		t.Fatalf("listed %d logs, total %d; want 5, 5", len(all), total)
	}
	ids := map[string]bool{}
	for i, e := range all {
		if e.ID == "" || ids[e.ID] {
			t.Fatalf("log %d has an empty or repeated id %q", i, e.ID)
		}
		ids[e.ID] = true
		want := sampleLog(e.ID, 5-i) // newest first
		equal(t, fmt.Sprintf("log %d", i), e, want)
	}
	if all[0].ID != "log-y" || all[1].ID != "log-x" {
		t.Fatalf("newest logs = %q, %q; want log-y, log-x", all[0].ID, all[1].ID)
	}
	if !(all[4].ID < all[3].ID && all[3].ID < all[2].ID) {
		t.Fatalf("assigned ids %q, %q, %q do not sort in append order", all[4].ID, all[3].ID, all[2].ID)
	}

	got, total := list(store.LogFilter{Page: store.Page{Offset: 1, Limit: 2}})
	equal(t, "page", got, all[1:3])
	if total != 5 {
		t.Fatalf("page total = %d, want 5", total)
	}

	// A checkpoint lists what was appended after it, oldest first.
	got, total = list(store.LogFilter{From: all[3].ID, Page: store.Page{Offset: 7, Limit: 2}})
	equal(t, "checkpoint", got, []store.LogEvent{all[2], all[1]})
	if total != 3 {
		t.Fatalf("checkpoint total = %d, want 3", total)
	}
	got, total = list(store.LogFilter{From: "log-y"})
	if len(got) != 0 || total != 0 {
		t.Fatalf("checkpoint at the newest log lists %d, total %d", len(got), total)
	}
	_, _, err = s.ListLogs(ctx, store.LogFilter{From: "no-such-log"})
	wantErr(t, "unknown checkpoint", err, store.ErrNotFound)

	e, err := s.GetLog(ctx, "log-x")
	must(t, err)
	equal(t, "get log", e, sampleLog("log-x", 4))
	_, err = s.GetLog(ctx, "no-such-log")
	wantErr(t, "get missing log", err, store.ErrNotFound)

	// A duplicate id refuses the whole batch.
	err = s.AppendLogs(ctx, []store.LogEvent{sampleLog("log-z", 6), sampleLog("log-x", 7)})
	wantErr(t, "duplicate log id", err, store.ErrConflict)
	if _, total := list(store.LogFilter{}); total != 5 {
		t.Fatalf("total after refused batch = %d, want 5", total)
	}
	_, err = s.GetLog(ctx, "log-z")
	wantErr(t, "log of refused batch", err, store.ErrNotFound)
	must(t, s.AppendLogs(ctx, nil))

	// A batch larger than one statement's worth (the SQL stores insert 64
	// rows at a time) keeps its order and ids, and a duplicate in its last
	// part still refuses all of it.
	var big []store.LogEvent
	for i := range 150 {
		id := ""
		if i%2 == 0 {
			id = fmt.Sprintf("big-%03d", i)
		}
		big = append(big, sampleLog(id, 100+i))
	}
	bad := append(append([]store.LogEvent(nil), big[:140]...), sampleLog("log-x", 999))
	wantErr(t, "duplicate late in a big batch", s.AppendLogs(ctx, bad), store.ErrConflict)
	if _, total := list(store.LogFilter{}); total != 5 {
		t.Fatalf("total after a refused big batch = %d, want 5", total)
	}
	must(t, s.AppendLogs(ctx, big))
	if _, total := list(store.LogFilter{}); total != 155 {
		t.Fatalf("after a big batch: total %d, want 155", total)
	}
	for i := 0; i < 150; i += 2 {
		e, err := s.GetLog(ctx, fmt.Sprintf("big-%03d", i))
		must(t, err)
		if want := sampleLog("", 100+i).ClientID; e.ClientID != want {
			t.Fatalf("big batch event %d is %q, want %q", i, e.ClientID, want)
		}
	}
}

// RunLogRetention checks the bound on log events: s must be a new store that
// keeps at most max events (max >= 3).
func RunLogRetention(t *testing.T, s store.Store, max int) {
	t.Helper()
	ctx := t.Context()
	const extra = 5
	var batch []store.LogEvent
	var ids []string
	for i := range max + extra {
		id := fmt.Sprintf("ret-%06d", i)
		ids = append(ids, id)
		batch = append(batch, sampleLog(id, i))
		if len(batch) == max/2+1 || i == max+extra-1 {
			must(t, s.AppendLogs(ctx, batch))
			batch = nil
		}
	}
	evs, total, err := s.ListLogs(ctx, store.LogFilter{Page: store.Page{Limit: max + extra}})
	must(t, err)
	if total != max || len(evs) != max {
		t.Fatalf("after %d events: listed %d, total %d; want %d", max+extra, len(evs), total, max)
	}
	if evs[0].ID != ids[len(ids)-1] || evs[max-1].ID != ids[extra] {
		t.Fatalf("kept %s..%s, want %s..%s", evs[max-1].ID, evs[0].ID, ids[extra], ids[len(ids)-1])
	}
	for _, id := range ids[:extra] {
		_, err := s.GetLog(ctx, id)
		wantErr(t, "evicted log "+id, err, store.ErrNotFound)
	}
}
